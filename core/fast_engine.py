"""The fast engine: the compiled kernel behind the Trainer, a chunk of steps per call.

A chunk ends where the caller's n steps, max steps or the learning-rate decay step is reached;
settings change between calls. The batches of a chunk are drawn at once: one
torch.randint(0, N, (k*B,)) gives the same indices, and leaves the generator in the same state,
as k draws of B. The kernel trains the model's own tensors (numpy views), so everything else
reads the current weights; after a chunk its last step's activations and gradients are the
Trainer's `last` record, as the exact engine's.

Going back after a non-finite loss (the exact engine's semantics: the weights as they were
before the last finite step, the record of the step before that) without a copy per step: the
state is copied at the start of each chunk, and the steps since are replayed from their
recorded batches (the kernel is deterministic, so the replay lands on the same numbers).
"""
from __future__ import annotations

import numpy as np
import torch

from . import fast_kernel_binding as fb
from . import network
from .stats import StepRecord

MAX_CHUNK = 10_000    # steps per kernel call: bounds the batch indices held (k * B)


def unavailable_reason(device: str) -> str | None:
    """Why the fast engine cannot run here, in words; None when it can."""
    if not fb.available():
        return f"the fast engine needs numba, which could not be imported ({fb.fk.NUMBA_ERROR})"
    if device != "cpu":
        return "the fast engine runs on the CPU only"
    return None


class FastEngine:
    name = "fast"

    def __init__(self, trainer):
        self.trainer = trainer
        Xtr, Ytr = trainer.splits["train"]
        self.X, self.Y = Xtr.numpy(), Ytr.numpy()
        self.bound: fb.BoundNetwork | None = None
        self.checkpoints: list[tuple[int, list[np.ndarray]]] = []   # (step, state at that step)
        self.log: list[tuple[int, np.ndarray, float, int]] = []      # (first step, indices, lr, B)

    # -- compile once ---------------------------------------------------------------------
    def ready(self) -> bool:
        """False while the kernel still has to be compiled or loaded from the cache."""
        return fb.is_prepared(len(self._bind().net.blocks))

    def prepare(self) -> None:
        """Compile (or load) the kernel now; the first chunk would otherwise do it."""
        fb.prepare(len(self._bind().net.blocks))

    # -- binding ----------------------------------------------------------------------------
    def _bind(self) -> fb.BoundNetwork:
        """The model's current tensors as the kernel's arrays; rebuilt when a tensor was
        swapped (the exact engine, calibration and loading replace tensors)."""
        model = self.trainer.model
        tensors = network.adapted_tensors(model)
        if self.bound is None or len(tensors) != len(self.bound.net.tensors) or \
                any(a is not b for a, b in zip(tensors, self.bound.net.tensors, strict=True)):
            self.bound = fb.BoundNetwork(network.adapt(model), self.X, self.Y)
            self.forget()
        return self.bound

    def forget(self) -> None:
        """The weights were changed from outside: there is no step to go back to."""
        self.checkpoints, self.log = [], []

    # -- training ---------------------------------------------------------------------------
    def train(self, n: int) -> list[float]:
        t = self.trainer
        out: list[float] = []
        while len(out) < n and not t.done:
            cfg, i = t.cfg, t.step
            k = min(n - len(out), cfg.max_steps - i, MAX_CHUNK)
            if i < cfg.lr_decay_step:
                k = min(k, cfg.lr_decay_step - i)
            losses, diverged = self._chunk(k)
            out += losses
            if diverged:
                break
        return out

    def train_step(self) -> float | None:
        losses, diverged = self._chunk(1)
        return None if diverged else losses[0]

    def _chunk(self, k: int) -> tuple[list[float], bool]:
        t = self.trainer
        cfg, i = t.cfg, t.step
        B, lr = cfg.batch_size, cfg.lr_at(i)
        bound = self._bind()
        if not fb.is_prepared(len(bound.net.blocks)):
            fb.prepare(len(bound.net.blocks))
        self._checkpoint(i)
        drawn_from = t.generator.get_state()
        idx = torch.randint(0, self.X.shape[0], (k * B,), generator=t.generator).numpy()
        before = t.last
        ws = bound.workspace(B)
        losses = np.empty(k, dtype=np.float32)
        done = bound.run(idx, k, lr, ws, losses)
        self.log.append((i, idx, lr, B))
        t.store_losses(i, losses[:done])
        if done:
            t.step = i + done
            t.last = self._record(ws, i + done - 1, float(losses[done - 1]), lr)
        if done < k:
            # as if drawn one step at a time up to the step that failed, as the exact engine
            t.generator.set_state(drawn_from)
            torch.randint(0, self.X.shape[0], ((done + 1) * B,), generator=t.generator)
            self._diverged(i + done, float(losses[done]), before)
            return losses[:done].tolist(), True
        t.divergence = t.diverged_at = None
        return losses.tolist(), False

    def _record(self, ws: fb.Workspace, step: int, loss: float, lr: float) -> StepRecord:
        net, model = self.bound.net, self.trainer.model
        grad_of = ws.grads_for(net)
        live = model.parameters()
        grads = tuple(torch.from_numpy(grad_of[id(a)]).view(p.shape)
                      for (_, a), p in zip(net.named, live, strict=True))
        # the weights the step started from, as the exact engine records them (to rounding)
        with torch.no_grad():
            params = tuple(torch._foreach_add([p.detach() for p in live], grads, alpha=lr))
        return StepRecord(step, loss, lr, torch.from_numpy(ws.z[0]), torch.from_numpy(ws.y[0]),
                          torch.from_numpy(ws.h[0]), torch.from_numpy(ws.dh[0]),
                          tuple(name for name, _ in net.named), params, grads)

    # -- going back after a non-finite loss ------------------------------------------------
    def _checkpoint(self, step: int) -> None:
        """Copy the state at `step`; keep the newest copy at or before step - 2 (a step that
        fails in this chunk goes back to at least that far) and those after it."""
        if not (self.checkpoints and self.checkpoints[-1][0] == step):
            self.checkpoints.append((step, [a.copy() for a in self.bound.net.state_arrays()]))
        oldest = max((n for n, (s, _) in enumerate(self.checkpoints) if s <= step - 2), default=0)
        self.checkpoints = self.checkpoints[oldest:]
        first = self.checkpoints[0][0]
        self.log = [e for e in self.log if e[0] + len(e[1]) // e[3] > first]

    def _diverged(self, d: int, value: float, before: StepRecord | None) -> None:
        """Step d's loss was not finite: back to the weights before step d - 1 was applied,
        with the record of step d - 2, as the exact engine (or unchanged if there are none)."""
        t = self.trainer
        back = d - 1
        # the newest copy from which a replay ends with the record of step back - 1, else one at back
        usable = [c for c in self.checkpoints if c[0] < back] or [c for c in self.checkpoints if c[0] == back]
        restored = d >= 1 and bool(usable)
        if restored:
            start, arrays = usable[-1]
            for dst, src in zip(self.bound.net.state_arrays(), arrays, strict=True):
                np.copyto(dst, src)
            if start < back:
                t.last = self._replay(start, back)
            else:
                t.last = before if before is not None and before.step == back - 1 else None
            t.step = back
        else:
            t.last = None
        self.forget()
        t.report_divergence(d, value, restored)

    def _replay(self, start: int, stop: int) -> StepRecord | None:
        """Run steps start..stop-1 again from their logged batches; the record of the last."""
        record = None
        for first, idx, lr, B in self.log:
            lo, hi = max(start, first), min(stop, first + len(idx) // B)
            if lo >= hi:
                continue
            ws = self.bound.workspace(B)
            losses = np.empty(hi - lo, dtype=np.float32)
            done = self.bound.run(idx[(lo - first) * B:(hi - first) * B], hi - lo, lr, ws, losses)
            assert done == hi - lo, "a replayed step was not finite"
            record = self._record(ws, hi - 1, float(losses[-1]), lr)
        return record
