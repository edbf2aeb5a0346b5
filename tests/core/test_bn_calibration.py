"""Calibrating BatchNorm over the whole training split, and the devices on offer."""
import pytest
import torch

from core.config import Config, ConfigError
from core.devices import available_devices
from core.diagnostics.calibration import calibrate
from core.training.trainer import Trainer


def test_calibration_measures_over_the_training_split_and_reports_val_loss(small_dataset):
    t = Trainer(Config(batch_size=16, n_hidden=30), small_dataset)
    t.train(200)
    val_before = t.split_loss("val")
    c = calibrate(t)
    x, _ = t.splits["train"]
    raw = t.model.forward(x, training=False).raws[0]
    assert torch.equal(t.model.bnmean_running, raw.mean(0, keepdim=True))
    assert torch.equal(t.model.bnstd_running, raw.std(0, keepdim=True))
    assert c.val_before == val_before and c.val_after == t.split_loss("val")
    assert c.val_after != c.val_before and c.mean_change > 0 and c.std_change > 0
    assert c.step == 200 and c.examples == x.shape[0]


def test_calibration_without_batchnorm_is_refused(small_dataset):
    t = Trainer(Config(batchnorm=False, batch_size=16), small_dataset)
    with pytest.raises(ConfigError, match="BatchNorm is off"):
        calibrate(t)


def test_devices():
    assert available_devices()[0] == "cpu"
    assert ("cuda" in available_devices()) == torch.cuda.is_available()
