"""Presets that promise the notebook's numbers set every setting those numbers depend on."""
import pytest

from core.config import Config
from core.presets import LECTURE_EXPERIMENTS, LOSS_LOG_STAGES, preset_config


@pytest.mark.parametrize("stage", LOSS_LOG_STAGES)
@pytest.mark.parametrize("before", LECTURE_EXPERIMENTS[:1] + ("linear-gain-5-3",))
def test_a_loss_log_stage_after_a_deep_net_is_the_notebooks_net(stage, before):
    after_deep = preset_config(stage, preset_config(before, Config(data="x.txt", engine="exact")))
    fresh = preset_config(stage, Config(data="x.txt", engine="exact"))
    assert after_deep == fresh
    assert (after_deep.n_hidden, after_deep.n_embed, after_deep.block_size, after_deep.batch_size) == (200, 10, 3, 32)
    assert (after_deep.lr, after_deep.lr_after, after_deep.seed) == (0.1, 0.01, 2147483647)


def test_the_seed_preset_is_the_notebooks_run_whatever_came_before():
    assert preset_config("seed", preset_config("no-bn-gain-3")) == Config()
