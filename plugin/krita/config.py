"""The small JSON file the installer leaves next to the plugin: which Python runs the engine.

Krita's own ``sys.executable`` is not a usable interpreter, and Krita's Python has no
torch, so the engine's Python must be named explicitly at install time.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CONFIG_NAME = "install.json"


class ConfigError(ValueError):
    """The plugin's install record is missing or unusable; the message is one line."""


def read_config(plugin_dir: "str | os.PathLike[str]") -> dict[str, Any]:
    path = Path(plugin_dir) / CONFIG_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing; run `dreamlayer install krita` again.") from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path} cannot be read ({error}); run `dreamlayer install krita` again.") from None
    if not isinstance(data, dict) or not isinstance(data.get("engine_python"), str):
        raise ConfigError(f"{path} names no engine Python; run `dreamlayer install krita` again.")
    return data


def engine_python(plugin_dir: "str | os.PathLike[str]") -> str:
    """The engine's Python recorded at install time, checked to still be there."""
    python = read_config(plugin_dir)["engine_python"]
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise ConfigError(f"The engine's Python {python} is gone; run `dreamlayer install krita "
                          "--engine-python PATH` again.")
    return python
