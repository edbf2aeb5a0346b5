"""The exact engine: the notebook's loop with torch autograd, one step at a time, bit for bit."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .stats import StepRecord


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
        out = []
        t = self.trainer
        for _ in range(n):
            if t.done:
                break
            loss = self.train_step()
            if loss is None:
                break
            out.append(loss)
        return out

    def train_step(self) -> float | None:
        t = self.trainer
        cfg, model, i = t.cfg, t.model, t.step
        Xtr, Ytr = t.splits["train"]
        ix = torch.randint(0, Xtr.shape[0], (cfg.batch_size,), generator=t.generator)
        if t.device.type != "cpu":
            ix = ix.to(t.device)
        fw = model.forward(Xtr[ix], training=True)
        loss = F.cross_entropy(fw.logits, Ytr[ix])
        value = loss.item()
        if not math.isfinite(value):
            self._diverged(i, value)
            return None
        params = model.parameters()
        # The update is made out of place, so the tensors it replaces are kept, without a
        # copy, as the state to go back to if the next loss is not finite.
        self.previous = (params, model.buffers())
        if cfg.batchnorm:
            model.update_running(fw.batch_mean, fw.batch_std)
        *grads, h_grad = torch.autograd.grad(loss, [*params, fw.h])
        lr = cfg.lr_at(i)
        with torch.no_grad():
            # p.data += -lr * p.grad, for all parameters in two calls
            model.set_parameters(torch._foreach_add(params, torch._foreach_mul(grads, -lr)))
        self.previous_last = t.last
        t.last = StepRecord(i, value, lr, fw.hpreact_raw, fw.hpreact, fw.h, h_grad,
                            model.param_names, params, grads)
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
