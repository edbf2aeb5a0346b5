"""The fast engine's own gradients for the gradient check: its compiled kernel takes one step on
the check's batch with a learning rate of 0, on a copy of the model, and what its backward pass
wrote is read back: every parameter's gradient, dL/dlogits, and per hidden layer dL/dh and the
gradient at the linear output (hpreact without BatchNorm, hprebn with it)."""
from __future__ import annotations

import numpy as np
import torch

from core.model import network
from core.training import fast_kernel_binding as fb


def _layer_name(base: str, k: int) -> str:
    return base if k == 1 else f"{base}{k}"


def fast_engine_gradients(model, train_split, ix: torch.Tensor) -> tuple[dict[str, torch.Tensor], str]:
    """model: a copy the kernel may change (its running statistics move); ix: the batch's rows."""
    X, Y = train_split
    net = network.adapt(model)
    fb.prepare(len(net.blocks))
    bound = fb.BoundNetwork(net, X.numpy(), Y.numpy())
    ws = bound.workspace(len(ix))
    losses = np.empty(1, dtype=np.float32)
    if bound.run(ix.numpy().astype(np.int64), 1, 0.0, ws, losses) != 1:
        raise ValueError("The loss on the check's batch is not finite: there are no gradients to check.")
    grad_of = ws.grads_for(net)
    out = {name: torch.from_numpy(grad_of[id(a)].copy()) for name, a in net.named}
    last = len(net.blocks) - 1
    out["logits"] = torch.from_numpy(ws.dh[last].copy())
    for li, b in enumerate(net.blocks[:-1]):
        k = li + 1
        out[_layer_name("h", k)] = torch.from_numpy(ws.dh[li].copy())
        at_linear = _layer_name("hprebn" if b.bn is not None else "hpreact", k)
        out[at_linear] = torch.from_numpy(ws.gz[li].copy())
    return out, "the compiled kernel's backward (core/training/fast_kernel.py), float32"
