"""A Network (core/model/network.py) bound to the compiled kernel: its arrays as the kernel's tuples,
the scratch arrays of one batch size, and `run(idx, k, lr)` for k steps."""
from __future__ import annotations

import threading

import numpy as np

from core.model.network import Block, Network
from core.training import fast_kernel as fk

f32 = np.float32
EMPTY = np.empty(0, dtype=f32)
EMPTY2 = np.empty((0, 0), dtype=f32)
_BN_KIND = {None: fk.BN_NONE, "seed": fk.BN_SEED, "lecture": fk.BN_LECTURE}
_ACT = {None: fk.ACT_NONE, "tanh": fk.ACT_TANH}


def available() -> bool:
    return fk.numba is not None


class Workspace:
    """Everything one step writes besides the weights: activations, gradients, BN statistics.
    After a run it holds the last step's, for the plots."""

    def __init__(self, net: Network, batch_size: int):
        B = batch_size
        self.batch_size = B
        self.emb = np.zeros((B, net.blocks[0].weight.shape[0]), f32)
        self.demb = np.zeros_like(self.emb)
        self.dC = np.zeros_like(net.embedding)
        self.z, self.y, self.h, self.dh, self.gz = [], [], [], [], []
        self.dW, self.db, self.dgamma, self.dbeta = [], [], [], []
        self.mean, self.spread, self.cols, self.WT, self.dWT = [], [], [], [], []
        for b in net.blocks:
            n = b.weight.shape[1]
            z = np.zeros((B, n), f32)
            y = np.zeros((B, n), f32) if b.bn is not None else z
            h = np.zeros((B, n), f32) if b.activation is not None else y
            self.z.append(z), self.y.append(y), self.h.append(h)
            self.dh.append(np.zeros((B, n), f32)), self.gz.append(np.zeros((B, n), f32))
            self.dW.append(np.zeros_like(b.weight))
            self.db.append(np.zeros(n, f32) if b.bias is not None else EMPTY)
            for lst in (self.dgamma, self.dbeta, self.mean, self.spread):
                lst.append(np.zeros(n, f32) if b.bn is not None else EMPTY)
            self.cols.append(np.zeros((4, n), f32) if b.bn is not None else EMPTY2)
            narrow = is_narrow(b)
            self.WT.append(np.zeros(b.weight.shape[::-1], f32) if narrow else EMPTY2)
            self.dWT.append(np.zeros(b.weight.shape[::-1], f32) if narrow else EMPTY2)
        self.args = (self.emb, self.demb, tuple(self.z), tuple(self.y), tuple(self.h), tuple(self.dh),
                     tuple(self.gz), tuple(self.mean), tuple(self.spread), tuple(self.cols), tuple(self.WT),
                     tuple(self.dWT))

    def grads_for(self, net: Network) -> dict[int, np.ndarray]:
        """The gradient array of each trainable array of net, keyed by id(array)."""
        out = {id(net.embedding): self.dC}
        for li, b in enumerate(net.blocks):
            out[id(b.weight)] = self.dW[li]
            if b.bias is not None:
                out[id(b.bias)] = self.db[li]
            if b.bn is not None:
                out[id(b.bn.gamma)], out[id(b.bn.beta)] = self.dgamma[li], self.dbeta[li]
        return out


NARROW = 64   # a block with fewer outputs runs on its weight's transpose


def is_narrow(b: Block) -> bool:
    return b.weight.shape[1] < NARROW


def _kinds(b: Block) -> tuple[int, int, int, int]:
    return int(b.bias is not None), _BN_KIND[b.bn.kind if b.bn else None], _ACT[b.activation], int(is_narrow(b))


class BoundNetwork:
    """net's arrays as the kernel takes them, plus two workspaces used in turn, so the record of
    the run before the last stays readable while the next run writes."""

    def __init__(self, net: Network, X: np.ndarray, Y: np.ndarray):
        self.net = net
        self.X = np.ascontiguousarray(X, dtype=np.int64)
        self.Y = np.ascontiguousarray(Y, dtype=np.int64)
        blocks = net.blocks
        self.kinds = np.array([_kinds(b) for b in blocks], dtype=np.int64)
        self.moms = np.array([(b.bn.momentum, 1 - b.bn.momentum) if b.bn else (0, 1) for b in blocks], f32)
        self.epss = np.array([b.bn.eps if b.bn else 0 for b in blocks], f32)
        bn_arr = lambda get: tuple(get(b.bn) if b.bn else EMPTY for b in blocks)
        self.params = (tuple(b.weight for b in blocks), tuple(b.bias if b.bias is not None else EMPTY
                                                               for b in blocks),
                       bn_arr(lambda bn: bn.gamma), bn_arr(lambda bn: bn.beta),
                       bn_arr(lambda bn: bn.running_mean), bn_arr(lambda bn: bn.running_spread))
        self._spaces: list[Workspace] = []
        self.current: Workspace | None = None

    def workspace(self, batch_size: int) -> Workspace:
        """The workspace not holding the latest record, sized for batch_size."""
        other = [w for w in self._spaces if w is not self.current]
        ws = other[0] if other and other[0].batch_size == batch_size else Workspace(self.net, batch_size)
        self._spaces = [w for w in (self.current, ws) if w is not None]
        return ws

    def run(self, idx: np.ndarray, k: int, lr: float, ws: Workspace, losses: np.ndarray) -> int:
        """k steps on the batches in idx (k * ws.batch_size rows); their losses into losses[:k].
        Returns the steps done (fewer than k at a non-finite loss, whose step is not applied)."""
        Ws, bs, gammas, betas, rmeans, rspreads = self.params
        emb, demb, zs, ys, hs, dhs, gzs, means, spreads, cols, WTs, dWTs = ws.args
        done = fk.train_steps(self.X, self.Y, idx, k, f32(lr), self.net.embedding, ws.dC,
                              Ws, tuple(ws.dW), bs, tuple(ws.db), gammas, tuple(ws.dgamma), betas,
                              tuple(ws.dbeta), rmeans, rspreads, self.kinds, self.moms, self.epss,
                              emb, demb, zs, ys, hs, dhs, gzs, means, spreads, cols, WTs, dWTs, losses)
        self.current = ws
        return done


# -- compile once ---------------------------------------------------------------------------

_prepared: set[int] = set()     # numbers of blocks the kernel is compiled for (one per depth)
_prepare_lock = threading.Lock()


def warm_network(n_blocks: int = 2) -> Network:
    """A tiny network of n_blocks blocks (every kind of block) for compiling the kernel."""
    from core.model.network import BatchNorm
    rng = np.random.default_rng(0)
    w = lambda *s: rng.standard_normal(s).astype(f32) * f32(0.3)
    blocks = []
    for i in range(n_blocks):
        last = i == n_blocks - 1
        n_out = 5 if last else 4
        kind = ("seed", "lecture", None)[i % 3]
        bn = None if kind is None else BatchNorm(kind, np.ones(n_out, f32), np.zeros(n_out, f32),
                                                 np.zeros(n_out, f32), np.ones(n_out, f32),
                                                 0.1, 1e-5 if kind == "lecture" else 0.0)
        blocks.append(Block(w(6 if i == 0 else 4, n_out), w(n_out) if i % 2 == 0 else None, bn,
                            None if last else "tanh"))
    return Network(w(5, 2), blocks)


def prepare(n_blocks: int = 2) -> None:
    """Compile the kernel for networks of n_blocks blocks (or load it from numba's cache) by
    running it on a tiny problem. Blocks until done (about 2 s the first time on a machine,
    a fraction of that from the cache); safe from any thread."""
    if not available():
        raise RuntimeError(f"The fast engine needs numba: {fk.NUMBA_ERROR}")
    with _prepare_lock:
        if n_blocks in _prepared:
            return
        net = warm_network(n_blocks)
        X = np.zeros((4, 3), np.int64) + np.arange(3)
        bound = BoundNetwork(net, X, np.arange(4, dtype=np.int64))
        ws = bound.workspace(4)
        bound.run(np.arange(8, dtype=np.int64) % 4, 2, 0.1, ws, np.empty(2, f32))
        _prepared.add(n_blocks)


def is_prepared(n_blocks: int = 2) -> bool:
    """Whether a run on n_blocks blocks starts at once (no compiling or cache loading first)."""
    return n_blocks in _prepared
