"""The model's blocks (core/model/layers.py) bound to the compiled kernel: float32 views of its
tensors as the kernel's per-block Layer entries, the gradient and activation buffers of one batch
size, and `train`, `gradients` and `update` over them.

The kernel trains the model's own memory: snapshots, evaluation, sampling and checkpoints see the
current weights. The binding reads each block's attributes; the model's parameter order is
mlp.py's alone (gradients are found by the tensor they belong to).
"""
from __future__ import annotations

import threading

import numpy as np
import torch

from core.training import fast_kernel as fk

f32 = np.float32
EMPTY = np.empty(0, dtype=f32)
EMPTY2 = np.empty((0, 0), dtype=f32)
NARROW = 64   # a block with fewer outputs runs on its weight's transpose


def available() -> bool:
    return fk.numba is not None


def view(t: torch.Tensor) -> np.ndarray:
    """A float32 numpy array sharing t's memory."""
    a = t.detach().numpy()
    if a.dtype != np.float32 or not a.flags.c_contiguous:
        raise ValueError("the fast engine needs contiguous float32 CPU tensors")
    return a


def bound_tensors(model) -> tuple[torch.Tensor, ...]:
    """Every tensor the binding views (compared by identity before each run: the exact engine's
    out-of-place updates, calibration, loading and a roll-back replace tensors)."""
    return (model.C, *model.parameters(), *model.buffers())


def bind_layer(block) -> fk.Layer:
    """One block's parameters as float32 views, and its kinds."""
    bn, W = block.bn, view(block.weight)
    narrow = W.shape[1] < NARROW
    vec = lambda t: EMPTY if t is None else view(t).reshape(-1)   # a bias, BN's (1, n) rows: 1-D
    return fk.Layer(
        W=W, WT=np.zeros(W.shape[::-1], f32) if narrow else EMPTY2, b=vec(block.bias),
        gamma=vec(bn and bn.gamma), beta=vec(bn and bn.beta),
        running_mean=vec(bn and bn.running_mean), running_spread=vec(bn and bn.running_spread),
        has_bias=int(block.bias is not None), norm=block.norm.code, act=block.activation.code, narrow=int(narrow),
        momentum=f32(bn.momentum if bn else 0), keep=f32(1 - bn.momentum if bn else 1), eps=f32(bn.eps if bn else 0))


class Workspace:
    """Everything one step writes besides the weights, for one batch size: each block's
    activations (Acts) and each parameter's gradient (Grads). After a run it holds the last
    step's, for the record and the plots."""

    def __init__(self, layers: list[fk.Layer], C: np.ndarray, batch_size: int, context: int):
        self.batch_size = B = batch_size
        # the context's embeddings side by side; part 5's first block reads them as B * positions
        # rows of its fan_in (n consecutive characters' embeddings each)
        embcat = np.zeros((B, context * C.shape[1]), f32)
        self.emb = fk.Embedding(C, np.zeros_like(C), embcat, np.zeros_like(embcat))
        self.grads: list[fk.Grads] = []
        self.acts: list[fk.Acts] = []
        size = embcat.size          # a block's input is the previous output, read as rows of fan_in
        for L in layers:
            rows, n = size // L.W.shape[0], L.W.shape[1]
            bn = L.norm != fk.NORM_NONE
            hprebn = np.zeros((rows, n), f32)
            hpreact = np.zeros_like(hprebn) if bn else hprebn
            h = np.zeros_like(hprebn) if L.act == fk.TANH else hpreact
            stat = np.zeros(n, f32) if bn else EMPTY
            self.acts.append(fk.Acts(hprebn, hpreact, h, np.zeros_like(hprebn), np.zeros_like(hprebn),
                                     stat, np.zeros_like(stat), np.zeros_like(stat),
                                     np.zeros((4, n), f32) if bn else EMPTY2))
            self.grads.append(fk.Grads(np.zeros_like(L.W), np.zeros_like(L.WT), np.zeros_like(L.b),
                                       np.zeros_like(L.gamma), np.zeros_like(L.beta)))
            size = rows * n
        self.typed_grads, self.typed_acts = fk.typed_list(self.grads), fk.typed_list(self.acts)


class BoundNetwork:
    """A model's blocks as the kernel takes them, plus two workspaces used in turn, so the record
    of the run before the last stays readable while the next run writes."""

    def __init__(self, model, X: np.ndarray, Y: np.ndarray):
        self.tensors = bound_tensors(model)
        self.blocks = list(model.blocks)
        self.C = view(model.C)
        self.X = np.ascontiguousarray(X, dtype=np.int64)
        self.Y = np.ascontiguousarray(Y, dtype=np.int64)
        self.layers = [bind_layer(b) for b in self.blocks]
        self.typed_layers = fk.typed_list(self.layers)
        self._spaces: list[Workspace] = []
        self.current: Workspace | None = None

    def is_bound_to(self, model) -> bool:
        tensors = bound_tensors(model)
        return len(tensors) == len(self.tensors) and all(a is b for a, b in zip(tensors, self.tensors, strict=True))

    def workspace(self, batch_size: int) -> Workspace:
        """The workspace not holding the latest record, sized for batch_size."""
        other = [w for w in self._spaces if w is not self.current]
        ws = other[0] if other and other[0].batch_size == batch_size else \
            Workspace(self.layers, self.C, batch_size, self.X.shape[1])
        self._spaces = [w for w in (self.current, ws) if w is not None]
        return ws

    def _args(self, ws: Workspace):
        return ws.emb, self.typed_layers, ws.typed_grads, ws.typed_acts

    def train(self, idx: np.ndarray, lr: float, ws: Workspace, losses: np.ndarray) -> int:
        """len(losses) steps on the batches in idx (ws.batch_size rows each); their losses into
        losses. Returns the steps done (fewer at a non-finite loss, whose step is not applied)."""
        self.current = ws
        return fk.train_steps(*self._args(ws), self.X, self.Y, idx, f32(lr), losses)

    def gradients(self, rows: np.ndarray, ws: Workspace) -> float:
        """The loss of one batch and, into ws, every gradient of it; nothing is updated."""
        self.current = ws
        return float(fk.gradients(*self._args(ws), self.X, self.Y, rows))

    def update(self, ws: Workspace, lr: float) -> None:
        """Apply the step whose gradients ws holds (after `gradients`)."""
        fk.update(*self._args(ws), f32(lr))

    def gradient_of(self, ws: Workspace) -> dict[int, np.ndarray]:
        """The gradient buffer of each bound parameter, keyed by id of its torch tensor."""
        out = {id(self.tensors[0]): ws.emb.dC}
        for b, G in zip(self.blocks, ws.grads, strict=True):
            out[id(b.weight)] = G.dW
            if b.bias is not None:
                out[id(b.bias)] = G.db
            if b.bn is not None:
                out[id(b.bn.gamma)], out[id(b.bn.beta)] = G.dgamma, G.dbeta
        return out


# -- compile once ---------------------------------------------------------------------------

_prepared = threading.Event()
_prepare_lock = threading.Lock()


def warm_model():
    """A tiny MLP, a wide block then a narrow one (the kernel's types depend on neither the kinds,
    the depth nor the shapes: one compile serves every network)."""
    from core.config import Config
    from core.model.mlp import MLP
    return MLP(Config(n_embed=2, block_size=3, n_hidden=70, n_layers=1), 5, torch.Generator().manual_seed(0))


def prepare(*_) -> None:
    """Compile the kernel (or load it from numba's cache) by running it on a tiny problem.
    Blocks until done (seconds the first time on a machine, a fraction of that from the
    cache); safe from any thread."""
    if not available():
        raise RuntimeError(f"The fast engine needs numba: {fk.NUMBA_ERROR}")
    with _prepare_lock:
        if _prepared.is_set():
            return
        X = np.zeros((4, 3), np.int64) + np.arange(3)
        bound = BoundNetwork(warm_model(), X, np.arange(4, dtype=np.int64))
        ws = bound.workspace(4)
        bound.train(np.arange(8, dtype=np.int64) % 4, 0.1, ws, np.empty(2, f32))
        bound.gradients(np.arange(4, dtype=np.int64), ws)
        bound.update(ws, 0.1)
        _prepared.set()


def is_prepared(*_) -> bool:
    """Whether a run starts at once (no compiling or cache loading first)."""
    return _prepared.is_set()
