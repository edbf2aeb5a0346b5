"""Save and load checkpoints from the File menu (the core's format); a bad file is refused
with a readable message and the current run goes on untouched."""
import numpy as np
from window_helpers import inspect, wait_status

from core.checkpoint import load_checkpoint


def test_save_then_load_continues_where_it_was(qtbot, window, tmp_path):
    wb = window.workbench
    assert wb.save_checkpoint_action.shortcut().toString() == "Ctrl+S"
    assert wb.open_checkpoint_action in window.file_menu.actions()
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    path = tmp_path / "ckpt.pt"
    with qtbot.waitSignal(wb.files.checkpoint_saved, timeout=10_000):
        wb.files.save_checkpoint(path)
    saved = load_checkpoint(path)
    assert saved.step == 100
    W1 = inspect(qtbot, window).tensors["W1"]

    window.setup.init.boxes["batchnorm"].setChecked(False)
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.reset_action.trigger()
    with qtbot.waitSignal(wb.files.checkpoint_loaded, timeout=10_000):
        wb.files.load_checkpoint(path)
    def check():
        assert window.run.status.step == 100 and window.live.loss_plot.curve.n == 100
    qtbot.waitUntil(check)
    trainer = inspect(qtbot, window)
    assert np.array_equal(trainer.tensors["W1"], W1) and trainer.cfg.batchnorm
    assert window.setup.config() == trainer.cfg and not window.setup.pending.isVisibleTo(window)
    assert wb.runs.current.record.name.endswith("from ckpt.pt") and wb.runs.current.record.steps == 100
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 101)


def test_a_bad_checkpoint_is_refused_and_the_run_goes_on(qtbot, window, tmp_path):
    wb = window.workbench
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    trainer, run = inspect(qtbot, window), window.run.info
    bad = tmp_path / "notes.pt"
    bad.write_text("not a checkpoint")
    wb.files.load_checkpoint(bad)
    def check():
        assert "not a makemore playground checkpoint" in window.message_bar.text
    qtbot.waitUntil(check)
    assert "current run is unchanged" in window.message_bar.text
    assert inspect(qtbot, window).run_id == trainer.run_id and window.run.info is run   # the same trainer
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 101)
