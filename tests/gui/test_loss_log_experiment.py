"""The loss-log experiment: the notebook's four stages trained in the background, with
progress and Cancel, filling the runs table with the headless numbers."""
import io

import torch
from window_helpers import wait_status

from core.cli import build_parser, run
from core.data import Dataset
from core.presets import PRESETS, preset_config
from core.training.trainer import Trainer

STEPS = 200


def headless(base, name):
    cfg = preset_config(name, base).replace(max_steps=STEPS, lr_decay_step=STEPS // 2)
    t = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    while not t.done:
        t.train(1000)
    return t.split_loss("train"), t.split_loss("val")


def test_the_four_stages_fill_the_table_with_the_headless_numbers(qtbot, window):
    wb = window.workbench
    assert wb.loss_log_action.shortcut().toString() == "Ctrl+Shift+L"
    window.start_action.trigger()                        # the main run keeps training meanwhile
    with qtbot.waitSignal(wb.loss_log.finished, timeout=60_000) as finished:
        wb.loss_log.start(max_steps=STEPS)
        assert wb.loss_log.running and wb.loss_log.progress.isVisibleTo(window)
        assert wb.loss_log_action.text().startswith("Cancel")
        def check():
            assert "Loss log" in wb.loss_log.progress_label.text() and "/" in wb.loss_log.progress_label.text()
        qtbot.waitUntil(check)
    assert finished.args == [True]
    wait_status(qtbot, window, lambda s: s.running and s.step > 0)
    window.start_action.trigger()
    assert not wb.loss_log.progress.isVisibleTo(window) and not wb.loss_log.running

    runs = [r for r in wb.runs.run_log.runs if r.name.startswith("loss log: ")]
    assert [r.name for r in runs] == [f"loss log: {n}" for n in PRESETS]
    torch.set_num_threads(1)
    base = window.run.info.cfg
    for record, name in zip(runs, PRESETS, strict=True):
        assert record.steps == STEPS and record.config.max_steps == STEPS
        assert (record.train_loss, record.val_loss) == headless(base, name)
    out = io.StringIO()                                  # and the CLI, given the same stage as flags
    run(build_parser().parse_args(["--headless", "--samples", "0", "--data", base.data, "--steps", str(STEPS),
                                   "--lr-decay-step", str(STEPS // 2), "--no-fix-w2", "--no-fix-b2",
                                   "--no-fix-w1", "--no-fix-b1", "--no-batchnorm"]), out=out)
    assert out.getvalue().splitlines()[-2:] == [f"train {runs[0].train_loss}", f"val {runs[0].val_loss}"]
    assert wb.runs.runs_tab.overlaid == [r.run_id for r in reversed(runs)]    # shown together when done, newest first
    assert "Loss-log experiment done" in window.message_bar.text


def test_cancel_stops_the_experiment_and_keeps_what_it_did(qtbot, window):
    wb = window.workbench
    with qtbot.waitSignal(wb.loss_log.finished, timeout=30_000) as finished:
        wb.loss_log.start(max_steps=1_000_000)
        def check():
            assert wb.loss_log.progress_bar.value() > 0
        qtbot.waitUntil(check, timeout=20_000)
        wb.loss_log.cancel()
    assert finished.args == [False] and not wb.loss_log.running
    runs = [r for r in wb.runs.run_log.runs if r.name.startswith("loss log: ")]
    assert len(runs) == 1 and 1000 <= runs[0].steps < 1_000_000 and runs[0].val_loss is None


def test_closing_the_window_stops_the_experiment(qtbot, window):
    wb = window.workbench
    wb.loss_log.start(max_steps=1_000_000)
    def check():
        assert wb.loss_log.progress_bar.value() > 0
    qtbot.waitUntil(check, timeout=20_000)
    job = wb.loss_log.job            # it exists once the run's words have come from the worker
    window.close()
    assert job.isFinished() and job.cancelled
