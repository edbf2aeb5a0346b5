"""Calibrate BatchNorm: BN's running mean/std measured over the whole training split, with
the val loss before and after."""
import torch
from window_helpers import wait_status

from core.diagnostics.calibration import Calibration


def test_calibration_changes_the_bn_statistics_and_reports_both_losses(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    trainer = window.session.worker.trainer
    mean_before = trainer.model.bnmean_running.clone()
    std_before = trainer.model.bnstd_running.clone()
    val_before = trainer.split_loss("val")
    assert window.workbench.calibrate_action.isEnabled()
    assert window.workbench.calibrate_action.shortcut().toString() == "Ctrl+B"
    with qtbot.waitSignal(window.workbench.calibrated, timeout=10_000) as signal:
        window.workbench.calibrate_action.trigger()
    c: Calibration = signal.args[0]
    model = window.session.worker.trainer.model
    x, _ = trainer.splits["train"]
    raw = model.forward(x, training=False).raws[0]
    assert torch.equal(model.bnmean_running, raw.mean(0, keepdim=True))       # over the whole split
    assert torch.equal(model.bnstd_running, raw.std(0, keepdim=True))
    assert not torch.equal(model.bnmean_running, mean_before) and not torch.equal(model.bnstd_running, std_before)
    assert c.val_before == val_before and c.val_after == trainer.split_loss("val") and c.step == 100
    text = window.message_bar.text
    assert f"{c.val_before:.4f} → {c.val_after:.4f}" in text and "val loss" in text
    qtbot.waitUntil(lambda: any("calibrated" in e for _, e in trainer.events))
    qtbot.waitUntil(lambda: len(window.loss_plot.markers) == 1)   # a marker on the loss plot


def test_without_batchnorm_calibration_is_off(qtbot, make_window):
    window = make_window(batchnorm=False)
    assert not window.workbench.calibrate_action.isEnabled()
    window.workbench.calibrate()
    assert "BatchNorm is off" in window.message_bar.text
