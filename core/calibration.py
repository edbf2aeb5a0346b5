"""The lecture's BatchNorm calibration cell, with the val loss before and after it."""
from __future__ import annotations

from dataclasses import dataclass

from .config import ConfigError
from .train import Trainer


@dataclass(frozen=True)
class Calibration:
    step: int                # steps trained when calibrated
    examples: int            # training examples the mean and std were measured over
    val_before: float        # val loss with the running mean/std training left
    val_after: float         # ... and with the ones measured over the whole training split
    mean_change: float       # largest change of any neuron's mean
    std_change: float        # largest change of any neuron's std


def calibrate(trainer: Trainer) -> Calibration:
    """Replace BN's running mean/std by the training split's (Trainer.calibrate_batchnorm);
    raises ConfigError when BatchNorm is off."""
    if not trainer.cfg.batchnorm:
        raise ConfigError("BatchNorm is off: there are no statistics to calibrate.")
    model = trainer.model
    mean, std = model.bnmean_running, model.bnstd_running
    before = trainer.split_loss("val")
    trainer.calibrate_batchnorm()
    after = trainer.split_loss("val")
    return Calibration(trainer.step, int(trainer.splits["train"][0].shape[0]), before, after,
                       float((model.bnmean_running - mean).abs().max()),
                       float((model.bnstd_running - std).abs().max()))
