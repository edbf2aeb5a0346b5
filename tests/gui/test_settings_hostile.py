"""A damaged settings file never stops the window: each bad stored value is ignored (its
default used) and the rest restored (issue 19, item 2)."""
from __future__ import annotations

import json

import pytest

from core.config import Config
from core.model.sample import NOTEBOOK_SAMPLE_SEED
from gui.settings import load_config, open_settings

DEEP = "[" * 100_000 + "]" * 100_000
SAMPLE_DEFAULTS = {"samples/count": 20, "samples/temperature": 1.0, "samples/seed": NOTEBOOK_SAMPLE_SEED}
# a valid value for every key the corruption below does not touch, so "the rest restored" is checked
GOOD = {"samples/count": 7, "samples/temperature": 0.5, "samples/seed": 42}
CORRUPTIONS = [
    ("samples/count", "abc"), ("samples/count", "99999"), ("samples/count", ""), ("samples/count", "-3"),
    ("samples/temperature", "0"), ("samples/temperature", "nan"), ("samples/temperature", "1e309"),
    ("samples/temperature", "abc"),
    ("samples/seed", "-5"), ("samples/seed", "1e30"), ("samples/seed", "1.5"), ("samples/seed", "2" * 40),
    ("window/geometry", "not a geometry"), ("window/splitter", "not a state"),
    ("workbench/smoothing", "abc"), ("workbench/smoothing", "7"), ("workbench/overlay_smoothing", "nan"),
    ("samples/random", "perhaps"), ("workbench/folder", ["a", "b"]), ("data/last_folder", ["a", "b"]),
    ("setup/config", DEEP), ("setup/config", "[1, 2]"), ("setup/config", "{not json"),
    ("setup/config", json.dumps({"lr": "abc", "n_hidden": 10**9})),
]


@pytest.mark.parametrize(("key", "value"), CORRUPTIONS, ids=[f"{k}={str(v)[:12]}" for k, v in CORRUPTIONS])
def test_a_bad_stored_value_is_ignored_and_the_window_opens(qtbot, make_window, words_path, key, value):
    s = open_settings()
    for good_key, good in GOOD.items():
        s.setValue(good_key, good)
    s.setValue("setup/config", json.dumps({**Config(data=str(words_path)).to_dict(), "n_hidden": 48}))
    s.setValue(key, value)
    s.sync()

    window = make_window(saved=True)

    samples = {"samples/count": window.samples.count.value(), "samples/temperature": window.samples.temperature.value(),
               "samples/seed": window.samples.seed.value()}
    for name, shown in samples.items():
        assert shown == (SAMPLE_DEFAULTS[name] if name == key else GOOD[name]), name
    if key != "setup/config":
        assert window.run.info.cfg.n_hidden == 48 and window.run.info.cfg.data == str(words_path)


def test_each_stored_setup_value_is_checked_alone():
    s = open_settings()
    s.setValue("setup/config", json.dumps({"lr": "abc", "n_hidden": 64, "seed": -5, "batch_size": 1.5,
                                           "block_size": 4}))
    assert load_config(s) == Config(n_hidden=64, block_size=4)
