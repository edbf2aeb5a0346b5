"""The compiled kernel against torch autograd: the seed net and deeper stacks (both BatchNorm
kinds, with and without bias, tanh and no activation), losses and weights after some steps."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.model.layers import LECTURE_EPS, Activation, BatchNorm, Block, Norm
from core.training import fast_kernel as fk
from core.training.fast_kernel_binding import BoundNetwork, available

pytestmark = pytest.mark.skipif(not available(), reason="numba is not installed")

f32 = np.float32


class Net:
    """A stack of core/model/layers.py blocks, any mix of kinds, as the binding reads a model."""

    def __init__(self, C, blocks):
        self.C, self.blocks = C, blocks

    def parameters(self):
        return [self.C] + [t for b in self.blocks for t in (b.weight, b.bias) if t is not None] + \
            [t for b in self.blocks if b.bn for t in (b.bn.gamma, b.bn.beta)]

    def buffers(self):
        return [t for b in self.blocks if b.bn for t in (b.bn.running_mean, b.bn.running_spread)]


def make_network(rng, vocab, n_embed, block_size, widths, bias, bn, act, out_bn=None):
    """widths: hidden sizes; bn/act: per hidden block; the output block has bias[-1], out_bn."""
    w = lambda *s, scale=1.0: torch.from_numpy((rng.standard_normal(s) * scale).astype(f32))
    fan_in = n_embed * block_size
    blocks = []
    for i, n in enumerate([*widths, vocab]):
        last = i == len(widths)
        kind = out_bn if last else bn[i]
        norm = None
        if kind is not None:
            seed = kind == "seed"
            norm = BatchNorm(Norm(kind), 1 + w(n, scale=0.1), w(n, scale=0.1), w(n, scale=0.1),
                             1 + w(n, scale=0.1).abs(), 0.001 if seed else 0.1, 0.0 if seed else LECTURE_EPS)
        blocks.append(Block(w(fan_in, n, scale=1 / fan_in ** 0.5), w(n, scale=0.1) if bias[i] else None, norm,
                            Activation.NONE if last or act[i] is None else Activation(act[i])))
        fan_in = n
    return Net(w(vocab, n_embed), blocks)


def torch_reference(net, X, Y, idx, k, B, lr):
    """The same k steps with torch autograd (float32): per-step losses and the final arrays."""
    t = lambda a: a.detach().clone().requires_grad_(True)
    C = t(net.C)
    layers = []
    for b in net.blocks:
        bn = b.bn
        layers.append(dict(W=t(b.weight), b=None if b.bias is None else t(b.bias), bn=bn,
                           gamma=None if bn is None else t(bn.gamma), beta=None if bn is None else t(bn.beta),
                           rm=None if bn is None else bn.running_mean.clone(),
                           rs=None if bn is None else bn.running_spread.clone()))
    params = [C] + [p for L in layers for p in (L["W"], L["b"], L["gamma"], L["beta"]) if p is not None]
    Xt, Yt, ix = torch.from_numpy(X), torch.from_numpy(Y), torch.from_numpy(idx)
    losses = []
    for s in range(k):
        rows = ix[s * B:(s + 1) * B]
        x = C[Xt[rows]].view(B, -1)
        for L, block in zip(layers, net.blocks, strict=True):
            x = x @ L["W"]
            if L["b"] is not None:
                x = x + L["b"]
            bn = L["bn"]
            if bn is not None:
                mean, var = x.mean(0), x.var(0)
                m = bn.momentum
                with torch.no_grad():
                    L["rm"] = (1 - m) * L["rm"] + m * mean
                    if bn.kind == "seed":
                        std = var.sqrt()
                        L["rs"] = (1 - m) * L["rs"] + m * std
                    else:
                        L["rs"] = (1 - m) * L["rs"] + m * var
                spread = var.sqrt() if bn.kind == "seed" else (var + bn.eps).sqrt()
                x = L["gamma"] * (x - mean) / spread + L["beta"]
            if block.activation == "tanh":
                x = torch.tanh(x)
        loss = F.cross_entropy(x, Yt[rows])
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p += -lr * p.grad
        losses.append(loss.item())
    state = [C] + [a for L in layers for a in (L["W"], L["b"], L["gamma"], L["beta"], L["rm"], L["rs"])
                   if a is not None]
    return np.array(losses), [a.detach().numpy() for a in state]


def kernel_state(net):
    out = [net.C]
    for b in net.blocks:
        out += [a for a in (b.weight, b.bias) if a is not None]
        if b.bn is not None:
            out += [b.bn.gamma, b.bn.beta, b.bn.running_mean, b.bn.running_spread]
    return [a.numpy() for a in out]


def run_both(net, n_rows=400, k=60, B=32, lr=0.1, seed=0):
    rng = np.random.default_rng(seed)
    vocab, n_embed = net.C.shape
    block_size = net.blocks[0].weight.shape[0] // n_embed
    X = rng.integers(0, vocab, (n_rows, block_size)).astype(np.int64)
    Y = rng.integers(0, vocab, n_rows).astype(np.int64)
    idx = rng.integers(0, n_rows, k * B).astype(np.int64)
    ref_losses, ref_state = torch_reference(net, X, Y, idx, k, B, lr)   # copies: net is untouched
    bound = BoundNetwork(net, X, Y)
    losses = np.empty(k, f32)
    assert bound.train(idx, lr, bound.workspace(B), losses) == k
    return losses, ref_losses, kernel_state(net), ref_state


def assert_close(losses, ref_losses, state, ref_state, rtol=2e-4, atol=2e-5):
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5, atol=1e-5)
    assert len(state) == len(ref_state)
    for a, b in zip(state, ref_state, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_the_seed_net_matches_torch():
    rng = np.random.default_rng(1)
    net = make_network(rng, 27, 10, 3, [200], bias=[True, True], bn=["seed"], act=["tanh"])
    assert_close(*run_both(net))


@pytest.mark.parametrize("widths, bias, bn, act, out_bn", [
    ([100] * 5, [False] * 6, ["lecture"] * 5, ["tanh"] * 5, "lecture"),     # the lecture's deep net
    ([64] * 3, [True] * 4, [None] * 3, ["tanh"] * 3, None),                  # no BatchNorm
    ([48, 40, 32, 24], [True, False, True, False, True], ["seed", "lecture", None, "seed"],
     ["tanh", None, "tanh", None], "seed"),                                   # everything mixed
    ([50] * 3, [True] * 4, ["lecture"] * 3, [None] * 3, None),               # linear stack
])
def test_deeper_stacks_match_torch(widths, bias, bn, act, out_bn):
    rng = np.random.default_rng(len(widths))
    net = make_network(rng, 27, 8, 3, widths, bias, bn, act, out_bn)
    assert_close(*run_both(net, k=40))


def test_a_batch_of_two_with_identical_rows_stops_at_the_nan():
    """BatchNorm divides 0 by a zero std: the kernel stops before applying that step."""
    rng = np.random.default_rng(2)
    net = make_network(rng, 5, 2, 3, [8], bias=[True, True], bn=["seed"], act=["tanh"])
    before = [a.copy() for a in kernel_state(net)]
    X = np.zeros((3, 3), np.int64)
    bound = BoundNetwork(net, X, np.zeros(3, np.int64))
    losses = np.empty(4, f32)
    assert bound.train(np.zeros(8, np.int64), 0.1, bound.workspace(2), losses) == 0
    assert np.isnan(losses[0])
    for a, b in zip(kernel_state(net), before, strict=True):
        np.testing.assert_array_equal(a, b)


def host_has_fma() -> bool:
    import llvmlite.binding as llvm
    return llvm.get_host_cpu_features().get("fma", False)


# Measured on this sample, where the CPU fuses multiply-adds (the kernel allows LLVM to): max
# 4.32 ulp (at x = 4.79), 3.50 beyond the clamp (|x| > 7.905, where it stays at tanh(7.905) =
# 1 - 2.7e-7), mean 0.12. Without FMA: max 6.03 ulp (at 5.83). torch.tanh's own max is 0.51.
TANH_MAX_ULP = 4.5 if host_has_fma() else 6.5


def ulp_error(x: np.ndarray) -> np.ndarray:
    ours = np.empty_like(x)
    fk.tanh_into(x, ours)
    exact = np.tanh(x.astype(np.float64))
    return np.abs(ours.astype(np.float64) - exact) / np.spacing(np.abs(exact).astype(f32)).astype(np.float64)


def test_tanh_approximation_is_within_a_few_ulp():
    # every 97th float32 between -10 and 10, and every float32 near 0 and near the clamp
    pos = np.arange(0, np.float32(10).view(np.int32), 97, dtype=np.int32).view(f32)
    x = np.concatenate([pos, -pos, np.float32(7.9053111) + np.arange(-2000, 2000, dtype=f32) * np.spacing(f32(7.9))])
    err = ulp_error(x)
    assert err.max() <= TANH_MAX_ULP, (err.max(), x[err.argmax()])
    assert err.mean() < 1.0
    assert np.array_equal(np.sign(ulp_error(np.array([0.0, -0.0], f32))), [0, 0])


def test_a_new_depth_does_not_compile_the_kernel_again():
    """Depth, widths and kinds are run-time values: nets of 2 and 7 blocks run on one compiled
    train_steps (the kernel took a tuple per depth before, a compile of seconds each)."""
    for widths in ([16], [16, 12, 12, 12, 12, 12]):
        n = len(widths)
        net = make_network(np.random.default_rng(n), 27, 4, 3, widths, [True] * (n + 1), ["lecture"] * n, ["tanh"] * n)
        assert_close(*run_both(net, k=5))
    assert len(fk.train_steps.signatures) == 1
