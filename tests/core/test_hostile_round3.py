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
