"""Look-back histories: bounded, evenly spread over the run, and the snapshot at a step."""
import numpy as np
import pytest

from core.config import Config
from core.diagnostics.stats import PERCENTILES
from core.runs.records import RunLog
from core.runs.run_history import RunHistory
from core.runs.timeline import StepSeries, Timeline
from core.training.trainer import Trainer


@pytest.fixture(scope="module")
def snapshots(small_dataset):
    t = Trainer(Config(data="small", max_steps=300, batch_size=16, n_hidden=20), small_dataset)
    out = []
    for _ in range(300):
        t.train_step()
        out.append(t.snapshot(detail=len(out) % 3 == 0))
    return out


def test_timeline_stays_bounded_and_covers_the_whole_run(snapshots):
    tl = Timeline(capacity=16)
    for s in snapshots:
        tl.offer(s)
        assert len(tl) < 16
    steps = tl.steps
    assert steps[0] == 0 and steps == sorted(steps)
    assert steps[-1] >= 300 - 2 * tl.windows.width      # reaches the end of the run
    gaps = np.diff(steps)
    assert gaps.max() <= 2 * tl.windows.width              # evenly spread: no big holes
    assert all(s.detail is None for s in tl.snapshots)     # the dear part is not kept


def test_timeline_gives_the_snapshot_at_or_before_a_step(snapshots):
    tl = Timeline(capacity=16)
    for s in snapshots:
        tl.offer(s)
    for step in (0, 57, 150, 299, 10_000):
        s = tl.at(step)
        assert s.step <= max(step, 0)
        later = [t for t in tl.steps if t <= step]
        assert s.step == later[-1]
    assert tl.at(-5).step == 0


def test_timeline_keeps_fewer_big_snapshots(snapshots):
    s = snapshots[0]
    tl = Timeline(capacity=64, max_bytes=20 * s.saturation_mask.nbytes, min_items=4)
    for s in snapshots:
        tl.offer(s)
    assert 0 < len(tl) < 20


def test_step_series_thins_to_capacity_and_turns_infinities_into_gaps():
    series = StepSeries(columns=2, capacity=100)
    for step in range(10_000):
        series.offer(step, [step, -np.inf if step == 0 else 1.0])
    steps, values = series.data()
    assert len(steps) < 100 and steps[0] == 0 and steps[-1] > 9_000
    assert np.all(np.diff(steps) > 0)
    assert np.array_equal(values[:, 0], steps.astype(np.float32))
    assert np.isnan(values[0, 1]) and np.all(values[1:, 1] == 1.0)
    with pytest.raises(ValueError):
        series.offer(20_000, [1.0, 2.0, 3.0])


def test_run_history_routes_snapshots_and_drops_stale_losses(snapshots):
    log = RunLog()
    hist = RunHistory(log.start(Config()))
    for s in snapshots:
        hist.add_snapshot(s)
    steps, ratios = hist.update_ratios.data()
    assert ratios.shape == (len(steps), 7) and hist.param_names[0] == "C"
    pct_steps, pct = hist.percentiles.data()
    assert pct.shape == (len(pct_steps), len(PERCENTILES)) and len(pct_steps) == 100
    assert np.all(np.diff(pct, axis=1) >= 0)             # percentiles are ordered
    assert hist.latest.step == 299 and hist.latest_detail.step == 297
    hist.add_losses(np.full(10, 2.0))
    hist.set_split_losses(2.1, 2.2, at_step=10)
    hist.add_losses([])
    assert hist.record.val_loss == 2.2
    hist.add_losses([2.0])                               # training went on: no longer current
    assert hist.record.val_loss is None and hist.record.steps == 11
