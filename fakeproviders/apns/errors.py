"""The exception root of the fake APNs.

```
ApnsError
 ├── InvalidSigningKey   a .p8 key or its ids cannot be used
 └── UnknownToken        a registry call names a token it never issued
```

Request problems are never exceptions: they are ``Rejected`` decisions (``validation.py``).
"""

from __future__ import annotations


class ApnsError(Exception):
    """Something the fake APNs was asked to do cannot be done."""


class InvalidSigningKey(ApnsError, ValueError):
    """A signing key, team id or key id is malformed."""


class UnknownToken(ApnsError, KeyError):
    """The registry never issued this token."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token

    def __str__(self) -> str:
        return f"unknown APNs device token {self.token!r}"
