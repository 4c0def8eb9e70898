"""Shared fixtures for the dialog and client tests: offscreen Qt, private stores, a real engine."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys
from pathlib import Path

import pytest
from PyQt5.QtCore import QSettings

from dreamlayer.ui.client import EngineClient
from dreamlayer.ui.presets import PresetStore
from dreamlayer.ui.store import SettingsStore
from uihelpers import wait_for


@pytest.fixture
def settings_store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(QSettings(str(tmp_path / "dialog.ini"), QSettings.IniFormat))


@pytest.fixture
def preset_store(tmp_path: Path) -> PresetStore:
    return PresetStore(tmp_path / "presets.json")


@pytest.fixture(scope="session")
def engine(qapp) -> EngineClient:
    """One real engine process for the session, as the editor keeps one; tests that break it use their own."""
    client = EngineClient(sys.executable)
    client.start()
    wait_for(lambda: client.is_ready)
    yield client
    client.shutdown()


@pytest.fixture
def fresh_engine(qapp) -> EngineClient:
    """A real engine of the test's own, for tests that kill or restart it."""
    client = EngineClient(sys.executable)
    yield client
    client.shutdown()
