"""When a credential was signed, on the simulation's clock: judged at first sight, then aged there.

A sender outside the process signs APNs provider tokens and Google OAuth assertions with the wall
clock; it cannot follow a virtual clock that a test pushes forward by hours. So the fakes place
each credential on their own clock the first time they see it:

- its ``iat`` is read against **real time** when that makes it plausible (neither older than the
  credential's lifetime nor further in the future than ``leeway``): a JWT signed a second ago by
  an outside sender is a second old;
- otherwise against the **simulation's clock**, for signers that follow it (pushsim's own sender,
  in-process tests after an ``advance``);
- otherwise against whichever of the two is nearer, so that the caller's verdict (expired, or in
  the future) is the one Apple or Google would give.

From then on the credential ages on the simulation's clock: ``issued_at()`` returns where it lies
on that clock, the same for every later sighting, so after ``advance(7200)`` the same JWT is two
hours old while a newly signed one is fresh. Sans-IO: both clocks are injected.
"""

from __future__ import annotations

from fakeproviders.clock import Clock

#: How often (in sightings) entries that can no longer pass anywhere are forgotten.
_PRUNE_EVERY = 1024
#: Real seconds after its ``iat`` within which a deterministic credential seen again counts as
#: signed anew: re-signing the same claims gives the same text, and the trip to the fake can take
#: seconds on a loaded machine.
RESIGN_WINDOW = 30.0


class FirstSight:
    """Remembers where on the simulation's clock each credential (by its exact text) was issued."""

    def __init__(
        self, clock: Clock, real: Clock, *, leeway: float = 0.0, deterministic: bool = False
    ) -> None:
        """``leeway``: seconds a signer's clock may run ahead. ``deterministic``: the same claims
        signed again give the same text (RS256, unlike ES256); then a credential whose ``iat`` is
        less than :data:`RESIGN_WINDOW` real seconds old is taken as signed now, however it was
        placed before."""
        self._clock = clock
        self._real = real
        self._leeway = leeway
        self._deterministic = deterministic
        self._placed: dict[str, tuple[float, float, float]] = {}  # → (issued, iat, lifetime)
        self._sightings = 0

    def issued_at(self, credential: str, iat: float, lifetime: float) -> float:
        """``iat`` moved onto the simulation's clock, fixed at the first sighting of ``credential``.

        ``lifetime`` is how long the credential may be used after ``iat``: plausibility at first
        sight means ``-leeway <= now - iat <= lifetime`` on real time or on the simulation's clock.
        """
        placed = self._placed.get(credential)
        now, real = self._clock.now(), self._real.now()
        resigned = self._deterministic and -self._leeway <= real - iat < RESIGN_WINDOW
        if placed is not None and not resigned:
            return placed[0]
        for reference in (real, now):
            if -self._leeway <= reference - iat <= lifetime:
                break
        else:
            reference = min((real, now), key=lambda r: abs(r - iat))
        issued = now - (reference - iat)
        self._sightings += 1
        if self._sightings % _PRUNE_EVERY == 0:
            self._prune(now, real)
        self._placed[credential] = (issued, iat, lifetime)
        return issued

    def _prune(self, now: float, real: float) -> None:
        """Forget credentials past their lifetime on both clocks: seen again, they are refused at
        first sight too, since neither clock makes them plausible any more."""
        limit = self._leeway
        stale = [
            key
            for key, (issued, iat, lifetime) in self._placed.items()
            if now - issued > lifetime + limit and real - iat > lifetime + limit
        ]
        for key in stale:
            del self._placed[key]

    def __len__(self) -> int:
        return len(self._placed)
