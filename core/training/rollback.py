"""The one roll-back policy, for both engines, and the words that explain a divergence.

After a non-finite loss at step d the run is as if it had stopped at step d - 1: the weights as
they were before step d - 1 was applied, the record of step d - 2, and the generator before step
d - 1's batch; with nothing to go back to, the weights unchanged and the generator before step
d's batch. Without a copy per step: the state is copied at the start of each chunk and the
steps since are replayed from their logged batches (both engines are deterministic on the CPU,
so a replay lands on the same numbers).
"""
from __future__ import annotations

import math

import torch

from core.config import Config
from core.diagnostics.stats import StepRecord
from core.training.chunk import Chunk, Failure


class RollBack:
    """The Trainer's memory of recent chunks: state copies at chunk starts and the chunks since."""

    def __init__(self, n_rows: int):
        self.n_rows = n_rows    # rows of the training split the batches are drawn from
        self.checkpoints: list[tuple[int, list[torch.Tensor], list[torch.Tensor]]] = []
        self.chunks: list[Chunk] = []

    def forget(self) -> None:
        """The weights were changed from outside (or by another engine): nothing to go back to."""
        self.checkpoints, self.chunks = [], []

    def starting(self, chunk: Chunk, model) -> None:
        """Before chunk runs: copy the state at its first step; keep the newest copy at or
        before step - 2 (a step that fails in this chunk goes back to at least that far) and
        those after it, and the chunks from the oldest copy on."""
        step = chunk.first
        if not (self.checkpoints and self.checkpoints[-1][0] == step):
            with torch.no_grad():
                self.checkpoints.append((step, [p.detach().clone() for p in model.parameters()],
                                         [b.clone() for b in model.buffers()]))
        oldest = max((n for n, c in enumerate(self.checkpoints) if c[0] <= step - 2), default=0)
        self.checkpoints = self.checkpoints[oldest:]
        first = self.checkpoints[0][0]
        self.chunks = [c for c in self.chunks if c.end > first] + [chunk]

    def go_back(self, d: int, model, engine, generator: torch.Generator,
                before: StepRecord | None) -> tuple[bool, StepRecord | None]:
        """Step d failed: put model and generator back as the policy says. Returns whether the
        weights went back (to step d - 1) and the record of the step before that (or None).
        before: the record from before the failing chunk ran."""
        back = d - 1
        # the newest copy from which a replay ends with the record of step back - 1, else one at back
        usable = [c for c in self.checkpoints if c[0] < back] or [c for c in self.checkpoints if c[0] == back]
        restored = d >= 1 and bool(usable)
        record = None
        if restored:
            start, params, buffers = usable[-1]
            model.set_parameters(params, buffers)
            if start < back:
                record = self._replay(start, back, model, engine)
            elif before is not None and before.step == back - 1:
                record = before
        self._generator_before(back if restored else d, generator)
        self.forget()
        return restored, record

    def _replay(self, start: int, stop: int, model, engine) -> StepRecord | None:
        """Steps start..stop-1 again from their logged batches; the record of the last."""
        record = None
        for chunk in self.chunks:
            lo, hi = max(start, chunk.first), min(stop, chunk.end)
            if lo < hi:
                outcome = engine.run(model, chunk.part(lo, hi))
                assert outcome.failure is None, "a replayed step was not finite"
                record = outcome.record
        return record

    def _generator_before(self, step: int, generator: torch.Generator) -> None:
        """Put the generator where it was before step's batch was drawn (step is in the log)."""
        for chunk in reversed(self.chunks):
            if chunk.first <= step < chunk.end:
                generator.set_state(chunk.generator_state)
                if step > chunk.first:
                    torch.randint(0, self.n_rows, ((step - chunk.first) * chunk.batch_size,), generator=generator)
                return
        raise AssertionError(f"step {step} is not in the roll-back log")


def divergence_message(cfg: Config, failure: Failure, restored: bool) -> str:
    """For a person: what happened at the failing step, what was done, and what to do."""
    i, value = failure.step, failure.loss
    what = "NaN" if math.isnan(value) else "infinite"
    if restored:
        back = f"The weights were put back as they were at step {i - 1:,}, the last step with a finite loss."
    else:
        back = "The weights are unchanged."
    return (f"The loss became {what} at step {i:,} (learning rate {cfg.lr_at(i):g}). "
            f"{back} {divergence_cause(cfg, failure)}")


def divergence_cause(cfg: Config, failure: Failure) -> str:
    """What most likely made the loss not finite, and what to do about it."""
    # the seed's BatchNorm divides by the batch std itself (the lecture's adds eps first)
    zero_std = [std == 0 for std in failure.seed_stds]
    if any(bool(z.any()) for z in zero_std):
        n, of = sum(int(z.sum()) for z in zero_std), sum(z.numel() for z in zero_std)
        return (f"BatchNorm divided by a batch std of 0: {n:,} of {of:,} neurons had the same "
                f"pre-activation for every example of the batch (the {cfg.batch_size} examples were "
                "alike, as when one very long word or one repeated context fills the training split). "
                "Use a larger batch, a more varied word list, or turn BatchNorm off; a lower "
                "learning rate will not help.")
    if not all(bool(torch.isfinite(raw).all()) for raw in failure.hidden_raws):
        return ("The hidden layer's pre-activations overflowed: the weights (W1, the embeddings) are far "
                "too large. Lower the learning rate or the W1 gain/scale and continue, or Reset.")
    if cfg.batchnorm and cfg.batch_size < 8:
        return (f"With BatchNorm and a batch this small ({cfg.batch_size}) a neuron's batch std "
                "can be 0; use a larger batch or lower the learning rate, then continue.")
    return "Lower the learning rate and continue."
