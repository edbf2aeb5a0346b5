"""The fast engine's own gradients for the gradient check: its compiled kernel's forward and
backward on the check's batch (`BoundNetwork.gradients`, nothing updated), and what its backward
pass wrote, read back: every parameter's gradient buffer, dL/dlogits, and per hidden layer dL/dh
and the gradient at the linear output (hpreact without BatchNorm, hprebn with it)."""
from __future__ import annotations

import math

import torch

from core.training import fast_kernel_binding as fb


def _layer_name(base: str, k: int) -> str:
    return base if k == 1 else f"{base}{k}"


def fast_engine_gradients(model, train_split, ix: torch.Tensor) -> tuple[dict[str, torch.Tensor], str]:
    """model: the model (or a copy) at the weights to check; ix: the batch's rows of the training split."""
    X, Y = train_split
    fb.prepare()
    bound = fb.BoundNetwork(model, X.numpy(), Y.numpy())
    ws = bound.workspace(len(ix))
    if not math.isfinite(bound.gradients(ix.numpy().astype("int64"), ws)):
        raise ValueError("The loss on the check's batch is not finite: there are no gradients to check.")
    grad_of = bound.gradient_of(ws)
    out = {name: torch.from_numpy(grad_of[id(p)].copy()).view(p.shape)
           for name, p in zip(model.param_names, model.parameters(), strict=True)}
    out["logits"] = torch.from_numpy(ws.acts[-1].dh.copy())
    for li, b in enumerate(model.blocks[:-1]):
        k = li + 1
        out[_layer_name("h", k)] = torch.from_numpy(ws.acts[li].dh.copy())
        at_linear = _layer_name("hprebn" if b.bn is not None else "hpreact", k)
        out[at_linear] = torch.from_numpy(ws.acts[li].dhprebn.copy())
    return out, "the compiled kernel's backward (core/training/fast_kernel.py), float32"
