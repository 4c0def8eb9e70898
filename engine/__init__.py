"""The dream engine (PyTorch). Import it only in the engine's own Python, never in an editor."""
from .dream import DreamResult, Progress, dream
from .errors import DreamCancelled, DreamError

__all__ = ["dream", "Progress", "DreamResult", "DreamCancelled", "DreamError"]
