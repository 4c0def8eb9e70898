"""Exceptions the engine raises on purpose; anything else is a bug."""


class DreamError(ValueError):
    """Bad input or settings; the message is one line meant for the user."""


class DreamCancelled(Exception):
    """The progress callback asked to stop."""
