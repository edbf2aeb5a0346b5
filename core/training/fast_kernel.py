"""The fast engine's compiled kernel: SGD steps on the MLP in float32, a chunk per call, without the GIL.

In llm.c's shape: one function per operation with its shapes, then the forward pass, the
backward pass in the reverse order of the forward, and the update, each a pass of its own, with
the notebook's names (embcat, hprebn, hpreact, h, logits; a gradient is d + the name). The
network is three typed lists, one entry per block, that core/training/fast_kernel_binding.py
builds from the blocks of core/model/layers.py:
  layers[l]  Layer: the block's parameters (views of the model's own tensors) and its kinds
  grads[l]   Grads: each parameter's gradient (the backward writes them, the update reads them)
  acts[l]    Acts:  the block's activations and their gradients, for one batch
A block reads its input (the previous block's h, or embcat) as rows of fan_in values: the same
row-major memory as B*T/n rows of C*n (part 5's FlattenConsecutive) is a block with more rows.
Depth, widths and kinds are run-time values: one compiled kernel serves every network.

What made it fast (shared/notes/fast-engine.md): error_model='numpy' so divisions vectorise, a
rational tanh (glibc's tanhf is not vectorised), reductions with fastmath 'reassoc', inner loops
along rows, and a narrow block (few outputs, as the output layer's 27) working on its weight's
transpose so its inner loops run along fan_in.
"""
from __future__ import annotations

import functools
from collections import namedtuple

import numpy as np

from core.model.layers import Activation, Norm
from core.training import kernel_cache

try:
    import numba
    from numba.typed import List
    NUMBA_ERROR = None
except ImportError as e:  # the exact engine still works
    numba = None
    NUMBA_ERROR = str(e)

# The kinds' ints, from the one table in core/model/layers.py
NORM_NONE, NORM_SEED, NORM_LECTURE = Norm.NONE.code, Norm.SEED.code, Norm.LECTURE.code
TANH = Activation.TANH.code

# Per block, as the kernel takes it (an unused array is empty; hpreact is hprebn without a
# BatchNorm, h is hpreact without an activation):
Layer = namedtuple("Layer", [
    "W",                # (fan_in, fan_out)
    "WT",               # (fan_out, fan_in), W's transpose kept in step, for a narrow block
    "b",                # (fan_out,)
    "gamma", "beta",    # (fan_out,)
    "running_mean",     # (fan_out,)
    "running_spread",   # (fan_out,) running std (the seed's kind) or var (the lecture's)
    "has_bias", "norm", "act", "narrow",   # ints: 0/1, a Norm code, an Activation code, 0/1
    "momentum", "keep", "eps",             # float32: BN momentum, 1 - momentum (rounded as torch), eps
])
Grads = namedtuple("Grads", ["dW", "dWT", "db", "dgamma", "dbeta"])   # shaped as their parameters
Acts = namedtuple("Acts", [
    "hprebn",    # (rows, fan_out) x @ W (+ b)
    "hpreact",   # (rows, fan_out) after the BatchNorm
    "h",         # (rows, fan_out) after the activation; the last block's are the logits
    "dh",        # (rows, fan_out) dloss/dh (the last block's: dlogits)
    "dhprebn",   # (rows, fan_out) dloss/dhprebn (holds dloss/dhpreact on the way)
    "bnmean", "bnvar", "bnstd",   # (fan_out,) the batch's; bnstd: the divisor (sqrt(var + eps))
    "scratch",   # (4, fan_out) for the BatchNorm backward
])
Embedding = namedtuple("Embedding", [
    "C",         # (vocab, n_embed)
    "dC",        # (vocab, n_embed)
    "embcat",    # (B, block_size * n_embed)
    "dembcat",   # (B, block_size * n_embed)
])

f32 = np.float32
# Rational approximation of tanh on [-7.905, 7.905] (the one Eigen and XLA use for float);
# beyond it the result is the value at the clamp (tanh is 1 - 2.7e-7 there).
TANH_CLAMP = f32(7.90531110763549805)
TANH_TINY = f32(0.0004)   # below it tanh(x) rounds to x
A1, A3, A5, A7 = f32(4.89352455891786e-03), f32(6.37261928875436e-04), f32(1.48572235717979e-05), \
    f32(5.12229709037114e-08)
A9, A11, A13 = f32(-8.60467152213735e-11), f32(2.00018790482477e-13), f32(-2.76076847742355e-16)
B0, B2, B4, B6 = f32(4.89352518554385e-03), f32(2.26843463243900e-03), f32(1.18534705686654e-04), \
    f32(1.19825839466702e-06)
ZERO, ONE = f32(0.0), f32(1.0)

# numba.njit with a cache that works anywhere (or none, said once): core/training/kernel_cache.py
kernel = functools.partial(kernel_cache.jit_factory, nogil=True, error_model="numpy")
jit = kernel(fastmath={"contract"})
jit_sum = kernel(fastmath={"reassoc", "contract"})    # reductions: reassociated, so they vectorise


# -- element-wise ---------------------------------------------------------------------------

@jit
def tanh32(x):
    x = min(max(x, -TANH_CLAMP), TANH_CLAMP)
    x2 = x * x
    p = x2 * A13 + A11
    p = x2 * p + A9
    p = x2 * p + A7
    p = x2 * p + A5
    p = x2 * p + A3
    p = x2 * p + A1
    q = x2 * B6 + B4
    q = x2 * q + B2
    q = x2 * q + B0
    r = x * p / q
    return x if abs(x) < TANH_TINY else r   # x * p underflows for the smallest x


@jit
def tanh_into(x, out):
    """out = tanh(x) elementwise (1-D float32 arrays); for measuring the approximation."""
    for i in range(x.shape[0]):
        out[i] = tanh32(x[i])


@jit
def tanh_forward(hpreact, h):
    """h = tanh(hpreact); (rows, n)."""
    for i in range(hpreact.shape[0]):
        xi, hi = hpreact[i], h[i]
        for j in range(xi.shape[0]):
            hi[j] = tanh32(xi[j])


@jit
def tanh_backward(h, dh, dhpreact):
    """dhpreact = dh * (1 - h²); (rows, n)."""
    for i in range(h.shape[0]):
        hi, di, gi = h[i], dh[i], dhpreact[i]
        for j in range(hi.shape[0]):
            gi[j] = di[j] * (ONE - hi[j] * hi[j])


@jit
def sgd(p, dp, lr):
    """p += -lr * dp over a whole array (any shape, contiguous)."""
    pf, gf = p.reshape(-1), dp.reshape(-1)
    for i in range(pf.shape[0]):
        pf[i] += -lr * gf[i]


# -- matrix products --------------------------------------------------------------------------

# Cache blocking: each loop nest below walks its big operand in tiles of about 64-128 KB that
# stay in the core's cache while every row of the batch passes over them, so a wide weight is
# read from memory once per product instead of once per few rows. Every output element is
# summed in the same order as without tiles: the numbers do not depend on the tile sizes.
TILE_COLS = 256   # matmul: columns of w per tile
TILE_ROWS = 64    # matmul: rows of w per tile
TILE_DOTS = 16    # matmul_t: rows of w per tile; t_matmul: rows of out per tile (a multiple of 4)


@jit
def matmul(x, w, out):
    """out = x @ w; x (n, k), w (k, m), out (n, m). Per tile of w: two rows of x at a time
    take four rows of w per pass over out's rows (one load and store of out per four products),
    and the inner loops run along w's rows (they vectorise). Each out element is still summed
    p = 0, 1, 2, ... in turn: the same numbers as one product at a time."""
    n, k = x.shape
    m = w.shape[1]
    for i in range(n):
        oi = out[i]
        for j in range(m):
            oi[j] = ZERO
    for j0 in range(0, m, TILE_COLS):
        j1 = min(j0 + TILE_COLS, m)
        for p0 in range(0, k, TILE_ROWS):
            p1 = min(p0 + TILE_ROWS, k)
            i = 0
            while i + 2 <= n:
                o0, o1 = out[i, j0:j1], out[i + 1, j0:j1]
                p = p0
                while p + 4 <= p1:
                    w0, w1, w2, w3 = w[p, j0:j1], w[p + 1, j0:j1], w[p + 2, j0:j1], w[p + 3, j0:j1]
                    a0, a1, a2, a3 = x[i, p], x[i, p + 1], x[i, p + 2], x[i, p + 3]
                    b0, b1, b2, b3 = x[i + 1, p], x[i + 1, p + 1], x[i + 1, p + 2], x[i + 1, p + 3]
                    for j in range(j1 - j0):
                        v0, v1, v2, v3 = w0[j], w1[j], w2[j], w3[j]
                        o0[j] = o0[j] + a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3
                        o1[j] = o1[j] + b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3
                    p += 4
                while p < p1:
                    wp = w[p, j0:j1]
                    a, b = x[i, p], x[i + 1, p]
                    for j in range(j1 - j0):
                        o0[j] += a * wp[j]
                        o1[j] += b * wp[j]
                    p += 1
                i += 2
            if i < n:
                o = out[i, j0:j1]
                for p in range(p0, p1):
                    a = x[i, p]
                    wp = w[p, j0:j1]
                    for j in range(j1 - j0):
                        o[j] += a * wp[j]


@jit_sum
def matmul_t(g, w, out):
    """out = g @ w.T; g (n, m), w (k, m), out (n, k): dot products along w's rows, per tile of
    w's rows four at a time sharing each load of g's row."""
    n, m = g.shape
    k = w.shape[0]
    for p0 in range(0, k, TILE_DOTS):
        p1 = min(p0 + TILE_DOTS, k)
        for i in range(n):
            gi = g[i]
            p = p0
            while p + 4 <= p1:
                w0, w1, w2, w3 = w[p], w[p + 1], w[p + 2], w[p + 3]
                s0 = s1 = s2 = s3 = ZERO
                for j in range(m):
                    v = gi[j]
                    s0 += v * w0[j]
                    s1 += v * w1[j]
                    s2 += v * w2[j]
                    s3 += v * w3[j]
                out[i, p], out[i, p + 1], out[i, p + 2], out[i, p + 3] = s0, s1, s2, s3
                p += 4
            while p < p1:
                wp = w[p]
                s0 = ZERO
                for j in range(m):
                    s0 += gi[j] * wp[j]
                out[i, p] = s0
                p += 1


@jit
def t_matmul(x, g, out):
    """out = x.T @ g; x (n, k), g (n, m), out (k, m): per tile of out's rows, four rows of x
    and g per pass, two of out's rows sharing each load of g's four rows."""
    n, k = x.shape
    m = g.shape[1]
    for p0 in range(0, k, TILE_DOTS):
        p1 = min(p0 + TILE_DOTS, k)
        for p in range(p0, p1):
            o = out[p]
            for j in range(m):
                o[j] = ZERO
        i = 0
        while i + 4 <= n:
            g0, g1, g2, g3 = g[i], g[i + 1], g[i + 2], g[i + 3]
            p = p0
            while p + 2 <= p1:
                a0, a1, a2, a3 = x[i, p], x[i + 1, p], x[i + 2, p], x[i + 3, p]
                b0, b1, b2, b3 = x[i, p + 1], x[i + 1, p + 1], x[i + 2, p + 1], x[i + 3, p + 1]
                o, q = out[p], out[p + 1]
                for j in range(m):
                    v0, v1, v2, v3 = g0[j], g1[j], g2[j], g3[j]
                    o[j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3
                    q[j] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3
                p += 2
            if p < p1:
                a0, a1, a2, a3 = x[i, p], x[i + 1, p], x[i + 2, p], x[i + 3, p]
                o = out[p]
                for j in range(m):
                    o[j] += a0 * g0[j] + a1 * g1[j] + a2 * g2[j] + a3 * g3[j]
            i += 4
        while i < n:
            gi = g[i]
            for p in range(p0, p1):
                a = x[i, p]
                o = out[p]
                for j in range(m):
                    o[j] += a * gi[j]
            i += 1


@jit
def transpose_into(a, out):
    """out = a.T; a (n, m), out (m, n)."""
    n, m = a.shape
    for i in range(n):
        ai = a[i]
        for j in range(m):
            out[j, i] = ai[j]


@jit
def column_sum(x, out):
    """out = x.sum(0); x (n, m), out (m,)."""
    n, m = x.shape
    for j in range(m):
        out[j] = ZERO
    for i in range(n):
        xi = x[i]
        for j in range(m):
            out[j] += xi[j]


# -- the operations of a block ---------------------------------------------------------------

@jit
def embed(C, X, rows, embcat):
    """embcat[i] = C[X[rows[i]]] flattened; C (vocab, E), X (N, T), rows (B,), embcat (B, T*E)."""
    T, E = X.shape[1], C.shape[1]
    for i in range(rows.shape[0]):
        r, ei = rows[i], embcat[i]
        for t in range(T):
            c = C[X[r, t]]
            for e in range(E):
                ei[t * E + e] = c[e]


@jit
def embed_backward(dembcat, X, rows, dC):
    """dC = the sum of dembcat's pieces into the rows of C they came from."""
    T, E = X.shape[1], dC.shape[1]
    dC[:] = ZERO
    for i in range(rows.shape[0]):
        r, di = rows[i], dembcat[i]
        for t in range(T):
            c = dC[X[r, t]]
            for e in range(E):
                c[e] += di[t * E + e]


@jit
def linear_forward(x, L, hprebn):
    """hprebn = x @ W (+ b); x (rows, fan_in), hprebn (rows, fan_out)."""
    if L.narrow:
        matmul_t(x, L.WT, hprebn)
    else:
        matmul(x, L.W, hprebn)
    if L.has_bias:
        b = L.b
        for i in range(hprebn.shape[0]):
            hi = hprebn[i]
            for j in range(hi.shape[0]):
                hi[j] += b[j]


@jit
def linear_backward(x, dhprebn, L, G, dx):
    """dx = dhprebn @ W.T, dW = x.T @ dhprebn, db = dhprebn.sum(0); x, dx (rows, fan_in),
    dhprebn (rows, fan_out)."""
    if L.narrow:
        matmul(dhprebn, L.WT, dx)
        t_matmul(dhprebn, x, G.dWT)
        transpose_into(G.dWT, G.dW)
    else:
        matmul_t(dhprebn, L.W, dx)
        t_matmul(x, dhprebn, G.dW)
    if L.has_bias:
        column_sum(dhprebn, G.db)


@jit
def batchnorm_forward(hprebn, gamma, beta, eps, bnmean, bnvar, bnstd, hpreact):
    """hpreact = gamma * (hprebn - bnmean) / bnstd + beta with the batch's mean, var (n - 1)
    and bnstd = sqrt(var + eps) (the seed's kind has eps 0: its batch std); (rows, n)."""
    n, m = hprebn.shape
    # Shifted by the first row: a column whose values are all equal has a var of exactly 0
    # (as torch's), which a plain sum / n can miss by rounding, and the seed's kind then
    # divides 0 by 0 as the notebook does instead of blowing rounding noise up to +-1.
    z0 = hprebn[0]
    for j in range(m):
        bnmean[j] = ZERO
    for i in range(n):
        zi = hprebn[i]
        for j in range(m):
            bnmean[j] += zi[j] - z0[j]
    inv_n = ONE / f32(n)
    for j in range(m):
        bnmean[j] *= inv_n       # the mean of hprebn - z0
    for j in range(m):
        bnvar[j] = ZERO
    for i in range(n):
        zi = hprebn[i]
        for j in range(m):
            d = (zi[j] - z0[j]) - bnmean[j]
            bnvar[j] += d * d
    inv_n1 = ONE / f32(n - 1)
    for j in range(m):
        bnvar[j] *= inv_n1
        bnmean[j] += z0[j]
        bnstd[j] = np.sqrt(bnvar[j] + eps)
    for i in range(n):
        zi, yi = hprebn[i], hpreact[i]
        for j in range(m):
            yi[j] = gamma[j] * (zi[j] - bnmean[j]) / bnstd[j] + beta[j]


@jit
def batchnorm_backward(hprebn, d, gamma, bnmean, bnstd, dgamma, dbeta, scratch):
    """In place: d from dloss/dhpreact to dloss/dhprebn; (rows, n). With
    xhat = (hprebn - mean) / std, for both kinds: dhprebn = (gamma / std) * (d - mean(d) -
    xhat * sum(d * xhat) / (n - 1)), written as a * d - c * hprebn + e per column so each loop
    touches few arrays (and vectorises)."""
    n, m = hprebn.shape
    s1, s2, a, c = scratch[0], scratch[1], scratch[2], scratch[3]
    column_sum(d, s1)
    for j in range(m):
        s2[j] = ZERO
    for i in range(n):
        zi, gi = hprebn[i], d[i]
        for j in range(m):
            s2[j] += gi[j] * (zi[j] - bnmean[j])
    inv_n, inv_n1 = ONE / f32(n), ONE / f32(n - 1)
    for j in range(m):
        inv = ONE / bnstd[j]
        dbeta[j] = s1[j]
        dgamma[j] = s2[j] * inv
        a[j] = gamma[j] * inv
        c[j] = a[j] * inv * inv * s2[j] * inv_n1
        s1[j] = c[j] * bnmean[j] - a[j] * s1[j] * inv_n      # e
    for i in range(n):
        zi, gi = hprebn[i], d[i]
        for j in range(m):
            gi[j] = a[j] * gi[j] - c[j] * zi[j] + s1[j]


@jit
def batchnorm_running(L, A):
    """running = (1 - momentum) * running + momentum * batch (1 - momentum rounded from float64,
    as torch does); the seed's kind keeps the std, the lecture's the var."""
    batch_spread = A.bnstd if L.norm == NORM_SEED else A.bnvar
    for j in range(A.bnmean.shape[0]):
        L.running_mean[j] = L.keep * L.running_mean[j] + L.momentum * A.bnmean[j]
        L.running_spread[j] = L.keep * L.running_spread[j] + L.momentum * batch_spread[j]


@jit
def cross_entropy(logits, Y, rows, dlogits):
    """The mean of -log softmax(logits)[Y[rows]]; logits, dlogits (B, vocab). dlogits: its gradient."""
    n, v = logits.shape
    total = ZERO
    inv_n = ONE / f32(n)
    for i in range(n):
        li, di = logits[i], dlogits[i]
        top = li[0]
        for j in range(v):
            top = max(top, li[j])
        s = ZERO
        for j in range(v):
            e = np.exp(li[j] - top)
            di[j] = e
            s += e
        y = Y[rows[i]]
        total += np.log(s) + top - li[y]
        inv = inv_n / s
        for j in range(v):
            di[j] *= inv
        di[y] -= inv_n
    return total * inv_n


# -- the passes -------------------------------------------------------------------------------

@jit
def as_rows(x, fan_in):
    """x's memory as rows of fan_in values."""
    return x.reshape((x.size // fan_in, fan_in))


@jit
def forward(emb, layers, acts, X, Y, rows):
    """The loss of the batch X[rows] -> Y[rows]; every block's activations into acts and
    dlogits into the last block's dh."""
    embed(emb.C, X, rows, emb.embcat)
    x = emb.embcat
    for k in range(len(layers)):
        L, A = layers[k], acts[k]
        linear_forward(as_rows(x, L.W.shape[0]), L, A.hprebn)
        if L.norm != NORM_NONE:
            batchnorm_forward(A.hprebn, L.gamma, L.beta, L.eps, A.bnmean, A.bnvar, A.bnstd, A.hpreact)
        if L.act == TANH:
            tanh_forward(A.hpreact, A.h)
        x = A.h
    return cross_entropy(x, Y, rows, acts[len(acts) - 1].dh)


@jit
def backward(emb, layers, grads, acts, X, rows):
    """Every gradient, from the last block's dh (dlogits) back to dC, in the reverse order of
    the forward pass. Each block's dh is kept as it is (for the plots)."""
    for k in range(len(layers) - 1, -1, -1):
        L, G, A = layers[k], grads[k], acts[k]
        if L.act == TANH:
            tanh_backward(A.h, A.dh, A.dhprebn)
        else:
            A.dhprebn[:] = A.dh
        if L.norm != NORM_NONE:
            batchnorm_backward(A.hprebn, A.dhprebn, L.gamma, A.bnmean, A.bnstd, G.dgamma, G.dbeta, A.scratch)
        x = emb.embcat if k == 0 else acts[k - 1].h
        dx = emb.dembcat if k == 0 else acts[k - 1].dh
        fan_in = L.W.shape[0]
        linear_backward(as_rows(x, fan_in), A.dhprebn, L, G, as_rows(dx, fan_in))
    embed_backward(emb.dembcat, X, rows, emb.dC)


@jit
def update(emb, layers, grads, acts, lr):
    """The step: BatchNorm's running statistics, then p += -lr * dp for every parameter."""
    for k in range(len(layers)):
        L, G = layers[k], grads[k]
        if L.norm != NORM_NONE:
            batchnorm_running(L, acts[k])
            sgd(L.gamma, G.dgamma, lr)
            sgd(L.beta, G.dbeta, lr)
        sgd(L.W, G.dW, lr)
        if L.narrow:
            sgd(L.WT, G.dWT, lr)        # the same numbers as W's update: WT stays W.T
        if L.has_bias:
            sgd(L.b, G.db, lr)
    sgd(emb.C, emb.dC, lr)


@jit
def sync_transposes(layers):
    """WT = W.T for every narrow block (the weights may have changed outside the kernel)."""
    for k in range(len(layers)):
        if layers[k].narrow:
            transpose_into(layers[k].W, layers[k].WT)


@jit
def gradients(emb, layers, grads, acts, X, Y, rows):
    """Forward and backward on one batch, nothing updated: every gradient of its loss (returned)."""
    sync_transposes(layers)
    loss = forward(emb, layers, acts, X, Y, rows)
    if np.isfinite(loss):
        backward(emb, layers, grads, acts, X, rows)
    return loss


@jit
def train_steps(emb, layers, grads, acts, X, Y, idx, lr, losses):
    """len(losses) SGD steps, step s on the batch idx[s*B:(s+1)*B] (B = embcat's rows), its loss
    into losses[s]. Returns the steps done: it stops, before updating anything, at the first
    step whose loss is not finite."""
    B = emb.embcat.shape[0]
    sync_transposes(layers)
    for s in range(losses.shape[0]):
        rows = idx[s * B:(s + 1) * B]
        losses[s] = forward(emb, layers, acts, X, Y, rows)
        if not np.isfinite(losses[s]):
            return s
        backward(emb, layers, grads, acts, X, rows)
        update(emb, layers, grads, acts, lr)
    return losses.shape[0]


# -- typed lists without compiling numba's list code in every process ------------------------

@kernel()
def _list_of(item):
    out = List()
    out.append(item)
    return out


@kernel()
def _append(items, item):
    items.append(item)


def typed_list(items: list):
    """items as a numba typed list (its methods come from the cache, not compiled afresh)."""
    out = _list_of(items[0])
    for item in items[1:]:
        _append(out, item)
    return out
