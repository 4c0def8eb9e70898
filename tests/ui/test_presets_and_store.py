"""Built-in and saved presets, and the remembered dialog state."""
import json

import pytest
from PyQt5.QtCore import QSettings

from dreamlayer.settings import DreamSettings
from dreamlayer.ui.presets import BUILTIN, PresetStore
from dreamlayer.ui.store import KEY, SettingsStore


def test_builtins_are_the_three_named_looks_and_use_only_known_keys():
    assert [p.name for p in BUILTIN] == ["Classic 2015", "Gentle", "Deep"]
    known = set(DreamSettings().to_dict()) | {"mode", "layer_depth"}
    for preset in BUILTIN:
        assert set(preset.values) <= known and preset.description
        assert 0 <= preset.values["layer_depth"] <= 1


def test_builtins_set_every_setting_of_a_look_and_keep_the_seed():
    for preset in BUILTIN:
        look = {"mode", "layer_depth", "pattern_size", "octave_scale", "steps", "step_size", "jitter"}
        assert look <= set(preset.values)
        assert "seed" not in preset.values and "model" not in preset.values
    classic = next(p for p in BUILTIN if p.name == "Classic 2015")
    assert classic.values["step_size"] == DreamSettings().step_size


def test_saved_presets_survive_a_new_store_and_can_be_deleted(preset_store):
    preset_store.save("Mine", {"steps": 3, "mode": "channel", "channel": 4})
    again = PresetStore(preset_store.path)
    assert [p.name for p in again.all()] == [p.name for p in BUILTIN] + ["Mine"]
    assert again.find("Mine").values == {"steps": 3, "mode": "channel", "channel": 4}
    assert json.loads(preset_store.path.read_text())["presets"]["Mine"]["steps"] == 3
    again.delete("Mine")
    assert PresetStore(preset_store.path).user_presets() == []


def test_builtin_names_and_empty_names_are_refused(preset_store):
    with pytest.raises(ValueError, match="built-in"):
        preset_store.save("Gentle", {})
    with pytest.raises(ValueError, match="needs a name"):
        preset_store.save("  ", {})


def test_damaged_presets_file_counts_as_none(preset_store):
    preset_store.path.write_text("{ not json")
    assert preset_store.user_presets() == [] and len(preset_store.all()) == len(BUILTIN)


def test_remembered_state_round_trips_and_damage_is_forgotten(settings_store, tmp_path):
    assert settings_store.load() == {}
    settings_store.save({"steps": 7, "mode": "class", "label": "tabby"})
    reopened = SettingsStore(QSettings(str(tmp_path / "dialog.ini"), QSettings.IniFormat))
    assert reopened.load() == {"steps": 7, "mode": "class", "label": "tabby"}
    reopened.settings.setValue(KEY, "{broken")
    assert reopened.load() == {}
