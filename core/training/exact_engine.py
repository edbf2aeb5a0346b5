"""The exact engine: the notebook's loop, bit for bit.

On the CPU the backward pass is written out with the very aten kernels autograd calls, in
autograd's order (shared/notes/fast-engine.md): the same bits, without autograd's bookkeeping.
Elsewhere (CUDA) it is autograd itself. Batches are drawn a chunk at a time: one
torch.randint(0, N, (k*B,)) equals k draws of B and leaves the generator in the same state.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.diagnostics.stats import StepRecord

aten = torch.ops.aten
CHUNK = 1000    # batches drawn per call of torch.randint


def has_manual_step(model, device: torch.device) -> bool:
    """manual_step is written for the seed notebook's MLP on the CPU: one hidden block (bias,
    the seed's BatchNorm or none, tanh) and the output block (bias only). Anything else: autograd."""
    if device.type != "cpu" or len(model.blocks) != 2:
        return False
    hidden, out = model.blocks
    return (hidden.bias is not None and not hidden.inplace_bias and hidden.activation == "tanh"
            and (hidden.bn is None or hidden.bn.kind == "seed")
            and out.bias is not None and not out.inplace_bias and out.bn is None and out.activation == "none")


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
    name = "exact"

    def __init__(self, trainer):
        self.trainer = trainer
        self.previous: tuple[list, list] | None = None   # weights before the last step's update
        self.previous_last: StepRecord | None = None     # the record of the step before `last`
        # (first step, generator state before, batch size, steps) of the last two draws: a
        # roll-back puts the generator back to before the batch of the step it returns to
        self.draws: list[tuple[int, torch.Tensor, int, int]] = []

    def ready(self) -> bool:
        return True

    def prepare(self) -> None:
        pass

    def forget(self) -> None:
        """The weights were changed from outside: there is no step to go back to."""
        self.previous = self.previous_last = None
        self.draws = []

    def _draw(self, k: int) -> torch.Tensor:
        """The batch indices of the next k steps, drawn at once."""
        t = self.trainer
        B = t.cfg.batch_size
        self.draws = self.draws[-1:] + [(t.step, t.generator.get_state(), B, k)]
        return torch.randint(0, t.splits["train"][0].shape[0], (k * B,), generator=t.generator)

    def _generator_before(self, step: int) -> bool:
        """Put the generator where it was before step's batch was drawn (False if unknown)."""
        g, N = self.trainer.generator, self.trainer.splits["train"][0].shape[0]
        for first, state, B, k in reversed(self.draws):
            if first <= step < first + k:
                g.set_state(state)
                if step > first:
                    torch.randint(0, N, ((step - first) * B,), generator=g)
                return True
        return False

    def train(self, n: int) -> list[float]:
        t = self.trainer
        B = t.cfg.batch_size
        out: list[float] = []
        while len(out) < n and not t.done:
            k = min(n - len(out), t.cfg.max_steps - t.step, CHUNK)
            idx = self._draw(k)
            for j in range(k):
                loss = self._step(idx[j * B:(j + 1) * B])
                if loss is None:
                    return out
                out.append(loss)
        return out

    def train_step(self) -> float | None:
        return self._step(self._draw(1))

    def _step(self, ix: torch.Tensor) -> float | None:
        t = self.trainer
        cfg, model, i = t.cfg, t.model, t.step
        Xtr, Ytr = t.splits["train"]
        params = model.parameters()
        manual = has_manual_step(model, t.device)
        if manual:
            loss, grads, (raw, hpre, h, h_grad), mean, std = manual_step(model, Xtr[ix], Ytr[ix])
            raws, pres, outs = (raw,), (hpre,), (h,)
            stats = [None if mean is None else (mean, std), None]
        else:
            ix = ix.to(t.device)
            fw = model.forward(Xtr[ix], training=True)
            loss = F.cross_entropy(fw.logits, Ytr[ix])
            raws, pres, outs, stats = tuple(fw.raws[:-1]), tuple(fw.pres[:-1]), tuple(fw.outs[:-1]), fw.batch_stats
        value = loss.item()
        if not math.isfinite(value):
            self._diverged(i, value, stats, raws)
            return None
        # The update is made out of place, so the tensors it replaces are kept, without a
        # copy, as the state to go back to if the next loss is not finite.
        self.previous = (params, model.buffers())
        for b, stat in zip(model.blocks, stats, strict=True):
            if stat is not None:
                b.bn.update_running(*stat)
        if manual:
            out_grads = (h_grad,)
        else:
            grads = torch.autograd.grad(loss, [*params, *outs])
            grads, out_grads = grads[: len(params)], grads[len(params):]
        lr = cfg.lr_at(i)
        with torch.no_grad():
            # p.data += -lr * p.grad, for all parameters in two calls
            model.set_parameters(torch._foreach_add(params, torch._foreach_mul(grads, -lr)))
        self.previous_last = t.last
        # part 5's (batch, positions, width) activations as batch x positions rows: the
        # statistics and pictures run over every position
        raws, pres, outs, out_grads = (tuple(as_rows(a) for a in arrays)
                                       for arrays in (raws, pres, outs, out_grads))
        t.last = StepRecord(i, value, lr, raws[0], pres[0], outs[0], out_grads[0], model.param_names,
                            tuple(params), tuple(grads), raws=raws, pres=pres, outs=outs,
                            out_grads=tuple(out_grads), new_params=tuple(model.parameters()),
                            layer_kinds=t.layer_kinds)
        t.store_losses(i, [value])
        t.step = i + 1
        t.divergence = t.diverged_at = None
        return value

    def _diverged(self, i: int, value: float, stats, raws) -> None:
        """Back to the weights before step i - 1 was applied and the generator before its
        batch: continuing is a run that had stopped at step i - 1 (or unchanged, before i's batch)."""
        t = self.trainer
        restored = self.previous is not None and self._generator_before(i - 1)
        if restored:
            t.model.set_parameters(*self.previous)
            t.step = i - 1
            # statistics of the step before, as in a run that had stopped there
            t.last = self.previous_last
        else:
            self._generator_before(i)
            t.last = None
        self.forget()
        seed_stds = [stat[1] for b, stat in zip(t.model.blocks, stats, strict=True)
                     if stat is not None and b.bn.kind == "seed"]
        t.report_divergence(i, value, restored, seed_stds, raws)
