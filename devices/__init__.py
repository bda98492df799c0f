"""Simulated phones: installed apps, permission models, the tray, app lifecycle, user actions.

This package imports nothing else of pushsim (DESIGN.md, the one-way rule).
"""
