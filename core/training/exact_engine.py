"""The exact engine: the notebook's loop, bit for bit.

On the CPU the backward pass is written out with the very aten kernels autograd calls, in
autograd's order (shared/notes/fast-engine.md): the same bits, without autograd's bookkeeping.
Elsewhere (CUDA) it is autograd itself. It takes a chunk of batches the Trainer drew and
returns what happened (core/training/chunk.py); it never touches the Trainer.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from core.diagnostics.stats import StepRecord, layer_kinds
from core.model.layers import Activation, Norm
from core.training.chunk import Chunk, Failure, Outcome

aten = torch.ops.aten


def has_manual_step(model, device: torch.device) -> bool:
    """manual_step is written for the seed notebook's MLP on the CPU: one hidden block (bias,
    the seed's BatchNorm or none, tanh) and the output block (bias only). Anything else: autograd."""
    if device.type != "cpu" or len(model.blocks) != 2:
        return False
    hidden, out = model.blocks
    return (hidden.bias is not None and not hidden.inplace_bias and hidden.activation == Activation.TANH
            and hidden.norm in (Norm.NONE, Norm.SEED)
            and out.bias is not None and not out.inplace_bias and out.bn is None and out.activation == Activation.NONE)


@torch.no_grad()
def manual_step(model, Xb: torch.Tensor, Yb: torch.Tensor):
    """The notebook MLP's forward and backward by hand; bitwise autograd's.
    Returns (loss, grads in param_names order, (hpreact_raw, hpreact, h, dL/dh), batch mean, std).
    What breaks the bits: summing the three gradients into hpreact_raw in another grouping than
    (g_sub + g_std) + g_mean, or moving the constant 2 / (n - 1)."""
    (hidden, out), B = model.blocks, Xb.shape[0]
    C, W1, b1, W2, b2, bn = model.C, hidden.weight, hidden.bias, out.weight, out.bias, hidden.bn
    emb = C[Xb]
    embcat = emb.view(B, -1)
    raw = embcat @ W1 + b1
    mean = std = None
    if bn is not None:
        mean, std = raw.mean(0, keepdim=True), raw.std(0, keepdim=True)
        sub = raw - mean
        mul = bn.gamma * sub
        div = mul / std
        hpre = div + bn.beta
    else:
        hpre = raw
    h = torch.tanh(hpre)
    logits = h @ W2 + b2
    logp = torch._log_softmax(logits, 1, False)
    loss, total_weight = aten.nll_loss_forward(logp, Yb, None, 1, -100)
    dlogp = aten.nll_loss_backward(torch.ones((), dtype=loss.dtype), logp, Yb, None, 1, -100, total_weight)
    dlogits = aten._log_softmax_backward_data(dlogp, logp, 1, logp.dtype)
    grads = {"W2": h.t().mm(dlogits), "b2": dlogits.sum(0, keepdim=True).view(b2.shape)}
    dh = dlogits.mm(W2.t())
    dhpre = aten.tanh_backward(dh, h)
    if bn is not None:
        grads["bnbias"] = dhpre.sum(0, keepdim=True)
        d_mul = dhpre / std                                         # DivBackward, self
        d_std = (-dhpre * ((mul / std) / std)).sum(0, keepdim=True)   # DivBackward, other
        grads["bngain"] = (d_mul * sub).sum(0, keepdim=True)
        g_sub = d_mul * bn.gamma
        d_mean = (-g_sub).sum(0, keepdim=True)                      # SubBackward, other
        g_std = ((2 / (B - 1)) * (d_std / (std * 2))) * (raw - raw.mean(0, keepdim=True))
        g_mean = d_mean.expand(B, -1) / B
        draw = (g_sub + g_std) + g_mean
    else:
        draw = dhpre
    grads["b1"] = draw.sum(0, keepdim=True).view(b1.shape)
    grads["W1"] = embcat.t().mm(draw)
    demb = draw.mm(W1.t()).view(emb.shape)
    grads["C"] = aten._index_put_impl_(torch.zeros_like(C), [Xb], demb, True, True)
    return loss, [grads[n] for n in model.param_names], (raw, hpre, h, dh), mean, std


def as_rows(t: torch.Tensor) -> torch.Tensor:
    """A (B, T, C) activation viewed as B*T rows of C; a 2-D one as it is."""
    return t if t.ndim == 2 else t.reshape(-1, t.shape[-1])


class ExactEngine:
    """Steps the model through a chunk of batches with torch, bit for bit the notebook's loop."""
    name = "exact"
    max_chunk = 1000    # steps per chunk: bounds the batch indices held and a roll-back's replay

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, device: torch.device):
        self.X, self.Y, self.device = X, Y, device    # the training split

    def ready(self) -> bool:
        return True

    def prepare(self) -> None:
        pass

    def run(self, model, chunk: Chunk) -> Outcome:
        """chunk's steps, until one's loss is not finite (that one is not applied)."""
        B, kinds = chunk.batch_size, layer_kinds(model)
        losses: list[float] = []
        record = None
        for s in range(chunk.steps):
            step = self._step(model, chunk.idx[s * B:(s + 1) * B], chunk.first + s, chunk.lr, kinds)
            if isinstance(step, Failure):
                return Outcome(np.array(losses, np.float32), None, step)
            record = step
            losses.append(record.loss)
        return Outcome(np.array(losses, np.float32), record)

    def _step(self, model, ix: torch.Tensor, i: int, lr: float, kinds) -> StepRecord | Failure:
        params = model.parameters()
        manual = has_manual_step(model, self.device)
        if manual:
            loss, grads, (raw, hpre, h, h_grad), mean, std = manual_step(model, self.X[ix], self.Y[ix])
            raws, pres, outs = (raw,), (hpre,), (h,)
            stats = [None if mean is None else (mean, std), None]
        else:
            ix = ix.to(self.device)
            fw = model.forward(self.X[ix], training=True)
            loss = F.cross_entropy(fw.logits, self.Y[ix])
            raws, pres, outs, stats = tuple(fw.raws[:-1]), tuple(fw.pres[:-1]), tuple(fw.outs[:-1]), fw.batch_stats
        value = loss.item()
        if not math.isfinite(value):
            seed_stds = [stat[1] for b, stat in zip(model.blocks, stats, strict=True)
                         if stat is not None and b.norm == Norm.SEED]
            return Failure(i, value, seed_stds, list(raws))
        for b, stat in zip(model.blocks, stats, strict=True):
            if stat is not None:
                b.bn.update_running(*stat)
        if manual:
            out_grads = (h_grad,)
        else:
            grads = torch.autograd.grad(loss, [*params, *outs])
            grads, out_grads = grads[: len(params)], grads[len(params):]
        with torch.no_grad():
            # p.data += -lr * p.grad, for all parameters in two calls (out of place: the
            # record keeps the tensors the step started from without a copy)
            model.set_parameters(torch._foreach_add(params, torch._foreach_mul(grads, -lr)))
        # part 5's (batch, positions, width) activations as batch x positions rows: the
        # statistics and pictures run over every position
        raws, pres, outs, out_grads = (tuple(as_rows(a) for a in arrays)
                                       for arrays in (raws, pres, outs, out_grads))
        return StepRecord(i, value, lr, model.param_names, tuple(params), tuple(grads), raws=raws, pres=pres, outs=outs,
                          out_grads=tuple(out_grads), new_params=tuple(model.parameters()),
                          layer_kinds=kinds)
