"""The fast engine: the compiled kernel, a chunk of steps per call.

It takes a chunk of batches the Trainer drew (one learning rate: the Trainer ends chunks at the
decay step) and returns what happened (core/training/chunk.py); it never touches the Trainer.
The kernel trains the model's own tensors (numpy views), so everything else reads the current
weights. The chunk's last step is taken in two calls, gradients then update, so its record holds
the weights the step started from, as the exact engine's.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from core.diagnostics.stats import StepRecord, layer_kinds
from core.model.layers import Norm
from core.training import fast_kernel_binding as fb
from core.training.chunk import Chunk, Failure, Outcome

MAX_CHUNK = 10_000    # steps per kernel call: bounds the batch indices held (k * B)
# With this many multiply-adds per step (batch size x each block's rows x weights) and a batch this
# big, torch's BLAS on the exact engine is faster than the kernel's loops; with a batch of 32 the
# kernel stays ahead at every width. Measured (bench/bench_engines.py --layers N --n-hidden H
# --batch-size B, one thread, fast/exact): batch 32: 1.3x at 3 x 2,000 (258 M), 1.4x
# at 3 x 4,000 (1 G) and 2 x 6,000; batch 512, 3 x 500 (264 M): 1.1x; batch 256, 3 x 1,000 (527 M):
# 0.93x; batch 128, 3 x 2,000 (1 G): 0.82x; batch 1,024, 2 x 1,000 (1 G): 0.91x.
WIDE_WORK = 400_000_000
WIDE_BATCH = 128


def unavailable_reason(device: str) -> str | None:
    """Why the fast engine cannot run here, in words; None when it can."""
    if not fb.available():
        return f"the fast engine needs numba, which could not be imported ({fb.fk.NUMBA_ERROR})"
    if device != "cpu":
        return "the fast engine runs on the CPU only"
    return None


def step_work(model, batch_size: int) -> int:
    """Multiply-adds of one step's forward pass: batch size x each block's rows x weights."""
    return batch_size * sum(b.rows * b.weight.numel() for b in model.blocks)


def slower_reason(model, batch_size: int) -> str | None:
    """Why the exact engine is the faster one for this model, in words; None when the fast one is."""
    if batch_size >= WIDE_BATCH and step_work(model, batch_size) > WIDE_WORK:
        return "layers this wide, on batches this big, run faster on torch's matrix library than in the fast kernel"
    return None


class FastEngine:
    name = "fast"
    max_chunk = MAX_CHUNK

    def __init__(self, X: torch.Tensor, Y: torch.Tensor):
        self.X, self.Y = X.numpy(), Y.numpy()    # the training split
        self.bound: fb.BoundNetwork | None = None

    def ready(self) -> bool:
        """False while the kernel still has to be compiled or loaded from the cache."""
        return fb.is_prepared()

    def prepare(self) -> None:
        """Compile (or load) the kernel now; the first chunk would otherwise do it."""
        fb.prepare()

    def _bind(self, model) -> fb.BoundNetwork:
        """The model's current tensors as the kernel's arrays; bound again when a tensor was
        swapped (the exact engine, calibration, loading and a roll-back replace tensors)."""
        if self.bound is None or not self.bound.is_bound_to(model):
            self.bound = fb.BoundNetwork(model, self.X, self.Y)
        return self.bound

    def run(self, model, chunk: Chunk) -> Outcome:
        """chunk's steps, until one's loss is not finite (that one is not applied)."""
        k, B, lr = chunk.steps, chunk.batch_size, chunk.lr
        if not fb.is_prepared():
            fb.prepare()
        bound = self._bind(model)
        ws = bound.workspace(B)
        idx = chunk.idx.numpy()
        losses = np.empty(k, dtype=np.float32)
        done = bound.train(idx[:(k - 1) * B], lr, ws, losses[:k - 1]) if k > 1 else 0
        record = None
        if done == k - 1:
            losses[k - 1] = bound.gradients(idx[(k - 1) * B:], ws)
            if math.isfinite(losses[k - 1]):
                params = tuple(p.detach().clone() for p in model.parameters())
                bound.update(ws, lr)
                done = k
                record = self._record(model, ws, chunk.first + k - 1, float(losses[k - 1]), lr, params)
        if done < k:
            failure = Failure(chunk.first + done, float(losses[done]), *self._cause_arrays(ws))
            return Outcome(losses[:done], None, failure)
        return Outcome(losses, record)

    def _record(self, model, ws: fb.Workspace, step: int, loss: float, lr: float, params) -> StepRecord:
        """The step ws holds: its activations and gradients (views: the next chunk writes the
        other workspace), the weights it started from and a copy of those after it."""
        grad_of = self.bound.gradient_of(ws)
        live = model.parameters()
        grads = tuple(torch.from_numpy(grad_of[id(p)]).view(p.shape) for p in live)
        new_params = tuple(p.detach().clone() for p in live)
        hidden = ws.acts[:-1]
        return StepRecord(step, loss, lr, param_names=model.param_names, params=params, grads=grads,
                          raws=tuple(torch.from_numpy(a.hprebn) for a in hidden),
                          pres=tuple(torch.from_numpy(a.hpreact) for a in hidden),
                          outs=tuple(torch.from_numpy(a.h) for a in hidden),
                          out_grads=tuple(torch.from_numpy(a.dh) for a in hidden),
                          new_params=new_params, layer_kinds=layer_kinds(model))

    def _cause_arrays(self, ws: fb.Workspace) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """From the step that failed: the batch std of each seed-style BatchNorm and each hidden
        layer's linear output (copies: a replay may write this workspace again)."""
        stds = [torch.from_numpy(a.bnstd.copy()) for b, a in zip(self.bound.blocks, ws.acts, strict=True)
                if b.norm == Norm.SEED]
        raws = [torch.from_numpy(a.hprebn.copy()) for a in ws.acts[:-1]]
        return stds, raws
