"""The fast engine's compiled kernel: a chunk of SGD steps per call, in float32, without the GIL.

Layers are a loop: an embedding, then blocks Linear(+bias) -> BatchNorm (none, the seed's or the
lecture's) -> activation (none or tanh); the last block's output are the logits. What made it
fast (shared/notes/fast-engine.md): error_model='numpy' so divisions vectorise, a rational tanh
(glibc's tanhf is not vectorised), reductions with fastmath 'reassoc', inner loops along rows.
"""
from __future__ import annotations

import numpy as np

from core.training import kernel_cache

try:
    import numba
    NUMBA_ERROR = None
except ImportError as e:  # the exact engine still works
    numba = None
    NUMBA_ERROR = str(e)

BN_NONE, BN_SEED, BN_LECTURE = 0, 1, 2
ACT_NONE, ACT_TANH = 0, 1

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
ZERO, ONE, TWO = f32(0.0), f32(1.0), f32(2.0)

# numba.njit with a cache that works anywhere (or none, said once): core/training/kernel_cache.py
jit = kernel_cache.jit_factory(nogil=True, error_model="numpy", fastmath={"contract"})
jit_sum = kernel_cache.jit_factory(nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})


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
def matmul(x, w, out):
    """out = x @ w. Four rows of x at a time share each load of w's row, and the inner loops run
    along w's rows (they vectorise)."""
    n, k = x.shape
    m = w.shape[1]
    i = 0
    while i + 4 <= n:
        o0, o1, o2, o3 = out[i], out[i + 1], out[i + 2], out[i + 3]
        for j in range(m):
            o0[j] = ZERO
            o1[j] = ZERO
            o2[j] = ZERO
            o3[j] = ZERO
        for p in range(k):
            a0, a1, a2, a3 = x[i, p], x[i + 1, p], x[i + 2, p], x[i + 3, p]
            wp = w[p]
            for j in range(m):
                v = wp[j]
                o0[j] += a0 * v
                o1[j] += a1 * v
                o2[j] += a2 * v
                o3[j] += a3 * v
        i += 4
    while i < n:
        o = out[i]
        for j in range(m):
            o[j] = ZERO
        for p in range(k):
            a = x[i, p]
            wp = w[p]
            for j in range(m):
                o[j] += a * wp[j]
        i += 1


@jit_sum
def matmul_t(g, w, out):
    """out = g @ w.T: dot products along w's rows (reassociated, so they vectorise), four rows
    of w at a time sharing each load of g's row."""
    n, m = g.shape
    k = w.shape[0]
    for i in range(n):
        gi = g[i]
        p = 0
        while p + 4 <= k:
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
        while p < k:
            wp = w[p]
            s0 = ZERO
            for j in range(m):
                s0 += gi[j] * wp[j]
            out[i, p] = s0
            p += 1


@jit
def t_matmul(x, g, out):
    """out = x.T @ g (a weight's gradient), four rows of x and g at a time per pass over out."""
    n, k = x.shape
    m = g.shape[1]
    for p in range(k):
        o = out[p]
        for j in range(m):
            o[j] = ZERO
    i = 0
    while i + 4 <= n:
        g0, g1, g2, g3 = g[i], g[i + 1], g[i + 2], g[i + 3]
        for p in range(k):
            a0, a1, a2, a3 = x[i, p], x[i + 1, p], x[i + 2, p], x[i + 3, p]
            o = out[p]
            for j in range(m):
                o[j] += a0 * g0[j] + a1 * g1[j] + a2 * g2[j] + a3 * g3[j]
        i += 4
    while i < n:
        gi = g[i]
        for p in range(k):
            a = x[i, p]
            o = out[p]
            for j in range(m):
                o[j] += a * gi[j]
        i += 1


@jit
def column_sum(x, out):
    n, m = x.shape
    for j in range(m):
        out[j] = ZERO
    for i in range(n):
        xi = x[i]
        for j in range(m):
            out[j] += xi[j]


@jit
def sgd(p, g, lr):
    """p += -lr * g over a whole array (any shape, contiguous)."""
    pf, gf = p.reshape(-1), g.reshape(-1)
    for i in range(pf.shape[0]):
        pf[i] += -lr * gf[i]


@jit
def bn_forward(z, y, gamma, beta, mean, spread, var, kind, eps):
    """y = gamma * (z - mean) / spread + beta with the batch's mean, var (n - 1) and spread
    (std for the seed's kind, sqrt(var + eps) for the lecture's)."""
    n, m = z.shape
    # Shifted by the first row: a column whose values are all equal has a var of exactly 0
    # (as torch's), which a plain sum / n can miss by rounding, and the seed's kind then
    # divides 0 by 0 as the notebook does instead of blowing rounding noise up to +-1.
    z0 = z[0]
    for j in range(m):
        mean[j] = ZERO
    for i in range(n):
        zi = z[i]
        for j in range(m):
            mean[j] += zi[j] - z0[j]
    inv_n = ONE / f32(n)
    for j in range(m):
        mean[j] *= inv_n       # the mean of z - z0
    for j in range(m):
        var[j] = ZERO
    for i in range(n):
        zi = z[i]
        for j in range(m):
            d = (zi[j] - z0[j]) - mean[j]
            var[j] += d * d
    inv_n1 = ONE / f32(n - 1)
    for j in range(m):
        var[j] *= inv_n1
        mean[j] += z0[j]
        spread[j] = np.sqrt(var[j]) if kind == BN_SEED else np.sqrt(var[j] + eps)
    for i in range(n):
        zi, yi = z[i], y[i]
        for j in range(m):
            yi[j] = gamma[j] * (zi[j] - mean[j]) / spread[j] + beta[j]


@jit
def bn_running(rmean, rspread, mean, spread, var, kind, mom):
    """running = (1 - momentum) * running + momentum * batch; mom = (momentum, 1 - momentum)
    (1 - momentum rounded from float64, as torch does). The seed keeps the std, the lecture the var."""
    for j in range(mean.shape[0]):
        rmean[j] = mom[1] * rmean[j] + mom[0] * mean[j]
        rspread[j] = mom[1] * rspread[j] + mom[0] * (spread[j] if kind == BN_SEED else var[j])


@jit
def bn_backward(z, g, gamma, mean, spread, dgamma, dbeta, cols):
    """In place: g from the gradient at BN's output to the gradient at its input z. With
    xhat = (z - mean) / s, for both kinds: dz = (gamma / s) * (g - mean(g) - xhat * sum(g * xhat) / (n - 1)),
    written as dz = a * g - c * z + d per column so each loop touches few arrays (and vectorises).
    cols: a (4, m) scratch array."""
    n, m = z.shape
    s1, s2, a, c = cols[0], cols[1], cols[2], cols[3]
    column_sum(g, s1)
    for j in range(m):
        s2[j] = ZERO
    for i in range(n):
        zi, gi = z[i], g[i]
        for j in range(m):
            s2[j] += gi[j] * (zi[j] - mean[j])
    inv_n, inv_n1 = ONE / f32(n), ONE / f32(n - 1)
    for j in range(m):
        inv = ONE / spread[j]
        dbeta[j] = s1[j]
        dgamma[j] = s2[j] * inv
        a[j] = gamma[j] * inv
        c[j] = a[j] * inv * inv * s2[j] * inv_n1
        s1[j] = c[j] * mean[j] - a[j] * s1[j] * inv_n      # d
    for i in range(n):
        zi, gi = z[i], g[i]
        for j in range(m):
            gi[j] = a[j] * gi[j] - c[j] * zi[j] + s1[j]


@jit
def cross_entropy(logits, Y, rows, dlogits):
    """Mean cross-entropy of logits against Y[rows]; dlogits = its gradient."""
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


@jit
def transpose_into(a, out):
    n, m = a.shape
    for i in range(n):
        ai = a[i]
        for j in range(m):
            out[j, i] = ai[j]


@jit
def train_steps(X, Y, idx, n_steps, lr, C, dC, Ws, dWs, bs, dbs, gammas, dgammas, betas, dbetas,
                rmeans, rspreads, kinds, moms, epss, emb, demb, zs, ys, hs, dhs, gzs, means, spreads,
                cols, WTs, dWTs, losses):
    """n_steps SGD steps on the batches idx[s*B:(s+1)*B] (B = emb.shape[0]).

    Block li: zs[li] = x @ W (+ b); ys[li] = BN(zs[li]) (the same array as zs[li] without BN);
    hs[li] = act(ys[li]) (the same as ys[li] without an activation); dhs[li] = dL/dhs[li];
    gzs[li] = dL/dzs[li]; dWs[li] etc. the gradients. kinds[li] = (has bias, BN kind, activation,
    narrow); moms[li] = (momentum, 1 - momentum). A narrow block (few outputs, as the output
    layer's 27) works on its weight's transpose WTs[li] so inner loops run along fan_in.
    The per-block arguments are tuples, empty arrays where unused.
    Returns the steps done: it stops, before updating anything, at the first step whose loss
    is not finite."""
    B, T, E = emb.shape[0], X.shape[1], C.shape[1]
    L = len(Ws)
    for li in range(L):
        if kinds[li, 3]:
            transpose_into(Ws[li], WTs[li])
    for s in range(n_steps):
        rows = idx[s * B:(s + 1) * B]
        for i in range(B):
            r = rows[i]
            ei = emb[i]
            for t in range(T):
                c = C[X[r, t]]
                for e in range(E):
                    ei[t * E + e] = c[e]
        x = emb
        for li in range(L):
            z, y, h = zs[li], ys[li], hs[li]
            if kinds[li, 3]:
                matmul_t(x, WTs[li], z)
            else:
                matmul(x, Ws[li], z)
            if kinds[li, 0]:
                b = bs[li]
                for i in range(B):
                    zi = z[i]
                    for j in range(zi.shape[0]):
                        zi[j] += b[j]
            if kinds[li, 1] != BN_NONE:
                bn_forward(z, y, gammas[li], betas[li], means[li], spreads[li], cols[li][0], kinds[li, 1], epss[li])
            if kinds[li, 2] == ACT_TANH:
                for i in range(B):
                    yi, hi = y[i], h[i]
                    for j in range(yi.shape[0]):
                        hi[j] = tanh32(yi[j])
            x = h
        loss = cross_entropy(x, Y, rows, dhs[L - 1])
        losses[s] = loss
        if not np.isfinite(loss):
            return s
        for li in range(L):
            if kinds[li, 1] != BN_NONE:   # cols[li][0] holds the batch var until the backward pass
                bn_running(rmeans[li], rspreads[li], means[li], spreads[li], cols[li][0], kinds[li, 1], moms[li])
        for li in range(L - 1, -1, -1):
            h, dh, gz = hs[li], dhs[li], gzs[li]
            # gz: the gradient at z (dhs[li] is kept as it is, for the plots)
            if kinds[li, 2] == ACT_TANH:
                for i in range(B):
                    hi, di, gi = h[i], dh[i], gz[i]
                    for j in range(hi.shape[0]):
                        gi[j] = di[j] * (ONE - hi[j] * hi[j])
            else:
                gz[:] = dh
            if kinds[li, 1] != BN_NONE:
                bn_backward(zs[li], gz, gammas[li], means[li], spreads[li], dgammas[li], dbetas[li], cols[li])
            x_in = emb if li == 0 else hs[li - 1]
            dx = demb if li == 0 else dhs[li - 1]
            if kinds[li, 3]:
                matmul(gz, WTs[li], dx)
                t_matmul(gz, x_in, dWTs[li])
                transpose_into(dWTs[li], dWs[li])
                sgd(WTs[li], dWTs[li], lr)        # the same numbers as W's update: WT stays W.T
            else:
                matmul_t(gz, Ws[li], dx)
                t_matmul(x_in, gz, dWs[li])
            sgd(Ws[li], dWs[li], lr)
            if kinds[li, 0]:
                column_sum(gz, dbs[li])
                sgd(bs[li], dbs[li], lr)
            if kinds[li, 1] != BN_NONE:
                sgd(gammas[li], dgammas[li], lr)
                sgd(betas[li], dbetas[li], lr)
        dC[:] = ZERO
        for i in range(B):
            r = rows[i]
            di = demb[i]
            for t in range(T):
                c = dC[X[r, t]]
                for e in range(E):
                    c[e] += di[t * E + e]
        sgd(C, dC, lr)
    return n_steps
