"""Scheduling for Psico: weekly availability, blocked dates, slots and appointments."""

__version__ = "0.1.0"
