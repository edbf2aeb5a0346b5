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

from .stats import StepRecord

aten = torch.ops.aten
CHUNK = 1000    # batches drawn per call of torch.randint
SEED_NET = frozenset({"C", "W1", "b1", "W2", "b2", "bngain", "bnbias"})


def has_manual_step(model, device: torch.device) -> bool:
    """manual_step is written for the seed notebook's MLP on the CPU; anything else uses autograd."""
    return device.type == "cpu" and set(model.param_names) <= SEED_NET and hasattr(model, "W1")


@torch.no_grad()
def manual_step(model, Xb: torch.Tensor, Yb: torch.Tensor):
    """The notebook MLP's forward and backward by hand; bitwise autograd's.
    Returns (loss, grads in param_names order, (hpreact_raw, hpreact, h, dL/dh), batch mean, std).
    What breaks the bits: summing the three gradients into hpreact_raw in another grouping than
    (g_sub + g_std) + g_mean, or moving the constant 2 / (n - 1)."""
    m, B = model, Xb.shape[0]
    emb = m.C[Xb]
    embcat = emb.view(B, -1)
    raw = embcat @ m.W1 + m.b1
    mean = std = None
    if m.cfg.batchnorm:
        mean, std = raw.mean(0, keepdim=True), raw.std(0, keepdim=True)
        sub = raw - mean
        mul = m.bngain * sub
        div = mul / std
        hpre = div + m.bnbias
    else:
        hpre = raw
    h = torch.tanh(hpre)
    logits = h @ m.W2 + m.b2
    logp = torch._log_softmax(logits, 1, False)
    loss, total_weight = aten.nll_loss_forward(logp, Yb, None, 1, -100)
    dlogp = aten.nll_loss_backward(torch.ones((), dtype=loss.dtype), logp, Yb, None, 1, -100, total_weight)
    dlogits = aten._log_softmax_backward_data(dlogp, logp, 1, logp.dtype)
    grads = {"W2": h.t().mm(dlogits), "b2": dlogits.sum(0, keepdim=True).view(m.b2.shape)}
    dh = dlogits.mm(m.W2.t())
    dhpre = aten.tanh_backward(dh, h)
    if m.cfg.batchnorm:
        grads["bnbias"] = dhpre.sum(0, keepdim=True)
        d_mul = dhpre / std                                         # DivBackward, self
        d_std = (-dhpre * ((mul / std) / std)).sum(0, keepdim=True)   # DivBackward, other
        grads["bngain"] = (d_mul * sub).sum(0, keepdim=True)
        g_sub = d_mul * m.bngain
        d_mean = (-g_sub).sum(0, keepdim=True)                      # SubBackward, other
        g_std = ((2 / (B - 1)) * (d_std / (std * 2))) * (raw - raw.mean(0, keepdim=True))
        g_mean = d_mean.expand(B, -1) / B
        draw = (g_sub + g_std) + g_mean
    else:
        draw = dhpre
    grads["b1"] = draw.sum(0, keepdim=True).view(m.b1.shape)
    grads["W1"] = embcat.t().mm(draw)
    demb = draw.mm(m.W1.t()).view(emb.shape)
    grads["C"] = aten._index_put_impl_(torch.zeros_like(m.C), [Xb], demb, True, True)
    return loss, [grads[n] for n in m.param_names], (raw, hpre, h, dh), mean, std


class ExactEngine:
    name = "exact"

    def __init__(self, trainer):
        self.trainer = trainer
        self.previous: tuple[list, list] | None = None   # weights before the last step's update
        self.previous_last: StepRecord | None = None     # the record of the step before `last`

    def ready(self) -> bool:
        return True

    def prepare(self) -> None:
        pass

    def forget(self) -> None:
        """The weights were changed from outside: there is no step to go back to."""
        self.previous = self.previous_last = None

    def train(self, n: int) -> list[float]:
        t = self.trainer
        N, B = t.splits["train"][0].shape[0], t.cfg.batch_size
        out: list[float] = []
        while len(out) < n and not t.done:
            k = min(n - len(out), t.cfg.max_steps - t.step, CHUNK)
            drawn_from = t.generator.get_state()
            idx = torch.randint(0, N, (k * B,), generator=t.generator)
            for j in range(k):
                loss = self._step(idx[j * B:(j + 1) * B])
                if loss is None:
                    # as if drawn one step at a time up to the step that failed
                    t.generator.set_state(drawn_from)
                    torch.randint(0, N, ((j + 1) * B,), generator=t.generator)
                    return out
                out.append(loss)
        return out

    def train_step(self) -> float | None:
        t = self.trainer
        return self._step(torch.randint(0, t.splits["train"][0].shape[0], (t.cfg.batch_size,),
                                        generator=t.generator))

    def _step(self, ix: torch.Tensor) -> float | None:
        t = self.trainer
        cfg, model, i = t.cfg, t.model, t.step
        Xtr, Ytr = t.splits["train"]
        params = model.parameters()
        manual = has_manual_step(model, t.device)
        if manual:
            loss, grads, (raw, hpre, h, h_grad), mean, std = manual_step(model, Xtr[ix], Ytr[ix])
        else:
            ix = ix.to(t.device)
            fw = model.forward(Xtr[ix], training=True)
            loss = F.cross_entropy(fw.logits, Ytr[ix])
            raw, hpre, h, mean, std = fw.hpreact_raw, fw.hpreact, fw.h, fw.batch_mean, fw.batch_std
        value = loss.item()
        if not math.isfinite(value):
            self._diverged(i, value)
            return None
        # The update is made out of place, so the tensors it replaces are kept, without a
        # copy, as the state to go back to if the next loss is not finite.
        self.previous = (params, model.buffers())
        if cfg.batchnorm:
            model.update_running(mean, std)
        if not manual:
            *grads, h_grad = torch.autograd.grad(loss, [*params, fw.h])
        lr = cfg.lr_at(i)
        with torch.no_grad():
            # p.data += -lr * p.grad, for all parameters in two calls
            model.set_parameters(torch._foreach_add(params, torch._foreach_mul(grads, -lr)))
        self.previous_last = t.last
        t.last = StepRecord(i, value, lr, raw, hpre, h, h_grad, model.param_names, params, grads)
        t.store_losses(i, [value])
        t.step = i + 1
        t.divergence = t.diverged_at = None
        return value

    def _diverged(self, i: int, value: float) -> None:
        t = self.trainer
        restored = self.previous is not None
        if restored:
            t.model.set_parameters(*self.previous)
            t.step = i - 1
            # statistics of the step before, as in a run that had stopped there
            t.last = self.previous_last
        else:
            t.last = None
        self.forget()
        t.report_divergence(i, value, restored)
