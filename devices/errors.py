"""The root of every error the devices package raises."""

from __future__ import annotations


class DeviceError(Exception):
    """A user action that the phone cannot carry out (unknown app, no such notification…)."""
