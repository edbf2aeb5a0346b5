"""The fast engine: the compiled kernel, a chunk of steps per call.

It takes a chunk of batches the Trainer drew (one learning rate: the Trainer ends chunks at the
decay step) and returns what happened (core/training/chunk.py); it never touches the Trainer.
The kernel trains the model's own tensors (numpy views), so everything else reads the current
weights; after a chunk its last step's activations and gradients are the chunk's record, as the
exact engine's.
"""
from __future__ import annotations

import numpy as np
import torch

from core.diagnostics.stats import StepRecord, layer_kinds
from core.model import network
from core.training import fast_kernel_binding as fb
from core.training.chunk import Chunk, Failure, Outcome

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
    max_chunk = MAX_CHUNK

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, n_blocks: int):
        self.X, self.Y = X.numpy(), Y.numpy()    # the training split
        self.bound: fb.BoundNetwork | None = None
        self.n_blocks = n_blocks    # the kernel is compiled per depth

    # -- compile once ---------------------------------------------------------------------
    def ready(self) -> bool:
        """False while the kernel still has to be compiled or loaded from the cache."""
        return fb.is_prepared(self.n_blocks)

    def prepare(self) -> None:
        """Compile (or load) the kernel now; the first chunk would otherwise do it."""
        fb.prepare(self.n_blocks)

    # -- binding ----------------------------------------------------------------------------
    def _bind(self, model) -> fb.BoundNetwork:
        """The model's current tensors as the kernel's arrays; rebuilt when a tensor was
        swapped (the exact engine, calibration, loading and a roll-back replace tensors)."""
        tensors = network.adapted_tensors(model)
        if self.bound is None or len(tensors) != len(self.bound.net.tensors) or \
                any(a is not b for a, b in zip(tensors, self.bound.net.tensors, strict=True)):
            self.bound = fb.BoundNetwork(network.adapt(model), self.X, self.Y)
        return self.bound

    # -- stepping ---------------------------------------------------------------------------
    def run(self, model, chunk: Chunk) -> Outcome:
        """chunk's steps in one kernel call, until one's loss is not finite (not applied)."""
        k, B, lr = chunk.steps, chunk.batch_size, chunk.lr
        bound = self._bind(model)
        if not fb.is_prepared(self.n_blocks):
            fb.prepare(self.n_blocks)
        ws = bound.workspace(B)
        losses = np.empty(k, dtype=np.float32)
        done = bound.run(chunk.idx.numpy(), k, lr, ws, losses)
        record = self._record(model, ws, chunk.first + done - 1, float(losses[done - 1]), lr) if done else None
        failure = None
        if done < k:
            failure = Failure(chunk.first + done, float(losses[done]), *self._cause_arrays(ws))
        return Outcome(losses[:done], record, failure)

    def _record(self, model, ws: fb.Workspace, step: int, loss: float, lr: float) -> StepRecord:
        net = self.bound.net
        grad_of = ws.grads_for(net)
        live = model.parameters()
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
                          outs=outs, out_grads=out_grads, new_params=new_params, layer_kinds=layer_kinds(model))

    def _cause_arrays(self, ws: fb.Workspace) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """From the step that failed: the batch std of each seed-style BatchNorm and each hidden
        layer's linear output (copies: a replay may write this workspace again)."""
        blocks = self.bound.net.blocks
        stds = [torch.from_numpy(ws.spread[li].copy()) for li, b in enumerate(blocks)
                if b.bn is not None and b.bn.kind == "seed"]
        raws = [torch.from_numpy(ws.z[li].copy()) for li in range(len(blocks) - 1)]
        return stds, raws
