"""Notifications for Psico: appointment emails with calendar invitations, and preferences."""

__version__ = "0.1.0"
