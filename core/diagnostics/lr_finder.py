"""The learning-rate finder: part 2's `lre = torch.linspace(-3, 0, 1000)` sweep, one SGD step per
rate from the current weights, read as fastai's `lr_find` reads it.

The rates grow exponentially from `start` to `end`; the loss is smoothed with fastai's debiased
moving average (beta 0.98) and the sweep stops early once the smoothed loss passes
`stop_factor` times its best. The suggestions are fastai's, computed on the smoothed curve
without its first tenth and its last five points: *valley* (the middle of the longest run of
falling loss, the one suggested), *steepest* (where the loss falls fastest per decade) and
*minimum/10* (a tenth of the rate at the lowest loss).

Nothing of the run is changed: the sweep trains a copy of the trainer (`detached_copy`: its
weights, BatchNorm's running statistics, batch generator, step and schedule), so the run goes on
bit for bit as if the finder had never run, its roll-back after a divergence included.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from core.config import ConfigError

LECTURE_RANGE = (1e-3, 1.0, 1000)    # part 2: 10 ** linspace(-3, 0, 1000)
FASTAI_RANGE = (1e-7, 10.0, 100)     # fastai's lr_find defaults
BETA = 0.98
STOP_FACTOR = 4.0
SUGGESTED = "valley"


@dataclass
class Suggestion:
    name: str          # "valley", "steepest" or "minimum/10"
    lr: float          # the rate suggested
    at_lr: float       # where it is marked on the curve
    at_loss: float


@dataclass
class FinderCurve:
    """The sweep so far: the rate, raw and smoothed loss of each step taken."""
    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    planned: int = 0               # steps the sweep would take without stopping early
    stopped: str = ""              # why it ended before `planned` steps ("" when it did not)
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def suggestion(self) -> Suggestion | None:
        """The one the finder suggests (valley), when there is one."""
        return next((s for s in self.suggestions if s.name == SUGGESTED), None)


def rates(start: float, end: float, steps: int) -> np.ndarray:
    """start ... end, evenly spaced in log10 (the lecture's 10 ** linspace(-3, 0, 1000))."""
    if not (0 < start < end) or steps < 2:
        raise ConfigError("The finder's range needs 0 < start < end and at least 2 steps.")
    return 10 ** torch.linspace(math.log10(start), math.log10(end), steps).numpy().astype(np.float64)


# -- fastai's suggestion functions (fastai.callback.schedule) --------------------------------
def valley(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    """The longest stretch over which the loss keeps falling; a point 1/3 + 1/6 of the way in."""
    n = len(losses)
    lds = np.ones(n, dtype=np.int64)        # longest decreasing run ending at i
    max_start = max_end = 0
    for i in range(1, n):
        higher = losses[:i] > losses[i]
        if higher.any():
            lds[i] = lds[:i][higher].max() + 1
        if lds[max_end] < lds[i]:
            max_end = i
            max_start = max_end - int(lds[max_end])
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx]), idx


def steepest(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    """Where the loss falls fastest against log(lr)."""
    slope = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    idx = int(np.argmin(slope))
    return float(lrs[idx]), idx


def minimum_tenth(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    """A tenth of the rate at the lowest loss."""
    idx = int(np.argmin(losses))
    return float(lrs[idx]) / 10, idx


def suggest(lrs, smoothed, planned: int) -> list[Suggestion]:
    """fastai's three suggestions on the smoothed curve, trimmed as fastai trims it."""
    lrs, losses = np.asarray(lrs, np.float64), np.asarray(smoothed, np.float64)
    lrs, losses = lrs[planned // 10:-5], losses[planned // 10:-5]
    finite = np.isfinite(losses)
    if not finite.all():
        lrs, losses = lrs[:int(np.argmin(finite))], losses[:int(np.argmin(finite))]
    if len(losses) < 3:
        return []
    out = []
    for name, rule in (("valley", valley), ("steepest", steepest), ("minimum/10", minimum_tenth)):
        lr, idx = rule(lrs, losses)
        out.append(Suggestion(name, lr, float(lrs[idx]), float(losses[idx])))
    return out


# -- the sweep, on a copy -------------------------------------------------------------------
def detached_copy(trainer):
    """A Trainer of its own equal to `trainer` (weights, statistics, generator, step, losses,
    schedule, engine kind), sharing only the dataset's read-only tensors."""
    from core.training.trainer import Trainer
    copy = Trainer(trainer.cfg, trainer.dataset)
    copy.load_state(trainer.state())
    return copy


def find_lr(trainer, start: float = LECTURE_RANGE[0], end: float = LECTURE_RANGE[1],
            steps: int = LECTURE_RANGE[2], stop_factor: float = STOP_FACTOR,
            on_step: Callable[[FinderCurve], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> FinderCurve:
    """One step per rate of `rates(start, end, steps)` from the trainer's current state, taken on
    a copy (the trainer itself is not touched: its run goes on as if the finder had never run).
    on_step(curve) after every step (for a live plot); the sweep ends early when cancelled()
    turns true, the loss is not finite, or the smoothed loss passes stop_factor x its best."""
    lrs = rates(start, end, steps)
    curve = FinderCurve(planned=steps)
    probe = detached_copy(trainer)
    past = probe.step + steps + 1
    probe.set_live(max_steps=max(probe.cfg.max_steps, past), lr_decay_step=past)
    avg, best = 0.0, math.inf
    for i, lr in enumerate(lrs):
        if cancelled is not None and cancelled():
            curve.stopped = "cancelled"
            break
        probe.set_live(lr=float(lr))
        taken = probe.train(1)
        if not taken:
            curve.stopped = f"the loss was not finite at learning rate {lr:.3g}"
            break
        loss = float(taken[0])
        avg = BETA * avg + (1 - BETA) * loss
        smooth = avg / (1 - BETA ** (i + 1))
        curve.lrs.append(float(lr))
        curve.losses.append(loss)
        curve.smoothed.append(smooth)
        best = min(best, smooth)
        if on_step is not None:
            on_step(curve)
        if i > 0 and smooth > stop_factor * best:
            curve.stopped = f"the smoothed loss passed {stop_factor:g}x its best at learning rate {lr:.3g}"
            break
    curve.suggestions = suggest(curve.lrs, curve.smoothed, steps)
    return curve


def curve_lines(curve: FinderCurve, rows: int = 8) -> list[str]:
    """A few points of the curve and the suggestion, for the terminal."""
    lines = ["learning rate | loss    | smoothed"]
    n = len(curve.lrs)
    for i in sorted({round(k * (n - 1) / max(1, rows - 1)) for k in range(rows)} if n else set()):
        lines.append(f"{curve.lrs[i]:13.4g} | {curve.losses[i]:7.4f} | {curve.smoothed[i]:7.4f}")
    if curve.stopped:
        lines.append(f"stopped after {n:,} of {curve.planned:,} steps: {curve.stopped}")
    for s in curve.suggestions:
        if s.name != SUGGESTED:
            lines.append(f"{s.name}: {s.lr:.4g}")
    best = curve.suggestion
    lines.append(f"suggested learning rate: {best.lr:.4g} ({best.name})" if best
                 else "suggested learning rate: none (the sweep was too short to read)")
    return lines
