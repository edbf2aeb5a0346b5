"""Part-3 diagnostics: gradients are thousandths, so their histograms need ranges that small."""
import numpy as np
import pytest

from core.config import Config
from core.diagnostics.stats import fine_range
from core.training.trainer import Trainer


@pytest.mark.parametrize("value,expected", [(0.003, 0.005), (0.001, 0.001), (0.0011, 0.002), (7.0, 10.0),
                                            (0.0, 1.0), (float("nan"), 1.0)])
def test_fine_range_is_one_two_or_five_times_a_power_of_ten(value, expected):
    assert fine_range(value) == pytest.approx(expected)


def test_gradient_histograms_spread_over_their_bins(small_dataset):
    trainer = Trainer(Config(batch_size=32, n_hidden=50), small_dataset)
    trainer.train(20)
    s = trainer.snapshot(detail=True)
    for name, counts, edges in zip(s.param_names, s.detail.grad_hists, s.detail.grad_edges, strict=True):
        assert len(edges) == len(counts) + 1 == 41
        if name != "b1":   # BatchNorm cancels b1's gradient (about 1e-9): still drawn, just tiny
            assert np.count_nonzero(counts) >= min(8, counts.sum() // 5), name
            assert counts.max() < 0.7 * counts.sum(), name
    assert np.count_nonzero(s.detail.hgrad_hist) >= 10
