"""Clinical notes sealed at rest, visible to their author only, and the audit log of Psico."""

__version__ = "0.1.0"
