"""makemore part 5 in the window: its performance log one click each, the net's tree beside the
Model panel, and the fuse setting refused in a sentence when the widths cannot fit the context."""
import pytest
import torch
from window_helpers import WAIT_MS, wait_idle

from core.config import Config
from core.model.mlp import MLP
from core.presets import CATALOGUE, PART5_LOG, WAVENET_LADDER, preset_config

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def type_into(qtbot, field, text):
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, "\r")


def test_each_part5_preset_builds_its_net_and_draws_its_tree(qtbot, make_window, words_path):
    window = make_window()
    assert not window.setup.tree.isVisible()          # the seed's net: no tree
    units = {"wavenet-flat-3": [3, 1, 1], "wavenet-flat-8": [8, 1, 1], "wavenet-bn-bug": [8, 4, 2, 1, 1],
             "wavenet-22k": [8, 4, 2, 1, 1], "wavenet": [8, 4, 2, 1, 1]}
    for name in WAVENET_LADDER:
        button = window.setup.init.experiment_buttons[name]
        ref = PART5_LOG[name]
        assert f"train {ref.train:.3f}, val {ref.val:.3f}" in button.toolTip()
        button.click()
        expected = preset_config(name, Config(data=str(words_path)))
        qtbot.waitUntil(lambda e=expected: window.run.info.cfg == e, timeout=WAIT_MS)
        wait_idle(qtbot, window)
        vocab = len(window.run.info.vocab)
        assert window.run.info.n_parameters == MLP(expected, vocab, torch.Generator()).n_parameters()
        assert window.workbench.runs.current.record.name.endswith(CATALOGUE[name].label)   # in the runs table
        tree = window.setup.tree
        assert tree.isVisible() and [layer.units for layer in tree.tree] == units[name]
        assert window.setup.model.fuse.text() == expected.fuse
    assert "layer 1: 4 units of 128, each sees 2 characters (1-2, 3-4, 5-6, 7-8)" in window.setup.tree.toolTip()


def test_fuse_field_refuses_widths_out_of_range_and_reset_refuses_widths_that_do_not_fit(qtbot, make_window):
    window = make_window()
    window.setup.init.experiment_buttons["wavenet-22k"].click()
    def check():
        assert window.run.info.cfg.layer_style == "wavenet"
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    panel, refused = window.setup.model, []
    window.setup.refused.connect(refused.append)
    type_into(qtbot, panel.fuse, "2,0")
    assert panel.fuse.text() == "2,2,2" and "number of positions a block fuses must be at least 1" in refused[-1]
    type_into(qtbot, panel.fuse, "2, 2, 2, 2")
    assert panel.fuse.text() == "2,2,2,2" and "fuse 2,2,2 → 2,2,2,2" in window.setup.pending.text()
    assert "Hidden layer 4 would fuse 2 positions but only 1 is left" in window.setup.tree.problem
    assert panel.n_layers.value() == 4               # one hidden layer per width
    window.reset_action.trigger()
    qtbot.waitUntil(lambda: "would fuse 2 positions but only 1 is left" in window.message_bar.text,
                    timeout=WAIT_MS)
    assert window.run.info.cfg.fuse == "2,2,2"          # the run goes on with the net it had
    type_into(qtbot, panel.fuse, "4,2")
    window.reset_action.trigger()
    def check():
        assert window.run.info.cfg.fuse == "4,2"
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert [layer.units for layer in window.setup.tree.tree] == [8, 2, 1, 1]
