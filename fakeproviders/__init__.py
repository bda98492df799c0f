"""Fake APNs and FCM: request validation, auth, token registries, store-and-forward and servers.

This package imports nothing else of pushsim (DESIGN.md, the one-way rule).
"""
