"""The root of every error the devices package raises."""

from __future__ import annotations


class DeviceError(Exception):
    """A user action that the phone cannot carry out (unknown app, no such notification…)."""


class NotFound(DeviceError):
    """The action names something the phone does not have: an app, a notification, a channel."""
