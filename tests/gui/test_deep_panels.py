"""The Model panel's depth settings and the lecture's experiments, one click each."""
import numpy as np
import pytest
from window_helpers import WAIT_MS, inspect, wait_idle

from core.config import Config
from core.data import Dataset
from core.presets import CATALOGUE, LECTURE_EXPERIMENTS, preset_config
from core.training.trainer import Trainer

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.mark.parametrize("name", LECTURE_EXPERIMENTS)
def test_each_experiment_preset_builds_the_network_it_names(qtbot, make_window, words_path, name):
    window = make_window()
    window.setup.init.experiment_buttons[name].click()
    expected = preset_config(name, Config(data=str(words_path)))
    def check():
        assert window.run.info.cfg == expected
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    model = inspect(qtbot, window)
    assert model.n_blocks == expected.n_layers + 1 == 6
    assert all((("BatchNorm1d", k) in model.layers) == expected.batchnorm for k in range(model.n_blocks))
    assert [("Tanh", k) in model.layers for k in range(5)] == [expected.activation == "tanh"] * 5
    fresh = Trainer(expected, Dataset.load(str(words_path), expected.block_size)).model
    assert all(np.array_equal(model.tensors[f"W{k}"], fresh.state()[f"W{k}"].numpy()) for k in range(1, 7))
    assert window.workbench.runs.current.record.name.endswith(CATALOGUE[name].label)   # in the runs table
    panel = window.setup.model
    assert panel.n_layers.value() == 5 and panel.gain.value() == expected.w1_gain
    assert panel.activation.currentText() == expected.activation and not window.setup.pending.isVisible()


def type_into(qtbot, field, text):
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, "\r")


def test_depth_and_gain_fields_take_5_3_refuse_nonsense_and_apply_on_reset(qtbot, make_window):
    window = make_window()
    panel = window.setup.model
    refused = []
    window.setup.refused.connect(refused.append)
    type_into(qtbot, panel.gain, "3")
    type_into(qtbot, panel.gain, "5/3")
    assert panel.gain.value() == 5 / 3 and panel.gain.text() == "5/3"
    for bad in ("abc", "0", "1/0", "2000"):        # core.config.LIMITS: greater than 0, at most 1,000
        type_into(qtbot, panel.gain, bad)
        assert panel.gain.value() == 5 / 3 and panel.gain.text() == "5/3"
    assert len(refused) == 4 and "not a valid gain" in refused[0] and "It stays 5/3" in refused[0]
    type_into(qtbot, panel.gain, "1")
    panel.n_layers.setValue(3)
    panel.activation.setCurrentIndex(panel.activation.findText("none"))
    assert window.setup.pending.isVisible() and window.run.info.cfg.n_layers == 1   # not before Reset
    assert "n_layers 1 → 3" in window.setup.pending.text() and "w1_gain 5/3 → 1" in window.setup.pending.text()
    window.reset_action.trigger()
    def check():
        assert window.run.info.cfg.n_layers == 3
    qtbot.waitUntil(check, timeout=WAIT_MS)
    cfg = window.run.info.cfg
    assert (cfg.w1_gain, cfg.activation) == (1.0, "none") and not window.setup.pending.isVisible()
    assert inspect(qtbot, window).n_blocks == 4
    panel.n_layers.lineEdit().setText("9")         # more than core allows: refused, not cut to 8
    panel.n_layers.interpretText()
    qtbot.keyClick(panel.n_layers, "\r")
    assert panel.n_layers.value() == 3
    assert len(refused) == 5 and "from 1 to 8" in refused[-1]


def test_a_deep_setup_is_remembered_and_saved_unchanged(qtbot, make_window, tmp_path):
    first = make_window()
    first.setup.init.experiment_buttons["no-bn-gain-5-3"].click()
    def check():
        assert first.run.info.cfg.n_layers == 5
    qtbot.waitUntil(check, timeout=WAIT_MS)
    path = first.workbench.files.save_setup(tmp_path / "deep.toml")
    first.close()
    second = make_window(saved=True)
    panel = second.setup.model
    assert panel.gain.text() == "5/3" and panel.gain.value() == 5 / 3
    assert (panel.n_layers.value(), panel.style.currentText(), panel.activation.currentText()) == (5, "lecture", "tanh")
    assert second.run.info.cfg == first.run.info.cfg
    second.workbench.files.load_setup(path)
    wait_idle(qtbot, second)
    assert second.setup.config() == first.run.info.cfg


def test_a_gain_typed_without_enter_goes_in_with_the_next_reset(qtbot, make_window):
    window = make_window()
    gain = window.setup.model.gain
    gain.selectAll()
    qtbot.keyClicks(gain, "3")          # no Enter, focus still there: the toolbar's Reset takes no focus
    window.reset_action.trigger()
    def check():
        assert window.run.info.cfg.w1_gain == 3.0
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_the_runs_table_shows_the_gain_as_typed(qtbot, make_window):
    from gui.workbench.runs import COLUMNS
    window = make_window()
    window.setup.init.experiment_buttons["no-bn-gain-5-3"].click()
    def check():
        assert window.run.info.cfg.w1_gain == 5 / 3
    qtbot.waitUntil(check, timeout=WAIT_MS)
    model = window.workbench.runs.runs_model
    assert model.data(model.index(0, COLUMNS.index("w1_gain"))) == "5/3"     # the newest run is the first row
