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

from core.diagnostics.stats import StepRecord
from core.model import network
from core.training import fast_kernel_binding as fb

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
        # (first step, indices, lr, B, generator state before the indices were drawn)
        self.log: list[tuple[int, np.ndarray, float, int, torch.Tensor]] = []

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
        self.log.append((i, idx, lr, B, drawn_from))
        t.store_losses(i, losses[:done])
        if done:
            t.step = i + done
            t.last = self._record(ws, i + done - 1, float(losses[done - 1]), lr)
        if done < k:
            self._diverged(i + done, float(losses[done]), before, self._cause_arrays(ws))
            return losses[:done].tolist(), True
        t.divergence = t.diverged_at = None
        return losses.tolist(), False

    def _record(self, ws: fb.Workspace, step: int, loss: float, lr: float) -> StepRecord:
        net, t = self.bound.net, self.trainer
        grad_of = ws.grads_for(net)
        live = t.model.parameters()
        grads = tuple(torch.from_numpy(grad_of[id(a)]).view(p.shape)
                      for (_, a), p in zip(net.named, live, strict=True))
        with torch.no_grad():
            # the weights the step started from, as the exact engine records them (to rounding),
            # and a copy of those after it: the next chunk updates the live ones in place
            params = tuple(torch._foreach_add([p.detach() for p in live], grads, alpha=lr))
            new_params = tuple(p.detach().clone() for p in live)
        hidden = range(len(net.blocks) - 1)
        raws, pres, outs, out_grads = (tuple(torch.from_numpy(arrays[li]) for li in hidden)
                                       for arrays in (ws.z, ws.y, ws.h, ws.dh))
        return StepRecord(step, loss, lr, raws[0], pres[0], outs[0], out_grads[0],
                          tuple(name for name, _ in net.named), params, grads, raws=raws, pres=pres,
                          outs=outs, out_grads=out_grads, new_params=new_params, layer_kinds=t.layer_kinds)

    def _cause_arrays(self, ws: fb.Workspace) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """From the step that failed: the batch std of each seed-style BatchNorm and each hidden
        layer's linear output (copies: a replay may write this workspace again)."""
        blocks = self.bound.net.blocks
        stds = [torch.from_numpy(ws.spread[li].copy()) for li, b in enumerate(blocks)
                if b.bn is not None and b.bn.kind == "seed"]
        raws = [torch.from_numpy(ws.z[li].copy()) for li in range(len(blocks) - 1)]
        return stds, raws

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

    def _generator_before(self, step: int) -> None:
        """Put the generator where it was before step's batch was drawn (step is in the log)."""
        g = self.trainer.generator
        for first, idx, _, B, state in reversed(self.log):
            if first <= step < first + len(idx) // B:
                g.set_state(state)
                if step > first:
                    torch.randint(0, self.X.shape[0], ((step - first) * B,), generator=g)
                return
        raise AssertionError(f"step {step} is not in the fast engine's log")

    def _diverged(self, d: int, value: float, before: StepRecord | None, cause) -> None:
        """Step d's loss was not finite: back to the weights before step d - 1 was applied,
        with the record of step d - 2 and the generator before step d - 1's batch, as the exact
        engine (or unchanged, the generator before step d's batch, if there is nothing to go back to)."""
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
        self._generator_before(back if restored else d)
        self.forget()
        t.report_divergence(d, value, restored, *cause)

    def _replay(self, start: int, stop: int) -> StepRecord | None:
        """Run steps start..stop-1 again from their logged batches; the record of the last."""
        record = None
        for first, idx, lr, B, _ in self.log:
            lo, hi = max(start, first), min(stop, first + len(idx) // B)
            if lo >= hi:
                continue
            ws = self.bound.workspace(B)
            losses = np.empty(hi - lo, dtype=np.float32)
            done = self.bound.run(idx[(lo - first) * B:(hi - first) * B], hi - lo, lr, ws, losses)
            assert done == hi - lo, "a replayed step was not finite"
            record = self._record(ws, hi - 1, float(losses[-1]), lr)
        return record
