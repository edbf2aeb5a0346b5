"""The recorder: training's writes reach the store in order, and a store that cannot be
written costs one line, never a record."""
import sqlite3

import numpy as np

import core.runs.store as store_module
from core.runs.recorder import RunRecorder
from core.runs.store import RunStore


def test_losses_and_records_reach_the_store_in_order(tmp_path):
    lines = []
    recorder = RunRecorder.open(tmp_path / "runs.sqlite3", on_problem=lines.append, flush_every=60)
    run = recorder.start("headless", "seed notebook", {"lr": 0.1}, {"path": "x"}, "fast", "cpu")
    recorder.add_losses(run, 0, [3.0, 2.5], lr=0.1)
    recorder.add_losses(run, 2, [2.25])
    recorder.live_change(run, 3, "lr", 0.1, 0.2)
    recorder.replace_losses(run, [3.0, 2.0])          # a divergence took step 2 back
    recorder.add_losses(run, 2, [1.5, 1.25], lr=0.2)
    recorder.split_loss(run, "val", 2.125, 4)
    recorder.status(run, "finished", 4)
    assert recorder.flush()
    store = RunStore(tmp_path / "runs.sqlite3")
    got = store.get_run(run.id)
    assert (got.status, got.steps, got.val, got.lr) == ("finished", 4, 2.125, 0.2)
    np.testing.assert_allclose(store.losses(run.id), np.log10([3.0, 2.0, 1.5, 1.25]), rtol=1e-6)
    recorder.close()
    assert lines == []


def test_a_locked_store_costs_one_line_and_loses_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "runs.sqlite3"
    lines = []
    recorder = RunRecorder.open(path, on_problem=lines.append, flush_every=60)
    run = recorder.start("headless", "x", {}, {}, "fast", "cpu")
    blocker = sqlite3.connect(path, timeout=0, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    for i in range(5):
        recorder.add_losses(run, i * 10, np.full(10, 2.0 + i))
        assert not recorder.flush()
    recorder.split_loss(run, "val", 2.0, 50)
    assert len(lines) == 1 and "locked" in lines[0] and "\n" not in lines[0]
    blocker.execute("ROLLBACK")
    assert recorder.flush()
    assert lines[-1].startswith("The run store works again")
    store = RunStore(path)
    assert store.get_run(run.id).steps == 50 and store.get_run(run.id).val == 2.0
    np.testing.assert_allclose(store.losses(run.id), np.log10(np.repeat(2.0 + np.arange(5), 10)), rtol=1e-6)
    recorder.close()


def test_a_store_that_cannot_be_opened_records_nothing_and_says_so_once(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    lines = []
    recorder = RunRecorder.open(tmp_path / "a-file" / "runs.sqlite3", on_problem=lines.append)
    run = recorder.start("headless", "x", {}, {}, "fast", "cpu")
    recorder.add_losses(run, 0, [1.0])
    recorder.status(run, "finished", 1)
    recorder.close()
    assert len(lines) == 1 and "Runs are not recorded" in lines[0]
