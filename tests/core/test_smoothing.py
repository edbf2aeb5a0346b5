"""The smoothed loss curve: TensorBoard's debiased EMA, bounded for any number of steps."""
import numpy as np
import pytest

from core.runs.history import BucketSeries, ema
from core.runs.smoothing import SmoothedCurve, ema_buckets


def losses(n, seed=0):
    rng = np.random.default_rng(seed)
    return (2.0 + np.exp(-np.arange(n) / 300) + 0.3 * rng.random(n)).astype(np.float32)


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.99])
def test_one_step_buckets_equal_tensorboards_ema(weight):
    values = np.log10(losses(1000)).astype(np.float64)
    curve = SmoothedCurve(capacity=4096)
    for part in np.array_split(losses(1000), 7):
        curve.extend(part)
        curve.xy(weight)                     # cached part by part, as frames draw it
    x, y = curve.xy(weight)
    assert np.array_equal(x, np.arange(1000))
    assert np.allclose(y, ema(values, weight), rtol=0, atol=1e-6)


def test_mean_series_is_bounded_and_exact():
    values = np.random.default_rng(1).random(100_003)
    s = BucketSeries(capacity=256)
    for part in np.array_split(values, 37):
        s.extend(part)
    x, means, widths = s.buckets()
    assert len(x) <= 257 and widths.sum() == len(values) == s.n
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    for i in (0, len(x) // 2, len(x) - 1):
        chunk = values[starts[i]:starts[i] + widths[i]]
        assert means[i] == pytest.approx(chunk.mean(), rel=1e-12)
        assert x[i] == pytest.approx(starts[i] + (widths[i] - 1) / 2)


def test_wide_buckets_smooth_like_the_per_step_average():
    values = losses(200_000, seed=2)
    curve = SmoothedCurve(capacity=512)
    curve.extend(values)
    x, y = curve.xy(0.999)
    exact = ema(np.log10(values).astype(np.float64), 0.999)
    assert len(x) <= 513
    error = np.abs(y - exact[np.round(x).astype(int)])
    # a bucket holds 512 steps: only at the very start, where the loss falls fastest, does
    # drawing its average at its middle show
    assert error[0] < 0.05 and np.max(error[10:]) < 0.002


def test_weight_zero_gives_the_bucket_means_and_a_new_weight_recomputes():
    curve = SmoothedCurve()
    curve.extend(losses(50))
    x0, y0 = curve.xy(0.0)
    assert np.allclose(y0, np.log10(losses(50)), atol=1e-6)
    _, y1 = curve.xy(0.9)
    _, y2 = curve.xy(0.0)
    assert not np.allclose(y1, y0) and np.array_equal(y2, y0)
    out, state = ema_buckets(np.array([1.0, 3.0]), np.array([1, 1]), 0.5)
    assert np.allclose(out, [1.0, (0.25 + 1.5) / 0.75]) and state[1] == 2
