"""The notebook's MLP: embedding -> linear -> (BatchNorm) -> tanh -> linear.

Every init fix is a switch that reproduces one notebook line exactly; the generator is
always drawn in the same order (C, W1, b1, W2, b2) so switches never shift later draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import Config

PARAM_NAMES = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")


@dataclass
class Forward:
    """What one forward pass hands back for the plots."""
    embcat: torch.Tensor
    hpreact_raw: torch.Tensor   # embcat @ W1 + b1 (before BN)
    hpreact: torch.Tensor       # the tanh input (after BN when BN is on)
    h: torch.Tensor
    logits: torch.Tensor
    batch_mean: torch.Tensor | None = None
    batch_std: torch.Tensor | None = None


class MLP:
    def __init__(self, cfg: Config, vocab_size: int, generator: torch.Generator):
        self.cfg = cfg
        self.vocab_size = vocab_size
        g = generator
        n_in = cfg.n_embed * cfg.block_size
        dev = cfg.device
        # Drawn on the CPU generator then moved, so CUDA runs start from the same weights.
        self.C = torch.randn((vocab_size, cfg.n_embed), generator=g)
        W1 = torch.randn((n_in, cfg.n_hidden), generator=g)
        if cfg.fix_w1:
            W1 = W1 * cfg.w1_scale if cfg.w1_scale is not None else W1 * cfg.w1_gain / n_in ** 0.5
        self.W1 = W1
        b1 = torch.randn(cfg.n_hidden, generator=g)
        self.b1 = b1 * 0.01 if cfg.fix_b1 else b1
        W2 = torch.randn((cfg.n_hidden, vocab_size), generator=g)
        self.W2 = W2 * 0.01 if cfg.fix_w2 else W2
        b2 = torch.randn(vocab_size, generator=g)
        self.b2 = b2 * 0 if cfg.fix_b2 else b2
        self.bngain = torch.ones((1, cfg.n_hidden))
        self.bnbias = torch.zeros((1, cfg.n_hidden))
        self.bnmean_running = torch.zeros((1, cfg.n_hidden))
        self.bnstd_running = torch.ones((1, cfg.n_hidden))
        for name in (*PARAM_NAMES, "bnmean_running", "bnstd_running"):
            setattr(self, name, getattr(self, name).to(dev))
        for p in self.all_parameters():
            p.requires_grad_(True)

    # BN's gain and bias take no part (and get no gradient) when BN is off.
    @property
    def param_names(self) -> tuple[str, ...]:
        return PARAM_NAMES if self.cfg.batchnorm else PARAM_NAMES[:5]

    def parameters(self) -> list[torch.Tensor]:
        return [getattr(self, n) for n in self.param_names]

    def set_parameters(self, params: list[torch.Tensor], buffers: list[torch.Tensor] | None = None) -> None:
        """Swap in new parameter tensors (in param_names order) and, optionally, BN buffers."""
        for name, p in zip(self.param_names, params, strict=True):
            setattr(self, name, p.requires_grad_(True))
        if buffers is not None:
            self.bnmean_running, self.bnstd_running = buffers

    def all_parameters(self) -> list[torch.Tensor]:
        return [getattr(self, n) for n in PARAM_NAMES]

    def buffers(self) -> list[torch.Tensor]:
        return [self.bnmean_running, self.bnstd_running]

    def n_parameters(self) -> int:
        return sum(p.nelement() for p in self.parameters())

    def forward(self, x: torch.Tensor, training: bool) -> Forward:
        emb = self.C[x]
        embcat = emb.view(emb.shape[0], -1)
        hpreact_raw = embcat @ self.W1 + self.b1
        mean = std = None
        if not self.cfg.batchnorm:
            hpreact = hpreact_raw
        elif training:
            mean = hpreact_raw.mean(0, keepdim=True)
            std = hpreact_raw.std(0, keepdim=True)
            hpreact = self.bngain * (hpreact_raw - mean) / std + self.bnbias
        else:
            hpreact = self.bngain * (hpreact_raw - self.bnmean_running) / self.bnstd_running + self.bnbias
        h = torch.tanh(hpreact)
        logits = h @ self.W2 + self.b2
        return Forward(embcat, hpreact_raw, hpreact, h, logits, mean, std)

    @torch.no_grad()
    def update_running(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        m = self.cfg.bn_momentum
        self.bnmean_running = (1 - m) * self.bnmean_running + m * mean
        self.bnstd_running = (1 - m) * self.bnstd_running + m * std

    @torch.no_grad()
    def loss(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Inference-mode loss (BN running statistics): the notebook's split_loss."""
        return F.cross_entropy(self.forward(x, training=False).logits, y).item()

    def state(self) -> dict[str, torch.Tensor]:
        names = (*PARAM_NAMES, "bnmean_running", "bnstd_running")
        return {n: getattr(self, n).detach().cpu().clone() for n in names}

    @torch.no_grad()
    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        for n, t in state.items():
            cur = getattr(self, n)
            if tuple(cur.shape) != tuple(t.shape):
                raise ValueError(f"{n} has shape {tuple(t.shape)}, this model needs {tuple(cur.shape)}")
            if cur.requires_grad:
                cur.copy_(t)
            else:
                setattr(self, n, t.to(cur.device).clone())
