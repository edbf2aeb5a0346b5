"""The lecture's BatchNorm calibration cell, with the val loss before and after it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.config import ConfigError
from core.model.layers import Norm
from core.training.trainer import Trainer


@dataclass(frozen=True)
class Calibration:
    step: int                # steps trained when calibrated
    examples: int            # training examples the mean and std were measured over
    val_before: float        # val loss with the running mean/std training left
    val_after: float         # ... and with the ones measured over the whole training split
    mean_change: float       # largest change of any neuron's mean (over every BatchNorm)
    std_change: float        # largest change of any neuron's std


def calibrate(trainer: Trainer, cancelled: Callable[[], bool] | None = None) -> Calibration:
    """Replace BN's running mean/std by the training split's (Trainer.calibrate_batchnorm);
    raises ConfigError when BatchNorm is off, and Cancelled (nothing changed) when
    `cancelled()` turns true between two pieces of a large split."""
    if not trainer.cfg.batchnorm:
        raise ConfigError("BatchNorm is off: there are no statistics to calibrate.")
    bns = trainer.model.batchnorms()
    old = [(bn.running_mean, _std(bn, bn.running_spread)) for bn in bns]
    before = trainer.split_loss("val", cancelled=cancelled)
    trainer.calibrate_batchnorm(cancelled=cancelled)
    after = trainer.split_loss("val")
    return Calibration(trainer.step, int(trainer.splits["train"][0].shape[0]), before, after,
                       max(float((bn.running_mean - m).abs().max()) for bn, (m, _) in zip(bns, old, strict=True)),
                       max(float((_std(bn, bn.running_spread) - s).abs().max())
                           for bn, (_, s) in zip(bns, old, strict=True)))


def _std(bn, spread):
    """The seed's BatchNorm keeps a running std, the lecture's a running variance."""
    return spread if bn.kind == Norm.SEED else spread.sqrt()
