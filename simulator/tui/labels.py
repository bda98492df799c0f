"""How times and tokens are written on screen.

Times are shown relative to the simulation's start (``T+0d 00:01:05``), tokens as a short prefix.
Both vary from run to run (a real-speed clock, random tokens), so snapshot tests and the README
screenshot use :class:`StableLabels`, which hides the seconds and names tokens by order of
appearance.
"""

from __future__ import annotations

import time as _time


class Labels:
    """Readable times and tokens for one simulation (``origin``: its start on the clock)."""

    def __init__(self, origin: float = 0.0, *, token_width: int = 8) -> None:
        self.origin = origin
        self.token_width = token_width

    def time(self, at: float) -> str:
        """``T+1d 02:03:04``: how long after the start ``at`` is."""
        seconds = max(0, int(at - self.origin))
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"T+{days}d {hours:02}:{minutes:02}:{secs:02}"

    def wall(self, at: float) -> tuple[str, str]:
        """The lock screen's clock and date at ``at``: ``("09:41", "Sat 28 Nov")``."""
        local = _time.localtime(at)
        return _time.strftime("%H:%M", local), _time.strftime("%a %d %b", local)

    def note_token(self, token: str) -> None:
        """A token was issued (called in timeline order); :class:`StableLabels` numbers it."""

    def note_id(self, notification_id: str) -> None:
        """A notification id appeared (called in timeline order)."""

    def ident(self, notification_id: str | None) -> str:
        """A sender's notification id (a UUID), shortened."""
        if not notification_id:
            return "—"
        return notification_id if len(notification_id) <= 10 else notification_id[:8] + "…"

    def token(self, token: str | None) -> str:
        """The first characters of a token, enough to tell tokens apart by eye."""
        if not token:
            return "—"
        if token.startswith("topic:"):
            return token
        return token[: self.token_width] + "…"


class StableLabels(Labels):
    """Labels that do not change between runs: seconds masked, tokens numbered ``tok1``, ``tok2``…,
    notification ids ``#1``, ``#2``…

    A real-speed clock moves a little while a test runs, and tokens are random; this keeps them out
    of snapshots (the minutes still show, so advancing the clock is visible).
    """

    def __init__(self, origin: float = 0.0) -> None:
        super().__init__(origin)
        self._aliases: dict[str, str] = {}
        self._ids: dict[str, str] = {}

    def time(self, at: float) -> str:
        return super().time(at)[:-2] + "··"

    def wall(self, at: float) -> tuple[str, str]:
        """A lock screen that reads 09:41 at the start (Apple's keynote time), day 1."""
        minutes = int(max(0.0, at - self.origin) // 60) + 9 * 60 + 41
        days, minutes = divmod(minutes, 24 * 60)
        return f"{minutes // 60:02}:{minutes % 60:02}", f"day {days + 1}"

    def note_token(self, token: str) -> None:
        if token not in self._aliases:
            self._aliases[token] = f"tok{len(self._aliases) + 1}"

    def note_id(self, notification_id: str) -> None:
        if notification_id not in self._ids:
            self._ids[notification_id] = f"#{len(self._ids) + 1}"

    def token(self, token: str | None) -> str:
        if not token or token.startswith("topic:"):
            return super().token(token)
        self.note_token(token)
        return self._aliases[token]

    def ident(self, notification_id: str | None) -> str:
        if not notification_id:
            return super().ident(notification_id)
        self.note_id(notification_id)
        return self._ids[notification_id]


def printable(text: str) -> str:
    """``text`` safe to draw: lone surrogates and control characters (a push may carry any
    string) become visible escapes instead of breaking the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
