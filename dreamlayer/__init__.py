"""dreamlayer: DeepDream as a tool for painters (engine, dialog, editor plugins)."""

__version__ = "0.1.0"
