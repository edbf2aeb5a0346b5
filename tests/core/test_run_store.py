"""The run store: what a run keeps, across opening the file again, in order, and the lectures'
reference rows."""
import os
import socket
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from core.runs.store import RUNS_DB_ENV, RunStore, StoreError, default_path, open_store


def test_every_test_points_the_store_into_a_temporary_folder(tmp_path_factory):
    path = default_path()
    assert str(path) == os.environ[RUNS_DB_ENV]
    assert str(path).startswith(str(tmp_path_factory.getbasetemp()))


def test_a_run_keeps_everything_after_the_file_is_opened_again(tmp_path):
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path)
    rid = store.start_run("headless", "lr 0.2", {"lr": 0.2, "lr_decay_step": 50, "lr_after": 0.01},
                          {"path": "names.txt", "words": 60, "sha256": "ab"}, "fast", "cpu")
    curve = np.log10(np.linspace(3.3, 2.0, 250)).astype(np.float32)
    store.append_losses(rid, 0, curve[:100])
    store.append_losses(rid, 100, curve[100:], lr=0.01)
    store.record_live_change(rid, 120, "lr", 0.2, 0.05)
    store.record_split_loss(rid, "train", 2.0939650535583496, 250)
    store.record_split_loss(rid, "val", 2.1244208812713623, 250)
    store.record_samples(rid, ["emma.", "olivia."], step=250)
    store.save_weights(rid, b"\x00checkpoint\xff", step=250)
    store.set_status(rid, "finished")
    store.close()

    again = RunStore(path)
    run = again.get_run(rid)
    assert (run.name, run.kind, run.status, run.steps, run.engine) == ("lr 0.2", "headless", "finished", 250, "fast")
    assert run.val == 2.1244208812713623 and run.splits["train"] == (2.0939650535583496, 250)
    assert run.lr == 0.01
    assert run.dataset["words"] == 60
    np.testing.assert_array_equal(again.losses(rid), curve)
    assert again.live_changes(rid) == [(120, "lr", 0.2, 0.05)]
    assert again.samples(rid) == ["emma.", "olivia."]
    assert again.load_weights(rid) == b"\x00checkpoint\xff"


def test_the_learning_rate_column_follows_the_rate_in_effect():
    store = RunStore.open_default()
    rid = store.start_run("window", "seed notebook", {"lr": 0.1, "lr_decay_step": 50_000, "lr_after": 0.01},
                          {}, "fast", "cpu")
    assert store.get_run(rid).lr == 0.1
    store.record_live_change(rid, 2_000, "lr", 0.1, 0.3)
    store.append_losses(rid, 0, np.zeros(2_500), lr=0.3)
    store.append_losses(rid, 2_500, np.zeros(10))        # no rate given: the last one stays
    assert store.get_run(rid).lr == 0.3


def test_losses_taken_back_are_replaced():
    store = RunStore.open_default()
    rid = store.start_run("window", "x", {}, {}, "fast", "cpu")
    store.append_losses(rid, 0, np.arange(10, dtype=np.float32))
    store.append_losses(rid, 10, np.arange(10, 20, dtype=np.float32))
    store.append_losses(rid, 15, np.full(3, -1, dtype=np.float32))   # the run went back to step 15
    assert store.get_run(rid).steps == 18
    np.testing.assert_array_equal(store.losses(rid), [*range(15), -1, -1, -1])
    store.truncate_losses(rid, 4)
    np.testing.assert_array_equal(store.losses(rid), [0, 1, 2, 3])
    assert store.get_run(rid).steps == 4


def test_runs_list_newest_first_filtered_with_reference_rows_last():
    store = RunStore.open_default()
    a = store.start_run("headless", "seed notebook", {}, {"path": "names.txt"}, "fast", "cpu")
    b = store.start_run("loss-log", "loss log: fix tanh", {}, {"path": "builtin"}, "fast", "cpu")
    c = store.start_run("sweep-trial", "trial 3", {}, {"path": "names.txt"}, "exact", "cpu",
                        sweep_id="s1", sweep_name="lr sweep")
    runs = store.list_runs()
    assert [r.id for r in runs[:3]] == [c, b, a]
    assert {r.kind for r in runs[3:]} == {"reference"}
    seed = next(r for r in runs if r.name == "seed notebook (reference)")
    assert (seed.train, seed.val) == (2.0940, 2.1244)
    assert {"part 4 manual backprop (reference)", "part 5 hierarchical net (reference)"} <= {r.name for r in runs}
    assert [r.id for r in store.list_runs(sweep_id="s1")] == [c]
    tanh_reference = next(r.id for r in runs if r.name == "loss log: fix tanh (reference)")
    assert [r.id for r in store.list_runs(name="TANH")] == [b, tanh_reference]
    assert [r.id for r in store.list_runs(dataset="names.txt")] == [c, a]
    assert [r.id for r in store.list_runs(kind="headless")] == [a]


def test_reference_rows_are_read_only_and_deleting_a_run_deletes_its_weights():
    store = RunStore.open_default()
    ref = store.list_runs(kind="reference")[0]
    with pytest.raises(StoreError, match="reference"):
        store.delete_run(ref.id)
    with pytest.raises(StoreError, match="reference"):
        store.rename_run(ref.id, "mine")
    rid = store.start_run("window", "x", {}, {}, "fast", "cpu")
    store.save_weights(rid, b"w")
    store.append_losses(rid, 0, np.zeros(3))
    store.rename_run(rid, "mine")
    assert store.get_run(rid).name == "mine"
    store.delete_run(rid)
    assert store.get_run(rid) is None and store.load_weights(rid) is None and len(store.losses(rid)) == 0


def test_a_dead_owner_s_run_is_interrupted_when_the_store_is_next_opened(tmp_path):
    path = tmp_path / "runs.sqlite3"
    code = ("import sys, numpy as np; from core.runs.store import RunStore; s = RunStore(sys.argv[1]); "
            "r = s.start_run('headless', 'x', {}, {}, 'fast', 'cpu'); s.append_losses(r, 0, np.zeros(7)); print(r)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    rid = int(done.stdout)
    store = RunStore(path)
    run = store.get_run(rid)
    assert (run.status, run.steps) == ("interrupted", 7)
    mine = store.start_run("headless", "alive", {}, {}, "fast", "cpu")
    assert RunStore(path).get_run(mine).status == "running"     # this process is alive


def test_another_host_s_run_is_interrupted_only_once_its_heartbeat_is_stale(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    rid = store.start_run("headless", "x", {}, {}, "fast", "cpu")
    db = sqlite3.connect(tmp_path / "runs.sqlite3")
    db.execute("UPDATE runs SET owner_host = ? WHERE id = ?", (socket.gethostname() + "-elsewhere", rid))
    db.commit()
    assert store.mark_interrupted() == []
    db.execute("UPDATE runs SET heartbeat = heartbeat - 3600 WHERE id = ?", (rid,))
    db.commit()
    assert store.mark_interrupted() == [rid]


def test_random_bytes_are_moved_aside_never_deleted(tmp_path):
    path = tmp_path / "runs.sqlite3"
    junk = np.random.default_rng(0).bytes(50_000)
    path.write_bytes(junk)
    store = open_store(path)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("runs.sqlite3.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == junk
    assert "\n" not in store.notice and aside[0].name in store.notice
    assert store.start_run("headless", "x", {}, {}, "fast", "cpu") > 0


def test_a_newer_schema_is_refused_in_one_line(tmp_path):
    path = tmp_path / "runs.sqlite3"
    RunStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer version") as e:
        RunStore(path)
    assert "\n" not in str(e.value)


def test_a_late_status_never_takes_steps_back():
    store = RunStore.open_default()
    rid = store.start_run("window", "x", {}, {}, "fast", "cpu")
    store.append_losses(rid, 0, np.zeros(200))
    store.set_status(rid, "paused", steps=1)          # queued when the run was at step 1
    assert store.get_run(rid).steps == 200
