"""What a ``Simulation`` raises when it is used wrongly or cannot do what it was asked."""

from __future__ import annotations


class SimulationError(Exception):
    """The simulation was used wrongly (not started, unknown phone…) or could not start."""


class NeedsPushsimSender(SimulationError):
    """Asked for pushsim's sender API while notifications go to another backend (a portable
    scenario that needs it is reported skipped, with this message)."""


class NotificationRefused(SimulationError):
    """pushsim's sender refused ``notify``'s request with a 4xx: the request itself is wrong (an
    unknown field, a NUL in the title…); ``status`` is the sender's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
