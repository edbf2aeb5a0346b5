"""The MLP: embedding -> n_layers x [linear -> (BatchNorm) -> activation] -> linear (-> BatchNorm).

With one layer and the "seed" style it is the seed notebook's network: every init fix is a
switch that reproduces one notebook line exactly, and the generator is always drawn in the
same order (C, W1, b1, W2, b2, ...) so switches never shift later draws. The "lecture" style
is the lecture's deep net, drawn in its order (C, then each weight; its biases are zeros).
The "wavenet" style is makemore part 5's net: the embedding kept as (B, T, n_embed), each hidden
block fusing consecutive positions first (Block.fuse), no BatchNorm on the output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.config import Config
from core.model.layers import Activation, BatchNorm, Block, Norm

PARAM_NAMES = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")   # the seed's, one layer


@dataclass
class Forward:
    """What one forward pass hands back, per block (the output block last)."""
    embcat: torch.Tensor
    logits: torch.Tensor
    raws: list[torch.Tensor] = field(default_factory=list)   # linear outputs (hprebn)
    pres: list[torch.Tensor] = field(default_factory=list)   # activation inputs (hpreact)
    outs: list[torch.Tensor] = field(default_factory=list)   # activation outputs (h)
    batch_stats: list[tuple[torch.Tensor, torch.Tensor] | None] = field(default_factory=list)


def _suffix(k: int) -> str:
    """BN names: block 1 keeps the seed's bare names (bngain, bnmean_running), others are numbered."""
    return "" if k == 1 else str(k)


class MLP:
    def __init__(self, cfg: Config, vocab_size: int, generator: torch.Generator):
        self.cfg = cfg
        self.vocab_size = vocab_size
        # Drawn on the CPU generator then moved, so CUDA runs start from the same weights.
        self.C = torch.randn((vocab_size, cfg.n_embed), generator=generator)
        widths = [cfg.n_embed * cfg.block_size] + [cfg.n_hidden] * cfg.n_layers + [vocab_size]
        build = {Norm.SEED.value: self._seed_blocks, Norm.LECTURE.value: self._lecture_blocks,
                 "wavenet": self._wavenet_blocks}[cfg.layer_style]
        self.blocks: list[Block] = build(widths, generator)
        self.C = self.C.to(cfg.device)
        for b in self.blocks:
            b.weight = b.weight.to(cfg.device)
            b.bias = None if b.bias is None else b.bias.to(cfg.device)
            if b.bn is not None:
                b.bn.to(cfg.device)
        for bn in self.idle_batchnorms:
            bn.to(cfg.device)
        self._active = self._build_slots(idle=False)   # which tensors never changes: build once
        self._every = self._build_slots(idle=True)
        for p in self.all_parameters():
            p.requires_grad_(True)

    def _seed_blocks(self, widths: list[int], g: torch.Generator) -> list[Block]:
        cfg, blocks = self.cfg, []
        # The seed keeps gain/bias/running tensors even with BN off (unused): idle, not in blocks.
        self.idle_batchnorms: list[BatchNorm] = []
        for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            out = k == len(widths) - 2
            W = torch.randn((n_in, n_out), generator=g)
            b = torch.randn(n_out, generator=g)
            if out:
                W = W * 0.01 if cfg.fix_w2 else W
                b = b * 0 if cfg.fix_b2 else b
                blocks.append(Block(W, b, None, Activation.NONE))
                continue
            if cfg.fix_w1:
                W = W * cfg.w1_scale if cfg.w1_scale is not None else W * cfg.w1_gain / n_in ** 0.5
            b = b * 0.01 if cfg.fix_b1 else b
            bn = BatchNorm.new(Norm.SEED, n_out, cfg.bn_momentum)
            if not cfg.batchnorm:
                self.idle_batchnorms.append(bn)
            blocks.append(Block(W, b, bn if cfg.batchnorm else None, cfg.activation))
        return blocks

    def _lecture_blocks(self, widths: list[int], g: torch.Generator) -> list[Block]:
        cfg, bn_on, blocks = self.cfg, self.cfg.batchnorm, []
        self.idle_batchnorms = []
        for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            out = k == len(widths) - 2
            W = torch.randn((n_in, n_out), generator=g) / n_in**0.5
            bias = None if bn_on else torch.zeros(n_out)
            bn = BatchNorm.new(Norm.LECTURE, n_out, cfg.bn_momentum) if bn_on else None
            blocks.append(Block(W, bias, bn, Activation.NONE if out else cfg.activation, inplace_bias=True))
        with torch.no_grad():
            last = blocks[-1]
            if cfg.fix_w2:   # last layer: make less confident
                if bn_on:
                    last.bn.gamma *= 0.1
                else:
                    last.weight *= 0.1
            # all other layers: apply gain (the lecture's layers[:-1]: with BN the last layer
            # is the output BatchNorm, so the output Linear gets the gain too)
            for b in blocks if bn_on else blocks[:-1]:
                b.weight *= cfg.w1_gain
        return blocks

    def _wavenet_blocks(self, widths: list[int], g: torch.Generator) -> list[Block]:
        """Part 5's Sequential: [FlattenConsecutive(n), Linear(bias=False), BatchNorm1d, Tanh] per
        hidden block, then Linear(n_hidden, vocab) with a bias; its weight x 0.1 (`make less
        confident`). Without BatchNorm each hidden Linear keeps a (zero) bias."""
        cfg, bn_on, blocks = self.cfg, self.cfg.batchnorm, []
        self.idle_batchnorms = []
        positions = cfg.block_size       # positions of the block's input (0 once it is 2-D)
        fan_ins = [*cfg.block_fan_ins(), cfg.n_hidden]
        for k, n_in in enumerate(fan_ins):
            out = k == cfg.n_layers
            fuse = 0 if out or not positions else cfg.fuse_widths()[k]
            if fuse:
                positions //= fuse
                positions = 0 if positions == 1 else positions
            n_out = self.vocab_size if out else cfg.n_hidden
            W = torch.randn((n_in, n_out), generator=g) / n_in**0.5
            bias = torch.zeros(n_out) if out or not bn_on else None
            bn = None
            if bn_on and not out:
                bn = BatchNorm.new("lecture", n_out, cfg.bn_momentum, positions, cfg.bn_dims == "0,1")
            blocks.append(Block(W, bias, bn, "none" if out else cfg.activation, inplace_bias=True, fuse=fuse,
                                positions=positions))
        with torch.no_grad():
            if cfg.fix_w2:
                blocks[-1].weight *= 0.1   # last layer make less confident
        return blocks

    @property
    def sequential(self) -> bool:
        """True for part 5's net: the embedding keeps its positions, the blocks fuse them."""
        return self.cfg.layer_style == "wavenet"

    @property
    def hierarchical(self) -> bool:
        """Some hidden block runs on more than one position (part 5's tree, not a flat net)."""
        return any(b.positions for b in self.blocks)

    @property
    def per_position_batchnorm(self) -> bool:
        """Part 5's BatchNorm bug: statistics over dim 0 of a block that keeps several positions."""
        return any(b.bn is not None and not b.bn.over_positions and b.positions for b in self.blocks)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        emb = self.C[x]
        return emb if self.sequential else emb.view(emb.shape[0], -1)

    # -- tensors by name ----------------------------------------------------------------
    def _slots(self, idle: bool = True) -> tuple[list, list]:
        return self._every if idle else self._active

    def _build_slots(self, idle: bool) -> tuple[list, list]:
        """(name, owner, attribute) of every parameter, and of every BN buffer, in order:
        C, each block's weight and bias, then each BatchNorm's gamma and beta."""
        params, buffers, bns = [("C", self, "C")], [], []
        for k, b in enumerate(self.blocks, 1):
            params.append((f"W{k}", b, "weight"))
            if b.bias is not None:
                params.append((f"b{k}", b, "bias"))
            if b.bn is not None:
                bns.append((k, b.bn))
        if idle:
            bns += [(k, bn) for k, bn in enumerate(self.idle_batchnorms, 1)]
        for k, bn in bns:
            params += [(f"bngain{_suffix(k)}", bn, "gamma"), (f"bnbias{_suffix(k)}", bn, "beta")]
            spread = "bnstd_running" if bn.kind == Norm.SEED else "bnvar_running"
            buffers += [(f"bnmean_running{_suffix(k)}", bn, "running_mean"),
                        (f"{spread}{_suffix(k)}", bn, "running_spread")]
        return params, buffers

    def __getattr__(self, name: str):
        # W1, b1, bngain, bnmean_running, ...: the seed's names, and numbered ones for depth
        if name.startswith("_") or name in ("blocks", "idle_batchnorms"):
            raise AttributeError(name)   # not built yet: no recursion
        params, buffers = self._slots()
        for n, owner, attr in params + buffers:
            if n == name:
                return getattr(owner, attr)
        raise AttributeError(f"{type(self).__name__} has no tensor {name!r}")

    @property
    def hidden(self) -> list[Block]:
        return self.blocks[:-1]

    def batchnorms(self) -> list[BatchNorm]:
        return [b.bn for b in self.blocks if b.bn is not None]

    # BN's gain and bias take no part (and get no gradient) when BN is off.
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(n for n, _, _ in self._slots(idle=False)[0])

    def parameters(self) -> list[torch.Tensor]:
        return [getattr(o, a) for _, o, a in self._slots(idle=False)[0]]

    def all_parameters(self) -> list[torch.Tensor]:
        return [getattr(o, a) for _, o, a in self._slots()[0]]

    def buffers(self) -> list[torch.Tensor]:
        return [getattr(o, a) for _, o, a in self._slots(idle=False)[1]]

    def set_parameters(self, params: list[torch.Tensor], buffers: list[torch.Tensor] | None = None) -> None:
        """Swap in new parameter tensors (in param_names order) and, optionally, BN buffers."""
        p_slots, b_slots = self._slots(idle=False)
        for (_, owner, attr), p in zip(p_slots, params, strict=True):
            setattr(owner, attr, p.requires_grad_(True))
        if buffers is not None:
            for (_, owner, attr), t in zip(b_slots, buffers, strict=True):
                setattr(owner, attr, t)

    def n_parameters(self) -> int:
        return sum(p.nelement() for p in self.parameters())

    def flat_layers(self) -> list[tuple[str, int]]:
        """The lecture's flat layer list as (class name, block index): Linear, BatchNorm1d, Tanh, ..."""
        out = [("Embedding", -1)] if self.sequential else []
        for k, b in enumerate(self.blocks):
            if b.fuse:
                out.append(("FlattenConsecutive", k))
            out.append(("Linear", k))
            if b.bn is not None:
                out.append(("BatchNorm1d", k))
            if b.activation == Activation.TANH:
                out.append(("Tanh", k))
        return out

    # -- the maths ----------------------------------------------------------------------
    def forward(self, x: torch.Tensor, training: bool) -> Forward:
        embcat = self.embed(x)
        h = embcat
        raws, pres, outs, stats = [], [], [], []
        for b in self.blocks:
            raw = b.linear(b.flatten(h))
            stat = None
            if b.bn is None:
                pre = raw
            elif training:
                stat = b.bn.batch_stats(raw)
                pre = b.bn.normalise(raw, *stat)
            else:
                pre = b.bn.normalise(raw, b.bn.running_mean, b.bn.running_spread)
            h = b.activate(pre)
            raws.append(raw)
            pres.append(pre)
            outs.append(h)
            stats.append(stat)
        return Forward(embcat, outs[-1], raws, pres, outs, stats)

    @torch.no_grad()
    def update_running(self, fw: Forward) -> None:
        for b, stat in zip(self.blocks, fw.batch_stats, strict=True):
            if stat is not None:
                b.bn.update_running(*stat)

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor) -> None:
        """The lecture's calibration for every BatchNorm, in order: each one's mean and std (or
        var) measured over x as the layers before it, already calibrated, hand it on."""
        h = self.embed(x)
        for b in self.blocks:
            raw = b.linear(b.flatten(h))
            if b.bn is not None:
                b.bn.running_mean, b.bn.running_spread = b.bn.batch_stats(raw)
                raw = b.bn.normalise(raw, b.bn.running_mean, b.bn.running_spread)
            h = b.activate(raw)

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Inference-mode logits (BN running statistics), keeping no activation it has used."""
        h = self.embed(x)
        for b in self.blocks:
            raw = b.linear(b.flatten(h))
            if b.bn is not None:
                raw = b.bn.normalise(raw, b.bn.running_mean, b.bn.running_spread)
            h = b.activate(raw)
        return h

    @torch.no_grad()
    def loss(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Inference-mode loss (BN running statistics): the notebook's split_loss."""
        return F.cross_entropy(self.logits(x), y).item()

    def state(self) -> dict[str, torch.Tensor]:
        params, buffers = self._slots()
        return {n: getattr(o, a).detach().cpu().clone() for n, o, a in params + buffers}

    @torch.no_grad()
    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        params, buffers = self._slots()
        slots = {n: (o, a) for n, o, a in params + buffers}
        unknown = sorted(set(state) - set(slots))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} do not belong to this model")
        for n, t in state.items():
            owner, attr = slots[n]
            cur = getattr(owner, attr)
            if tuple(cur.shape) != tuple(t.shape):
                raise ValueError(f"{n} has shape {tuple(t.shape)}, this model needs {tuple(cur.shape)}")
            if cur.requires_grad:
                cur.copy_(t)
            else:
                setattr(owner, attr, t.to(cur.device).clone())
