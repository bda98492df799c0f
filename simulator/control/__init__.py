"""The control API: drive the phones and inspect everything over HTTP + JSON (DESIGN.md)."""

from __future__ import annotations

from simulator.control.app import create_control_app

__all__ = ["create_control_app"]
