"""Accounts for Psico: users, profiles, specializations, token auth and the public directory."""

__version__ = "0.1.0"
