"""Statistics of the last training step, for the plots: histograms, saturation, gradient health.

Computed only when a snapshot is asked for, from tensors the step already made, so taking
them never changes the training numbers (no generator draws, no writes).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

SATURATION_THRESHOLD = 0.97    # the lecture's "how many tanh outputs sit in the flat tails"
SATURATION_MASK_THRESHOLD = 0.99  # the lecture's white-pixel picture
HIST_BINS = 60
LAYER_BINS = 100   # torch.histogram's default, as the lecture's figures
PERCENTILES = (0.0, 7.0, 16.0, 31.0, 50.0, 69.0, 84.0, 93.0, 100.0)  # TensorBoard's bands
_NICE_RANGES = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


@dataclass(frozen=True)
class StepRecord:
    """Tensors kept from the last step (references, not copies), per hidden layer, first to last."""
    step: int
    loss: float
    lr: float
    param_names: tuple[str, ...]
    params: tuple[torch.Tensor, ...]          # the weights the step started from
    grads: tuple[torch.Tensor, ...]
    raws: tuple[torch.Tensor, ...] = ()       # linear outputs (the notebook's hprebn)
    pres: tuple[torch.Tensor, ...] = ()       # activation inputs (hpreact)
    outs: tuple[torch.Tensor, ...] = ()       # activation outputs (h)
    out_grads: tuple[torch.Tensor, ...] = ()  # d loss / d activation output (dh)
    new_params: tuple[torch.Tensor, ...] = ()  # after the update: the lecture's p in its ratios
    layer_kinds: tuple[tuple[int, str], ...] = ()  # (flat index, class name) per hidden layer


@dataclass(frozen=True)
class LayerStats:
    """One hidden layer's output, as the lecture's activation and gradient figures show it."""
    index: int            # position in the lecture's flat list of layers (2, 5, 8, ... for its net)
    kind: str             # the class the lecture prints: Tanh (BatchNorm1d or Linear with no activation)
    mean: float
    std: float
    saturated_pct: float  # % of outputs with |t| > 0.97
    hist: np.ndarray      # density (integrates to 1, so layers of any width compare), LAYER_BINS
    edges: np.ndarray     # LAYER_BINS + 1
    grad_mean: float      # of the gradient flowing into this output
    grad_std: float
    grad_hist: np.ndarray
    grad_edges: np.ndarray


@dataclass(frozen=True)
class WeightStats:
    """One 2-D weight, as the lecture's weight-gradient and update:data figures show it."""
    index: int            # position among all parameters (the lecture's `param %d`)
    name: str
    shape: tuple[int, ...]
    grad_mean: float
    grad_std: float
    grad_data_ratio: float   # std(grad) / std(weight)
    update_log10: float      # log10(std(lr * grad) / std(weight)); about -3 is healthy
    hist: np.ndarray         # density of the gradient
    edges: np.ndarray


@dataclass(frozen=True)
class Snapshot:
    step: int                   # the step these numbers come from
    loss: float
    lr: float
    hpreact_hist: np.ndarray    # counts, HIST_BINS
    hpreact_edges: np.ndarray   # HIST_BINS + 1
    h_hist: np.ndarray
    h_edges: np.ndarray
    saturated_fraction: float   # |h| > 0.97
    saturation_mask: np.ndarray  # bool, batch x neurons, |h| > 0.99
    dead_neurons: int           # neurons with |h| > 0.99 for every example of the batch
    param_names: tuple[str, ...]
    grad_std: np.ndarray        # per parameter
    grad_data_ratio: np.ndarray  # std(grad) / std(data)
    update_ratio_log10: np.ndarray  # log10(std(lr * grad) / std(data))
    detail: Detail | None = None
    layer: int = 0                     # the hidden layer the single-layer fields above describe
    layers: tuple[LayerStats, ...] = ()    # every hidden layer, first to last
    weights: tuple[WeightStats, ...] = ()  # every 2-D weight (C, W1, W2, ...)


@dataclass(frozen=True)
class Detail:
    """The lecture's part-3 diagnostics: dearer, so taken only when asked for."""
    hpreact_percentiles: np.ndarray  # at PERCENTILES
    hgrad_hist: np.ndarray           # gradient flowing into h (per example)
    hgrad_edges: np.ndarray
    grad_hists: tuple[np.ndarray, ...]  # per parameter
    grad_edges: tuple[np.ndarray, ...]


def uniform_guess_loss(vocab_size: int) -> float:
    """The loss of a model that gives every character the same probability: -ln(1/vocab).
    The lecture's first lesson: a well-initialised net starts here (3.30 for names.txt), not at 27."""
    return -math.log(1.0 / vocab_size)


def nice_range(max_abs: float) -> float:
    for r in _NICE_RANGES:
        if max_abs <= r:
            return r
    return float(max_abs)


def fine_range(max_abs: float) -> float:
    """1, 2 or 5 times a power of ten, at least max_abs: for gradients, which are often
    thousandths (nice_range's smallest, 1, would put them all in the middle bin)."""
    if not (max_abs > 0 and math.isfinite(max_abs)):
        return 1.0
    scale = 10.0 ** math.floor(math.log10(max_abs))
    return next(m * scale for m in (1.0, 2.0, 5.0, 10.0) if m * scale >= max_abs)


def histogram(x: np.ndarray, lo: float, hi: float, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Counts of x in `bins` equal bins over [lo, hi]; values outside land in the end bins."""
    idx = ((x.ravel() - lo) * (bins / (hi - lo))).astype(np.intp)
    np.clip(idx, 0, bins - 1, out=idx)
    return np.bincount(idx, minlength=bins).astype(np.float32), _edges(lo, hi, bins)


@functools.lru_cache(maxsize=64)
def _edges(lo: float, hi: float, bins: int) -> np.ndarray:
    edges = np.linspace(lo, hi, bins + 1)
    edges.flags.writeable = False
    return edges


def symmetric_histogram(x: np.ndarray, bins: int = HIST_BINS, fine: bool = False) -> tuple[np.ndarray, np.ndarray]:
    top = float(max(x.max(), -x.min())) if x.size else 1.0
    r = fine_range(top) if fine else nice_range(top)
    return histogram(x, -r, r, bins)


def spread(arrays: list[np.ndarray]) -> np.ndarray:
    """Standard deviation (unbiased, as torch.std) of each array, in one pass over all."""
    sizes = np.array([a.size for a in arrays])
    flat = np.concatenate([a.ravel() for a in arrays]).astype(np.float64)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    s, s2 = np.add.reduceat(flat, offsets), np.add.reduceat(flat * flat, offsets)
    var = np.maximum(s2 - s * s / sizes, 0.0) / np.maximum(sizes - 1, 1)
    return np.sqrt(var)


def _np(t: torch.Tensor) -> np.ndarray:
    t = t.detach()
    return t.numpy() if t.device.type == "cpu" else t.cpu().numpy()


def percentiles(x: np.ndarray, at=PERCENTILES) -> np.ndarray:
    flat = x.ravel()
    k = [round(p / 100 * (flat.size - 1)) for p in at]
    return np.partition(flat, k)[k]


def take_snapshot(rec: StepRecord, detail: bool = False, layer: int = 0, layers: bool = True) -> Snapshot:
    h, hpre = _np(rec.outs[layer]), _np(rec.pres[layer])
    abs_h = np.abs(h)
    mask = abs_h > SATURATION_MASK_THRESHOLD
    hp_hist, hp_edges = symmetric_histogram(hpre)
    h_hist, h_edges = histogram(h, -1.0, 1.0)
    grads = [_np(g) for g in rec.grads]
    stds = spread(grads + [_np(p) for p in rec.params])
    grad_std, data_std = stds[: len(grads)], stds[len(grads):]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = grad_std / data_std
        update = np.log10(rec.lr * grad_std / data_std)
    return Snapshot(
        step=rec.step, loss=rec.loss, lr=rec.lr,
        hpreact_hist=hp_hist, hpreact_edges=hp_edges, h_hist=h_hist, h_edges=h_edges,
        saturated_fraction=float((abs_h > SATURATION_THRESHOLD).mean()),
        saturation_mask=mask,
        dead_neurons=int(mask.all(axis=0).sum()),
        param_names=rec.param_names,
        grad_std=grad_std, grad_data_ratio=ratio, update_ratio_log10=update,
        detail=take_detail(rec.out_grads[layer], hpre, grads) if detail else None,
        layer=layer,
        layers=layer_stats(rec) if layers else (),
        weights=weight_stats(rec) if layers else (),
    )


def layer_kinds(model) -> tuple[tuple[int, str], ...]:
    """(flat index, class name) of each hidden layer's output in the lecture's list of layers."""
    last: dict[int, tuple[int, str]] = {}
    for i, (kind, block) in enumerate(model.flat_layers()):
        last[block] = (i, kind)
    return tuple(last[k] for k in range(len(model.blocks) - 1))


def density(t: torch.Tensor, bins: int = LAYER_BINS) -> tuple[np.ndarray, np.ndarray]:
    """As the lecture's torch.histogram(t, density=True): equal bins over [min, max], area 1
    (counted with bincount, several times faster than torch.histogram on these sizes)."""
    x = _np(t).ravel()
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    idx = ((x - lo) * (bins / (hi - lo))).astype(np.intp)
    np.clip(idx, 0, bins - 1, out=idx)
    counts = np.bincount(idx, minlength=bins).astype(np.float32)
    return counts * (bins / (max(x.size, 1) * (hi - lo))), np.linspace(lo, hi, bins + 1)


def _std(t: torch.Tensor) -> torch.Tensor:
    """The lecture's t.std(); undefined (NaN) for a single value, without torch's warning
    (a batch of one through a layer of width one, as tiny setups have)."""
    return t.std() if t.numel() > 1 else torch.tensor(float("nan"))


@torch.no_grad()
def layer_stats(rec: StepRecord) -> tuple[LayerStats, ...]:
    """The lecture's activation and gradient tables, computed as it computes them (torch)."""
    out = []
    for (index, kind), t, g in zip(rec.layer_kinds, rec.outs, rec.out_grads, strict=True):
        t, g = t.detach(), g.detach()
        hist, edges = density(t)
        ghist, gedges = density(g)
        out.append(LayerStats(index, kind, float(t.mean()), float(_std(t)),
                              float((t.abs() > SATURATION_THRESHOLD).float().mean() * 100),
                              hist, edges, float(g.mean()), float(_std(g)), ghist, gedges))
    return tuple(out)


@torch.no_grad()
def weight_stats(rec: StepRecord) -> tuple[WeightStats, ...]:
    out = []
    params = rec.new_params or rec.params
    for i, (name, p, g) in enumerate(zip(rec.param_names, params, rec.grads, strict=True)):
        if p.ndim != 2 or name.startswith("bn"):   # the seed's BN gain is (1, n) but no weight
            continue
        p = p.detach()
        hist, edges = density(g)
        gstd, pstd = _std(g), _std(p)
        ratio = float(gstd / pstd)
        update = math.log10(rec.lr * ratio) if ratio > 0 and math.isfinite(ratio) else float("nan")
        out.append(WeightStats(i, name, tuple(p.shape), float(g.mean()), float(gstd), ratio, update, hist, edges))
    return tuple(out)


def take_detail(h_grad: torch.Tensor, hpre: np.ndarray, grads: list[np.ndarray]) -> Detail:
    # the loss is a mean over the batch: scale by its size to see the per-example gradient
    hg_hist, hg_edges = symmetric_histogram(_np(h_grad) * h_grad.shape[0], fine=True)
    grad_hists, grad_edges = zip(*(symmetric_histogram(g, 40, fine=True) for g in grads), strict=True)
    return Detail(percentiles(hpre), hg_hist, hg_edges, tuple(grad_hists), tuple(grad_edges))
