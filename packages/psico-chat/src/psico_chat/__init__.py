"""Real-time chat per appointment for Psico, over Django Channels."""

__version__ = "0.1.0"
