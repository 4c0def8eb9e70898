"""Where dreamlayer keeps downloaded weights and other cached artifacts.

One per-user folder, the platform's usual cache place, so weights are fetched once
per machine and not once per project or per Krita profile.
"""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

CACHE_ENV = "DREAMLAYER_CACHE"
"""Environment variable that moves the cache (shared drives, offline machines, tests)."""


def cache_dir() -> Path:
    """The cache folder; ``$DREAMLAYER_CACHE`` wins, read on every call so tests and
    long-lived processes see changes. Not created here."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_cache_dir("dreamlayer"))


def models_dir() -> Path:
    """The folder for model weight files, created on demand."""
    path = cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
