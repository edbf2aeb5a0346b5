"""The window as a learner meets it (issue 18): what it shows is true, nothing hidden."""
from __future__ import annotations

from window_helpers import WAIT_MS

from core.config import Config
from core.presets import preset_config


def test_add_bn_after_the_deep_net_trains_the_notebooks_net(qtbot, window, words_path):
    init = window.setup.init
    with qtbot.waitSignal(window.run_started, timeout=WAIT_MS):
        init.experiment_buttons["lecture-deep"].click()
    assert window.run_info.cfg.n_hidden == 100
    with qtbot.waitSignal(window.run_started, timeout=WAIT_MS):
        init.stage_buttons["add BN"].click()
    assert window.run_info.cfg == preset_config("add-bn", Config(data=str(words_path)))
    assert window.run_info.cfg.n_hidden == 200
    with qtbot.waitSignal(window.run_started, timeout=WAIT_MS):
        init.seed_button.click()
    assert window.run_info.cfg == Config(data=str(words_path))
