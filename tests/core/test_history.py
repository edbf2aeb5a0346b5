"""Loss history for the plots: bounded min/max decimation, chunk means, TensorBoard smoothing."""
import numpy as np
import pytest

from core.runs.history import BucketSeries, ChunkMeans, ema


def loss_like(n, seed=0):
    """A noisy decaying curve with a few spikes, as float32 like the Trainer's losses."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 2.0 + 1.3 * np.exp(-t / (n / 10)) + 0.3 * rng.standard_normal(n)
    values[rng.integers(0, n, size=20)] += 50.0
    return values.astype(np.float32)


def buckets(series, values):
    """(x, lo, hi, covered values) for each bucket that xy() draws."""
    x, y = series.xy()
    w = series.width
    assert w > 1
    out = []
    for k in range(len(x) // 2):
        chunk = values[k * w:(k + 1) * w]
        out.append((x[2 * k], y[2 * k], y[2 * k + 1], chunk))
    return out


@pytest.mark.parametrize("capacity", [4096, 1000, 64])
def test_a_million_values_stay_within_capacity(capacity):
    values = loss_like(1_000_000)
    s = BucketSeries(capacity)
    s.extend(values)
    assert s.n == 1_000_000
    x, y = s.xy()
    assert len(x) == len(y) <= 2 * capacity
    assert len(x) >= capacity // 2  # and it does not throw detail away needlessly
    # the min/max envelope holds every value, tightly, so spikes stay visible
    drawn = buckets(s, values)
    assert sum(len(c) for *_, c in drawn) == len(values)
    for _, lo, hi, chunk in drawn:
        assert lo == chunk.min() and hi == chunk.max()
    assert y.max() == values.max() and y.min() == values.min()
    # x positions increase and lie inside the bucket each pair stands for
    assert np.all(np.diff(x) >= 0) and np.all(np.diff(np.unique(x)) > 0)
    assert x[0] >= 0 and x[-1] < len(values)
    w = s.width
    for k, (xk, *_rest) in enumerate(drawn):
        assert k * w <= xk < (k + 1) * w


def test_feeding_in_pieces_gives_the_same_points():
    values = loss_like(200_003, seed=1)
    whole = BucketSeries(512)
    whole.extend(values)
    pieces = BucketSeries(512)
    i = 0
    for size in [1, 7, 1000, 37, 4096] * 1000:
        if i >= len(values):
            break
        pieces.extend(values[i:i + size])
        i += size
    for a, b in zip(whole.xy(), pieces.xy(), strict=True):
        assert np.array_equal(a, b)


def test_every_prefix_keeps_the_envelope():
    values = loss_like(5_000, seed=2)
    s = BucketSeries(16)
    for n in range(1, len(values) + 1):
        s.extend(values[n - 1:n])
        if n % 97 == 0 or n < 40:
            x, y = s.xy()
            assert len(x) <= 32
            assert y.max() == values[:n].max() and y.min() == values[:n].min()
            assert np.all(np.diff(x) >= 0) and x[-1] < n


def test_few_values_are_kept_as_they_are():
    s = BucketSeries(8)
    s.extend([3.0, 2.5, 2.75])
    x, y = s.xy()
    assert x.tolist() == [0, 1, 2] and y.tolist() == [3.0, 2.5, 2.75]


@pytest.mark.parametrize("n", [12_345, 3_000, 999])
def test_chunk_means_equal_numpy(n):
    values = loss_like(n, seed=3).astype(np.float64)
    cm = ChunkMeans(1000)
    i = 0
    for size in (1, 333, 2000, 17) * 100:
        cm.extend(values[i:i + size])
        i += size
    full = n // 1000 * 1000
    expected = values[:full].reshape(-1, 1000).mean(1)
    x, m = cm.xy()
    assert len(m) == n // 1000
    assert np.allclose(m, expected, rtol=1e-12, atol=0)
    assert np.allclose(x, np.arange(len(m)) * 1000 + 499.5)


def test_ema_weight_zero_is_identity():
    values = loss_like(1000, seed=4).astype(np.float64)
    out = ema(values, 0.0)
    assert np.array_equal(out, values)
    out[0] = -1
    assert values[0] != -1  # a copy, not the caller's array


def test_ema_is_debiased():
    values = loss_like(1000, seed=5).astype(np.float64)
    for w in (0.6, 0.9, 0.99):
        out = ema(values, w)
        assert out[0] == pytest.approx(values[0])  # not pulled towards 0 at the start
        assert np.allclose(ema(np.full(50, 2.5), w), 2.5)  # a constant stays that constant
        assert np.std(np.diff(out)) < np.std(np.diff(values))  # and it does smooth
    assert len(ema(np.array([]), 0.9)) == 0


def test_ema_heavier_weight_lags_more():
    step = np.r_[np.zeros(100), np.ones(100)]
    light, heavy = ema(step, 0.5), ema(step, 0.95)
    assert 0 < heavy[110] < light[110] <= 1
    assert np.all(np.diff(heavy[100:]) > 0)
