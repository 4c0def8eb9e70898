"""Exceptions the engine raises on purpose; anything else is a bug."""


class DreamError(ValueError):
    """Bad input or settings; the message is one line meant for the user."""


class DreamCancelled(Exception):
    """The progress callback asked to stop."""


class BadRequest(ValueError):
    """A request the engine process cannot act on; the message is one line for the painter."""


def engine_failure(exc: BaseException) -> str:
    """One line about an unexpected failure for the painter; the traceback goes to the log."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"The engine failed: {first_line}"
