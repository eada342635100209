"""annotator.config: every setting typed, bounded and frozen, and listed in the README with its default."""

from __future__ import annotations

import re
from pathlib import Path

from annotator.config import SETTINGS


def test_readme_settings_table_lists_every_setting_with_its_default():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", readme, flags=re.MULTILINE))
    for key, spec in SETTINGS.items():
        shown = '""' if spec.default == "" else str(spec.default)
        assert rows.get(key) == shown, f"README's settings table: {key} should show {shown}"


def test_every_numeric_setting_has_finite_bounds():
    from annotator.config import coerce_setting

    for key, spec in SETTINGS.items():
        if spec.kind in (int, float):
            assert spec.minimum is not None and spec.maximum is not None, key
            assert coerce_setting(key, spec.default) == spec.default, key


def test_settings_are_a_typed_frozen_value_checked_on_change():
    import dataclasses

    import pytest

    from annotator.config import SETTINGS, Settings
    from annotator.errors import InputError

    settings = Settings()
    assert [f.name for f in dataclasses.fields(settings)] == list(SETTINGS)
    assert all(getattr(settings, key) == spec.default for key, spec in SETTINGS.items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.batch_size = 3
    assert settings.changed(batch_size="40").batch_size == 40
    with pytest.raises(InputError, match="batch_size"):
        settings.changed(batch_size=0)
    loaded, problems = Settings.from_stored({"seed": float("nan"), "strategy": "entropy", "future_setting": 1})
    assert (loaded.seed, loaded.strategy) == (0, "entropy") and list(problems) == ["seed"]
