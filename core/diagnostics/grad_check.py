"""Part 4's gradient check: an engine's own gradients against autograd's, on one batch at the
current weights, one row per tensor as the lecture prints them:

    W1              | exact: True  | approximate: True  | maxdiff: 0.0

`exact` is every element equal, `approximate` torch.allclose with its defaults (rtol 1e-5,
atol 1e-8), `maxdiff` the largest absolute difference. Autograd's gradients come from the
model's own forward pass (BatchNorm on the batch's statistics) and F.cross_entropy, the
notebook's loss. Nothing of the run changes: the batch is drawn by a generator of its own and
the engine works on a copy of the model.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.training.exact_engine import has_manual_step, manual_step

CHECK_SEED = 2147483647      # the batch's generator seed (the lecture's favourite)


@dataclass(frozen=True)
class GradRow:
    name: str
    exact: bool
    approximate: bool
    maxdiff: float
    scale: float = 0.0          # the largest |gradient| of the reference: maxdiff / scale is float32's noise
                                # (~1e-7 ... 1e-6) when the two differ only in rounding, ~1 when one is wrong

    @property
    def relative(self) -> float:
        return self.maxdiff / self.scale if self.scale > 0 else (0.0 if self.maxdiff == 0 else float("inf"))

    @property
    def line(self) -> str:
        """The lecture's cmp() line."""
        return (f"{self.name:15s} | exact: {str(self.exact):5s} | approximate: {str(self.approximate):5s} "
                f"| maxdiff: {self.maxdiff}")


@dataclass
class GradCheck:
    engine: str                 # "exact" or "fast"
    rows: list[GradRow]
    dlogits: np.ndarray         # autograd's dL/dlogits, (batch, vocab): the lecture's image
    note: str = ""              # how this engine's gradients were taken

    @property
    def lines(self) -> list[str]:
        return [f"{self.engine} engine: {self.note}"] + [r.line for r in self.rows]


def compare(name: str, mine: torch.Tensor, reference: torch.Tensor) -> GradRow:
    mine, reference = mine.detach().reshape(reference.shape), reference.detach()
    return GradRow(name, bool(torch.all(mine == reference).item()), bool(torch.allclose(mine, reference)),
                   float((mine - reference).abs().max().item()), float(reference.abs().max().item()))


def check_batch(trainer, batch_seed: int = CHECK_SEED) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(indices, X, Y) of one training batch of the run's batch size, from a generator of its own."""
    X, Y = trainer.splits["train"]
    g = torch.Generator().manual_seed(batch_seed)
    ix = torch.randint(0, X.shape[0], (trainer.cfg.batch_size,), generator=g).to(X.device)
    return ix, X[ix], Y[ix]


def _layer_name(base: str, k: int) -> str:
    return base if k == 1 else f"{base}{k}"


def autograd_gradients(model, Xb: torch.Tensor, Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """The reference: dL/d every parameter, the logits and each hidden layer's tanh input and
    output (hpreact, h; hpreact2, h2, ... deeper) and, before a BatchNorm, its input (hprebn)."""
    fw = model.forward(Xb, training=True)
    loss = F.cross_entropy(fw.logits, Yb)
    hidden = len(model.blocks) - 1
    named = dict(zip(model.param_names, model.parameters(), strict=True))
    named["logits"] = fw.logits
    for j in range(hidden):
        named[_layer_name("hpreact", j + 1)] = fw.pres[j]
        named[_layer_name("h", j + 1)] = fw.outs[j]
        if model.blocks[j].bn is not None:
            named[_layer_name("hprebn", j + 1)] = fw.raws[j]
    grads = torch.autograd.grad(loss, list(named.values()))
    return dict(zip(named, grads, strict=True))


def row_order(model) -> list[str]:
    """The lecture's order, from the loss back: logits, h, W2, b2, hpreact, bngain, bnbias, hprebn,
    W1, b1, C."""
    names, params = ["logits"], set(model.param_names)
    for j in reversed(range(len(model.blocks))):
        k = j + 1
        if j > 0:
            names.append(_layer_name("h", j))
        if j < len(model.blocks) - 1:
            names.append(_layer_name("hpreact", k))
        suffix = "" if k == 1 else str(k)
        names += [n for n in (f"bngain{suffix}", f"bnbias{suffix}") if n in params]
        if j < len(model.blocks) - 1 and model.blocks[j].bn is not None:
            names.append(_layer_name("hprebn", k))
        names += [n for n in (f"W{k}", f"b{k}") if n in params]
    return names + ["C"]


def exact_engine_gradients(model, Xb, Yb) -> tuple[dict[str, torch.Tensor], str]:
    """The exact engine's gradients: its hand-written backward where it has one (the seed's
    net on the CPU), else autograd, which it then uses itself."""
    if not has_manual_step(model, Xb.device):
        return autograd_gradients(model, Xb, Yb), "this net trains with autograd itself"
    _, grads, (_, _, _, dh), _, _ = manual_step(model, Xb, Yb)
    out = dict(zip(model.param_names, grads, strict=True))
    out["h"] = dh
    return out, "the hand-written backward (core/training/exact_engine.py, manual_step)"


def check(trainer, engine: str = "exact", batch_seed: int = CHECK_SEED) -> GradCheck:
    """One engine's gradients against autograd's on one batch at the trainer's current weights."""
    ix, Xb, Yb = check_batch(trainer, batch_seed)
    model = copy.deepcopy(trainer.model)     # an engine's step may touch running statistics
    reference = autograd_gradients(model, Xb, Yb)
    if engine == "exact":
        mine, note = exact_engine_gradients(model, Xb, Yb)
    elif engine == "fast":
        from core.diagnostics.fast_gradients import fast_engine_gradients
        mine, note = fast_engine_gradients(model, trainer.splits["train"], ix)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    rows = [compare(n, mine[n], reference[n]) for n in row_order(model) if n in mine]
    return GradCheck(engine, rows, reference["logits"].detach().cpu().numpy(), note)


def engines(trainer) -> list[str]:
    """The engines whose gradients can be checked for this run: the exact engine always, the
    fast one where it runs (the CPU, numba importable) and exposes its gradients."""
    from core.training.fast_engine import unavailable_reason
    out = ["exact"]
    # the Trainer's own rule: the kernel has no per-position BatchNorm (part 5's bug)
    if (unavailable_reason(trainer.device.type) is None and not trainer.model.per_position_batchnorm
            and fast_gradients_available()):
        out.append("fast")
    return out


def fast_gradients_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("core.diagnostics.fast_gradients") is not None
