"""Remembers the dialog's last state between runs (and between editor sessions) with QSettings."""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Optional

from .qt import QSettings

log = logging.getLogger("dreamlayer.ui")
KEY = "dialog/last"
ENGINE_KEY = "dialog/engine"  # where the dialog dreams: kept apart from the look that presets save


class SettingsStore:
    """The last dialog state as one JSON value; anything unreadable counts as nothing remembered."""

    def __init__(self, settings: Optional[QSettings] = None) -> None:
        self.settings = settings if settings is not None else QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, "dreamlayer", "dreamlayer")

    def load(self, key: str = KEY) -> dict[str, Any]:
        raw = self.settings.value(key, "", type=str)
        if not raw:
            return {}
        try:
            state = json.loads(raw)
        except ValueError as exc:
            log.warning("forgetting unreadable remembered settings: %s", exc)
            return {}
        return state if isinstance(state, dict) else {}

    def save(self, state: dict[str, Any], key: str = KEY, private: bool = False) -> None:
        """``private``: the state holds a secret (a remote engine's token), so the file becomes
        readable by its owner only."""
        self.settings.setValue(key, json.dumps(state))
        self.settings.sync()
        if private:
            try:
                os.chmod(self.settings.fileName(), 0o600)
            except OSError as exc:
                log.warning("cannot make %s private: %s", self.settings.fileName(), exc)
