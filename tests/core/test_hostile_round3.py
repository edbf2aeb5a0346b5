"""Hostile input, round 3 (issue 19): the core's side of it."""
from __future__ import annotations

import pytest

from core.config import LIMITS, Config, ConfigError


@pytest.mark.parametrize("name", ["w1_gain", "w1_scale"])
@pytest.mark.parametrize("value", [1e-320, 1e-45, 1e-38])
def test_a_factor_that_underflows_float32_is_refused_saying_so(name, value):
    """item 12: W1 would become all zeros and the NaN at step 0 be blamed on the batch."""
    with pytest.raises(ConfigError, match="zero in float32"):
        Config(**{name: value}).validate()
    with pytest.raises(ConfigError, match="zero in float32"):
        LIMITS[name].parse(repr(value))


def test_a_small_factor_that_float32_keeps_still_trains(names_dataset):
    from core.training.trainer import Trainer
    t = Trainer(Config(w1_gain=1e-6, max_steps=3, engine="exact"), names_dataset)
    losses = t.train(3)
    assert t.divergence is None and len(losses) == 3


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("name", ["names 😀.txt", "𝒩ames.txt", 'a "quoted"\\ name\t\x7f.txt', "línea\nnueva.txt"])
def test_every_setup_the_app_writes_it_reads_back(tmp_path, suffix, name):
    """item 10: json.dumps wrote 😀 as a surrogate pair, which TOML forbids."""
    from core.config import load_config_file, save_config_file
    cfg = Config(data=str(tmp_path / name), lr=0.05, w1_scale=0.2)
    path = tmp_path / f"setup{suffix}"
    save_config_file(cfg, path)
    assert load_config_file(path) == cfg


def test_a_path_that_is_not_text_is_refused_on_save_not_written_unreadable(tmp_path):
    from core.config import save_config_file
    path = tmp_path / "setup.toml"
    with pytest.raises(ConfigError, match="not text"):
        save_config_file(Config(data="names\udcff.txt"), path)
    assert not path.exists()
