"""Statistics of a step, for the plots: saturation, dead neurons, histograms, gradient health."""
import numpy as np
import pytest
import torch

from core.config import Config
from core.diagnostics.stats import StepRecord, histogram, nice_range, percentiles, spread, take_snapshot
from core.training.trainer import Trainer


def tensors(trainer):
    m = trainer.model
    return [p.detach().clone() for p in m.parameters()] + [b.clone() for b in m.buffers()]


def hand_record():
    h = torch.tensor([
        [0.995, 0.50, 0.98, -0.999, 0.00],
        [-0.999, 0.50, 0.10, -0.995, 0.20],
        [0.992, 0.50, -0.98, 0.9999, -0.96],
        [-0.996, 0.50, 0.00, -0.9995, 0.97],
    ])
    hpreact = torch.tensor([
        [3.0, 0.5, 2.3, -4.0, 0.0],
        [-3.5, 0.5, 0.1, -3.0, 0.2],
        [2.8, 0.5, -2.3, 5.0, -1.9],
        [-3.1, 0.5, 0.0, -4.2, 2.1],
    ])
    g = torch.Generator().manual_seed(0)
    params = (torch.randn(7, 3, generator=g) * 2.0, torch.randn(5, generator=g) * 0.1)
    grads = (torch.randn(7, 3, generator=g) * 0.01, torch.randn(5, generator=g) * 0.003)
    h_grad = torch.randn(4, 5, generator=g) * 0.01
    return StepRecord(step=12, loss=2.5, lr=0.1, raws=(hpreact * 3,), pres=(hpreact,), outs=(h,),
                      out_grads=(h_grad,), layer_kinds=((2, "Tanh"),), param_names=("W", "b"), params=params,
                      grads=grads)


def test_snapshot_of_a_hand_made_batch():
    rec = hand_record()
    snap = take_snapshot(rec, detail=True)
    # |h| > 0.97: column 0 (4), column 2 (2), column 3 (4); 0.97 itself is not above
    assert snap.saturated_fraction == pytest.approx(10 / 20)
    # dead: |h| > 0.99 for the whole batch -> columns 0 and 3
    assert snap.dead_neurons == 2
    assert snap.saturation_mask.shape == (4, 5)
    assert snap.saturation_mask[:, 0].all() and not snap.saturation_mask[:, 2].any()
    assert snap.hpreact_hist.sum() == 20 and snap.h_hist.sum() == 20
    assert len(snap.hpreact_edges) == len(snap.hpreact_hist) + 1
    assert snap.hpreact_edges[0] <= -5.0 and snap.hpreact_edges[-1] >= 5.0
    assert snap.h_edges[0] == -1.0 and snap.h_edges[-1] == 1.0
    # h's histogram: the four 0.5 fall in one bin
    bin_of_half = np.searchsorted(snap.h_edges, 0.5, side="right") - 1
    assert snap.h_hist[bin_of_half] == 4
    grad_std = np.array([g.std().item() for g in rec.grads])
    data_std = np.array([p.std().item() for p in rec.params])
    assert np.allclose(snap.grad_std, grad_std, rtol=1e-5)
    assert np.allclose(snap.grad_data_ratio, grad_std / data_std, rtol=1e-5)
    assert np.allclose(snap.update_ratio_log10, np.log10(0.1 * grad_std / data_std), atol=1e-5)
    assert snap.step == 12 and snap.loss == 2.5 and snap.lr == 0.1
    d = snap.detail
    assert d.hpreact_percentiles[0] == pytest.approx(-4.2) and d.hpreact_percentiles[-1] == pytest.approx(5.0)
    assert np.all(np.diff(d.hpreact_percentiles) >= 0)
    assert d.hgrad_hist.sum() == 20
    assert [h.sum() for h in d.grad_hists] == [21, 5]


def test_snapshot_of_a_real_step(small_dataset):
    trainer = Trainer(Config(batch_size=50, n_hidden=64), small_dataset)
    assert trainer.snapshot() is None
    trainer.train(3)
    snap = trainer.snapshot(detail=True)
    assert snap.step == 2 and snap.loss == trainer.losses[-1]
    assert snap.hpreact_hist.sum() == 50 * 64 and snap.h_hist.sum() == 50 * 64
    assert snap.saturation_mask.shape == (50, 64)
    assert snap.param_names == trainer.model.param_names and len(snap.update_ratio_log10) == 7
    assert np.isfinite(snap.update_ratio_log10[:5]).all()


def test_snapshots_do_not_change_the_training_numbers(names_dataset):
    plain = Trainer(Config(), names_dataset)
    watched = Trainer(Config(), names_dataset)
    plain_losses = plain.train(300)
    watched_losses = []
    for _ in range(300):
        watched_losses.append(watched.train_step())
        watched.snapshot(detail=True)
        watched.snapshot()
    assert plain_losses == watched_losses
    for a, b in zip(tensors(plain), tensors(watched), strict=True):
        assert torch.equal(a, b)


def test_update_ratio_of_a_real_step_is_lr_times_grad_over_data(small_dataset):
    trainer = Trainer(Config(lr=0.2), small_dataset)
    trainer.train(5)  # so that b2, bngain and bnbias are no longer constant (std 0)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train_step()
    snap = trainer.snapshot()
    rec = trainer.last
    assert len(snap.param_names) == 7
    for k, name in enumerate(snap.param_names):
        expected = np.log10(0.2 * rec.grads[k].std().item() / before[k].std().item())
        assert snap.update_ratio_log10[k] == pytest.approx(expected, abs=1e-4), name


def test_histogram_puts_outliers_in_the_end_bins():
    counts, edges = histogram(np.array([-10.0, -1.0, -0.6, -0.2, 0.0, 0.3, 0.99, 7.0]), -1.0, 1.0, bins=4)
    assert counts.tolist() == [3, 1, 2, 2]
    assert edges.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_nice_range_covers_the_data():
    for m in (0.01, 0.7, 1.0, 1.3, 4.9, 17.0, 999.0):
        r = nice_range(m)
        assert r >= m and r in (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000)
    assert nice_range(5000.0) == 5000.0


def test_spread_equals_torch_std():
    g = torch.Generator().manual_seed(1)
    arrays = [torch.randn(30, 200, generator=g) * s + o for s, o in ((1, 0), (0.01, 5), (100, -3))]
    arrays.append(torch.randn(1, 200, generator=g))
    got = spread([a.numpy() for a in arrays])
    assert np.allclose(got, [a.std().item() for a in arrays], rtol=1e-5)


def test_percentiles_of_a_known_range():
    p = percentiles(np.arange(101, dtype=np.float32), at=(0, 16, 50, 84, 100))
    assert p.tolist() == [0, 16, 50, 84, 100]
