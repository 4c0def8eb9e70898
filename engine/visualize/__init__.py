"""Feature visualization: pictures painted from scratch of what a class, channel or layer looks for."""
from .api import ClassScore, VisualizeResult, method_names, register_method, summarize, visualize
from .settings import AtlasSettings, VisualizeSettings

__all__ = ["visualize", "VisualizeSettings", "VisualizeResult", "ClassScore", "register_method",
           "method_names", "summarize", "AtlasSettings"]
