"""Issue 13 in the window: the fields hold every value the command line and setup files take,
exactly; hostile files, a full disk and a close during a long Evaluate end in a message (or a
prompt close), never a hang, a crash or a silently changed value."""
import os
import shutil
import threading

import pytest
from fault_helpers import assert_intact, run_state, type_into, wait_answered
from window_helpers import WAIT_MS, inspect, wait_status

import core.training.trainer
from core.checkpoint import save_checkpoint
from core.config import Config, ConfigError, load_config_file, save_config_file
from core.data import Dataset
from core.model.mlp import MLP
from core.training.trainer import Trainer
from gui.bridge.worker import TrainingWorker
from gui.panels import SetupPanel
from gui.workbench.export import ExportError

BIG_SEED = 2**53 + 1
# every one beyond what a QSpinBox (2**31 - 1) or an 8-decimal QDoubleSpinBox can hold
EXTREMES = Config(lr=0.123456789, lr_after=1e-7, block_size=100, n_hidden=15_000, seed=BIG_SEED,
                  max_steps=2**31 + 5, lr_decay_step=2**33, batch_size=100_000_000)


# -- 2. the fields hold what training uses ----------------------------------------------------------

def test_the_panels_hold_every_value_exactly(qtbot):
    panel = SetupPanel()
    qtbot.addWidget(panel)
    for cfg in (EXTREMES, Config(n_hidden=150_000, seed=2**64 - 1, lr=5e-324, max_steps=10**12)):
        panel.set_config(cfg)
        assert panel.config() == cfg
        assert panel.training.lr.text() == str(cfg.lr)     # shown as it is, not rounded


def test_a_value_a_field_refuses_never_leaves_it_deaf(qtbot):
    panel = SetupPanel()
    qtbot.addWidget(panel)
    with pytest.raises(ValueError, match="at most 1,000,000,000,000"):
        panel.set_config(Config(max_steps=10**13))       # not validated: the field itself refuses it
    with qtbot.waitSignal(panel.training.live_changed, timeout=WAIT_MS):   # and still says when it changes
        panel.training.max_steps.setValue(500)


def test_the_window_starts_with_values_past_2_31_and_an_edit_changes_only_itself(qtbot, make_window):
    window = make_window(lr=0.123456789, max_steps=2**31 + 5, lr_decay_step=2**33, seed=BIG_SEED)
    trainer = inspect(qtbot, window)
    assert (trainer.cfg.max_steps, trainer.cfg.lr_decay_step, trainer.cfg.seed) == (2**31 + 5, 2**33, BIG_SEED)
    assert window.setup.config() == trainer.cfg
    type_into(qtbot, window.setup.training.batch_size, "16")     # an unrelated edit
    window.setup.training.flush()
    assert inspect(qtbot, window).cfg == trainer.cfg.replace(batch_size=16)   # lr untouched


def test_typed_values_are_taken_exactly(qtbot, window):
    training = window.setup.training
    type_into(qtbot, training.lr, "0.123456789")
    type_into(qtbot, training.max_steps, "3,000,000,000")
    assert training.lr.value() == 0.123456789 and training.max_steps.value() == 3_000_000_000
    training.flush()
    trained = inspect(qtbot, window).cfg
    assert trained.max_steps == 3_000_000_000
    assert trained.lr == 0.123456789 and window.message_bar.text == ""


def test_open_setup_then_save_setup_writes_the_same_values(qtbot, window, tmp_path):
    cfg = Config(data=window.run.info.cfg.data, lr=1e-7, block_size=100, seed=0, n_hidden=30,
                 max_steps=10**12, lr_decay_step=2**35)
    save_config_file(cfg, tmp_path / "in.toml")
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        window.workbench.files.load_setup(tmp_path / "in.toml")
    assert inspect(qtbot, window).cfg == cfg and window.setup.config() == cfg
    window.workbench.files.save_setup(tmp_path / "out.toml")
    assert load_config_file(tmp_path / "out.toml") == cfg
    assert (tmp_path / "out.toml").read_text() == (tmp_path / "in.toml").read_text()


def test_a_setup_value_beyond_the_limits_is_refused_not_cut_to_fit(qtbot, window, tmp_path):
    before = window.setup.config()
    (tmp_path / "s.toml").write_text("seed = -1\n")
    with pytest.raises(ConfigError, match="seed must be at least 0"):
        window.workbench.files.load_setup(tmp_path / "s.toml")
    assert window.setup.config() == before


def test_a_checkpoint_with_max_steps_past_2_31_loads_in_the_window(qtbot, window, tmp_path, words_path):
    cfg = Config(data=str(words_path), max_steps=2**31 + 5, lr_decay_step=2**32)
    trainer = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    trainer.train(20)
    save_checkpoint(trainer, tmp_path / "big.pt")
    with qtbot.waitSignal(window.workbench.files.checkpoint_loaded, timeout=WAIT_MS):
        window.workbench.files.load_checkpoint(tmp_path / "big.pt")
    def check():
        assert window.run.status.step == 20
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert window.setup.config() == inspect(qtbot, window).cfg == cfg
    assert "Loading" not in window.statusBar().currentMessage()


# -- 3. a FIFO is refused, not read ------------------------------------------------------------------

def test_a_fifo_is_refused_and_the_run_goes_on(qtbot, window, tmp_path):
    before = run_state(qtbot, window)
    fifo = tmp_path / "names.fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)   # held open: reading it would never end
    try:
        window.control.use_dataset(str(fifo))
        def check():
            assert "named pipe" in window.message_bar.text
        qtbot.waitUntil(check, timeout=WAIT_MS)
    finally:
        os.close(writer)
    wait_answered(qtbot, window)
    assert_intact(qtbot, window, before)


# -- 5. a full disk says so ---------------------------------------------------------------------------

def test_a_full_disk_while_saving_a_checkpoint_says_so(qtbot, make_window, small_filesystem):
    window = make_window(n_hidden=400)
    folder = small_filesystem("16k")
    window.workbench.files.save_checkpoint(folder / "run.pt")
    def check():
        assert "No space left on device" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert os.listdir(folder) == []


# -- 6. wild setup files -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, text, words", [
    ("inf.toml", "max_steps = inf\n", "whole number"),
    ("big.json", '{"n_hidden": 1e400}', "whole number"),
    ("nested.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_a_wild_setup_file_is_refused_with_a_message(qtbot, window, tmp_path, name, text, words):
    before = window.setup.config()
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=words):
        window.workbench.files.load_setup(tmp_path / name)
    assert window.setup.config() == before


# -- 7. closing during a long Evaluate -------------------------------------------------------------------

def test_closing_during_a_long_evaluate_stops_the_worker(qtbot, window, monkeypatch):
    """The evaluation runs in one-row pieces that, once the window has asked the worker to
    stop, hold up the second piece begun after that for 30 s: only an evaluation that checks
    for cancellation between pieces lets the window close at once."""
    monkeypatch.setattr(core.training.trainer, "EVAL_ELEMENTS", 1)
    monkeypatch.setattr(core.training.trainer, "EVAL_CHUNK_ELEMENTS", 1, raising=False)   # absent before issue 13
    stop_asked, release = threading.Event(), threading.Event()
    pieces, after_stop = [], []
    real_loss, real_stop = MLP.loss, TrainingWorker.request_stop

    def loss(self, x, y):
        pieces.append(1)
        if stop_asked.is_set():
            after_stop.append(1)
            if len(after_stop) >= 2:
                release.wait(30)
        return real_loss(self, x, y)

    monkeypatch.setattr(MLP, "loss", loss)
    monkeypatch.setattr(TrainingWorker, "request_stop", lambda self: (stop_asked.set(), real_stop(self)))
    try:
        window.evaluate_action.trigger()
        def check():
            assert len(pieces) > 0
        qtbot.waitUntil(check, timeout=WAIT_MS)
        window.close()
        assert window.session.is_stopped and len(after_stop) <= 1
    finally:
        release.set()


# -- 8. the loss log trains on the run's own words ---------------------------------------------------------

def test_the_loss_log_runs_after_the_checkpoints_word_list_was_deleted(qtbot, window, tmp_path, words_path):
    copy = tmp_path / "copy.txt"
    shutil.copy(words_path, copy)
    trainer = Trainer(Config(data=str(copy)), Dataset.load(str(copy), 3))
    trainer.train(10)
    save_checkpoint(trainer, tmp_path / "run.pt")
    copy.unlink()
    wb = window.workbench
    with qtbot.waitSignal(wb.files.checkpoint_loaded, timeout=WAIT_MS):
        wb.files.load_checkpoint(tmp_path / "run.pt")
    with qtbot.waitSignal(wb.loss_log.finished, timeout=60_000) as finished:
        wb.loss_log.start(max_steps=100)
    assert finished.args == [True] and "No such file" not in window.message_bar.text


# -- 12. the divergence names its cause ---------------------------------------------------------------------

def test_a_zero_batch_std_is_named_in_the_window(qtbot, make_window, tmp_path):
    path = tmp_path / "aaaa.txt"
    path.write_text(("a" * 20_000 + "\n") * 10)      # every training context is "aaa"
    window = make_window(data=str(path))
    window.step_action.trigger()
    def check():
        assert "became NaN" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert "batch std of 0" in window.message_bar.text
    assert "lower the learning rate" not in window.statusBar().currentMessage().lower()


# -- 14. PNG export failures say why ---------------------------------------------------------------------

def test_a_png_export_that_fails_says_why(qtbot, window, tmp_path):
    wb = window.workbench
    for path in (tmp_path / "missing" / "loss.png", tmp_path / "missing" / "loss.svg"):
        with pytest.raises(ExportError, match="No such file or directory"):
            wb.files.export_plot("Loss", path)
    (tmp_path / "a-folder.png").mkdir()
    with pytest.raises(ExportError, match="Is a directory"):
        wb.files.export_plot("Loss", tmp_path / "a-folder.png")
    with pytest.raises(ExportError, match="No such file or directory"):
        wb.files.save_window_image(tmp_path / "missing" / "window.png")
    wait_status(qtbot, window, lambda s: s.step == 0)
