"""The learning-rate finder: part 2's `lre = torch.linspace(-3, 0, 1000)` sweep, one SGD step per
rate from the current weights, read as fastai's `lr_find` reads it.

The rates grow exponentially from `start` to `end`; the loss is smoothed with fastai's debiased
moving average (beta 0.98) and the sweep stops early once the smoothed loss passes
`stop_factor` times its best. The suggestions are fastai's, computed on the smoothed curve
without its first tenth and its last five points: *valley* (the middle of the longest run of
falling loss, the one suggested), *steepest* (where the loss falls fastest per decade) and
*minimum/10* (a tenth of the rate at the lowest loss).

Nothing of the run is changed: the weights, BatchNorm's running statistics, the batch
generator, the step, the loss history, the schedule and the engine's own state are all put
back (`preserved`), so the run goes on bit for bit as if the finder had never run.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


# -- the run, untouched ---------------------------------------------------------------------
@contextmanager
def preserved(trainer) -> Iterator[None]:
    """Whatever happens inside, the trainer afterwards is as before: the same parameter and
    buffer tensors holding the same values, generator, step, losses, events, settings, last
    record and engine (the inside runs on an engine of its own kind)."""
    model = trainer.model
    params, buffers = model.parameters(), model.buffers()
    with torch.no_grad():
        values = [t.detach().clone() for t in params + buffers]
    generator = trainer.generator.get_state()
    step, losses, events = trainer.step, trainer.losses.copy(), list(trainer.events)
    cfg, last, engine = trainer.cfg, trainer.last, trainer.engine
    divergence, diverged_at = trainer.divergence, trainer.diverged_at
    trainer.engine = type(engine)(trainer)
    try:
        yield
    finally:
        with torch.no_grad():
            for t, v in zip(params + buffers, values, strict=True):
                t.copy_(v)       # the fast engine trains these arrays in place
        model.set_parameters(params, buffers)   # the exact engine swaps in new tensors
        trainer.generator.set_state(generator)
        trainer.store_losses(0, losses)
        trainer.step, trainer.events, trainer.cfg, trainer.last = step, events, cfg, last
        trainer.divergence, trainer.diverged_at = divergence, diverged_at
        trainer.engine = engine


def detached_copy(trainer):
    """A Trainer of its own equal to `trainer` (weights, statistics, generator, step, losses,
    schedule, engine), for a finder run on another thread while the original trains on."""
    from core.training.trainer import Trainer
    copy = Trainer(trainer.cfg, trainer.dataset)
    copy.load_state(trainer.state())
    return copy


def find_lr(trainer, start: float = LECTURE_RANGE[0], end: float = LECTURE_RANGE[1],
            steps: int = LECTURE_RANGE[2], stop_factor: float = STOP_FACTOR,
            on_step: Callable[[FinderCurve], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> FinderCurve:
    """One step per rate of `rates(start, end, steps)` from the trainer's current state, which
    is left exactly as it was. on_step(curve) after every step (for a live plot); the sweep
    ends early when cancelled() turns true, the loss is not finite, or the smoothed loss
    passes stop_factor x its best."""
    lrs = rates(start, end, steps)
    curve = FinderCurve(planned=steps)
    with preserved(trainer):
        avg, best = 0.0, math.inf
        first = trainer.step
        trainer.cfg = trainer.cfg.replace(max_steps=first + steps + 1, lr_decay_step=first + steps + 1)
        for i, lr in enumerate(lrs):
            if cancelled is not None and cancelled():
                curve.stopped = "cancelled"
                break
            trainer.cfg = trainer.cfg.replace(lr=float(lr))
            taken = trainer.train(1)
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
