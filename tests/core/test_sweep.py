"""Sweeps on this machine: a trial is the plain run (same numbers, bit for bit), pruning stops bad
trials early, a diverging trial fails with its reason while the sweep goes on, and a killed sweep
resumes without running a finished trial again."""
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from sweep_helpers import MAIN, TINY, sweep_in_process, sweep_process, write_spec, write_words

from core.cli import main as runs_main
from core.config import Config
from core.data import Dataset
from core.runs.store import RunStore
from core.training.trainer import Trainer


def plain_run(words, **settings):
    """The plain headless run's val (as it prints it) and the Trainer's log10 losses for the same setup."""
    cfg = Config(data=str(words), **TINY, **settings)
    trainer = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    trainer.train(cfg.max_steps)
    return trainer.split_loss("val"), np.log10(trainer.losses.copy())


def test_a_two_by_two_grid_on_two_workers_equals_four_plain_runs(tmp_path, capsys, temporary_run_store):
    words = write_words(tmp_path)
    code, rows, err = sweep_in_process(capsys, write_spec(tmp_path), "--workers", "2")
    assert code == 0, err
    assert sorted((r["params"]["lr"], r["params"]["batchnorm"]) for r in rows) == \
        [(0.05, False), (0.05, True), (0.2, False), (0.2, True)]
    store = RunStore(temporary_run_store)
    for r in rows:
        lr, bn = r["params"]["lr"], r["params"]["batchnorm"]
        val, losses = plain_run(words, lr=lr, batchnorm=bn, max_steps=300)
        assert r["state"] == "complete" and r["steps"] == 300
        assert r["val"] == val                                   # bit for bit
        run = store.get_run(r["run_id"])
        assert (run.kind, run.sweep_name, run.status, run.val) == ("sweep-trial", "grid", "finished", val)
        np.testing.assert_array_equal(store.losses(r["run_id"]), losses)
    # and the headless command line itself prints the same val for one of them
    done = subprocess.run([sys.executable, str(MAIN), "--headless", "--data", str(words), "--n-embed", "4",
                           "--n-hidden", "16", "--lr", "0.2", "--steps", "300", "--samples", "0"],
                          capture_output=True, text=True, timeout=120)
    printed = float(done.stdout.split("val ")[1].split()[0])
    assert printed == next(r["val"] for r in rows if r["params"] == {"lr": 0.2, "batchnorm": True})
    (sweep_id,) = {r.sweep_id for r in store.list_runs(kind="sweep-trial")}
    assert runs_main(["runs", "list", "--json", "--sweep", sweep_id]) == 0      # main.py runs list shows them
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["id"] for r in listed) == sorted(r["run_id"] for r in rows)
    assert {(r["kind"], r["sweep_name"]) for r in listed} == {("sweep-trial", "grid")}


@pytest.mark.parametrize("pruning", ["median", "asha"])
def test_pruning_stops_the_exploding_trials_early(tmp_path, capsys, pruning):
    write_words(tmp_path)
    # Optuna's grid runs in a shuffled order; this sampler_seed runs the two good rates first, so
    # they finish and set the median (one at a time) before the exploding ones start
    spec = write_spec(tmp_path, "prune", "lr = [0.1, 0.2, 10.0, 50.0]", steps=600,
                      extra=f'pruning = "{pruning}"\nsampler_seed = 5')
    code, rows, err = sweep_in_process(capsys, spec, "--workers", "1")
    assert code == 0, err
    by_lr = {r["params"]["lr"]: r for r in rows}
    assert {by_lr[0.1]["number"], by_lr[0.2]["number"]} == {0, 1}, "precondition: the good rates run first"
    for lr in (0.2, 0.1):
        assert by_lr[lr]["state"] == "complete" and by_lr[lr]["steps"] == 600
    for lr in (10.0, 50.0):
        assert by_lr[lr]["state"] == "pruned" and by_lr[lr]["steps"] == 100, by_lr[lr]
        assert by_lr[lr]["val"] is None


def test_a_diverging_trial_fails_with_its_reason_and_the_sweep_goes_on(tmp_path, capsys):
    write_words(tmp_path)
    # a batch of 2 repeats a context soon: the seed's BatchNorm divides by a std of 0
    spec = write_spec(tmp_path, "diverge", "batch_size = [32, 2]")
    code, rows, err = sweep_in_process(capsys, spec, "--workers", "2")
    assert code == 0, err
    by_batch = {r["params"]["batch_size"]: r for r in rows}
    assert by_batch[2]["state"] == "failed" and "The loss became NaN" in by_batch[2]["reason"]
    assert by_batch[2]["steps"] < 300 and by_batch[2]["val"] is None
    assert by_batch[32]["state"] == "complete" and by_batch[32]["val"] is not None


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_a_stopped_sweep_resumes_without_repeating_finished_trials(tmp_path, capsys, temporary_run_store, stop):
    write_words(tmp_path)
    spec = write_spec(tmp_path, "stopped", "lr = [0.05, 0.1, 0.2]\nn_hidden = [8, 16]", steps=400)
    child = sweep_process(spec, "--workers", "1", "--json")
    finished = []
    try:
        for line in child.stderr:              # one line per finished trial
            if line.startswith("trial"):
                finished.append(line)
                if len(finished) == 2:
                    break
        deadline = time.monotonic() + 60       # stopped while the third trial trains
        while len(RunStore(temporary_run_store).list_runs(kind="sweep-trial")) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(stop)
        _, said = child.communicate(timeout=60)
    finally:
        child.kill()
    assert len(finished) == 2
    if stop == signal.SIGINT:                  # Ctrl+C: a clean stop that says how to go on
        assert child.returncode == 130 and "--resume" in said and "Traceback" not in said, said
    announced = {int(m) for m in re.findall(r"complete .*\(run (\d+)\)", "".join(finished) + said)}
    store = RunStore(temporary_run_store)      # what the stopped sweep left, however far it got
    before = {r.id for r in store.list_runs(kind="sweep-trial")}
    code, rows, err = sweep_in_process(capsys, spec, "--workers", "2", "--resume")
    assert code == 0, err
    params = sorted((r["params"]["lr"], r["params"]["n_hidden"]) for r in rows)
    assert params == [(lr, n) for lr in (0.05, 0.1, 0.2) for n in (8, 16)]   # every one once, none again
    assert all(r["state"] == "complete" for r in rows)
    final = {r["run_id"] for r in rows}
    assert len(announced) >= 2 and announced <= final          # the trials it said were done, as they were
    ran_again = [line for line in err.splitlines() if line.startswith("trial")]
    assert len(ran_again) + len(final & before) == 6           # each trial either kept or run now, once
    trial_runs = store.list_runs(kind="sweep-trial")
    assert sorted(r.id for r in trial_runs if r.status == "finished") == sorted(final)
    assert {r.status for r in trial_runs if r.id not in final} <= {"interrupted"}
    again = sweep_in_process(capsys, spec, "--resume")         # a finished sweep: nothing more to run
    assert again[0] == 0 and json.dumps(again[1], sort_keys=True) == json.dumps(rows, sort_keys=True)


def test_a_sweep_of_the_same_name_is_not_started_twice(tmp_path, capsys):
    write_words(tmp_path)
    spec = write_spec(tmp_path, "twice", "lr = [0.1]", steps=100)
    assert sweep_in_process(capsys, spec, "--workers", "1")[0] == 0
    code, rows, err = sweep_in_process(capsys, spec, "--workers", "1")
    assert code == 2 and "--resume" in err and err.count("\n") == 1


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-such-host.invalid:8786"])
def test_an_unreachable_cluster_is_refused_in_one_line_before_anything_runs(tmp_path, capsys, address,
                                                                              temporary_run_store):
    write_words(tmp_path)
    code, rows, err = sweep_in_process(capsys, write_spec(tmp_path), "--cluster", address)
    assert code == 2 and rows is None
    assert err.count("\n") == 1 and "Cannot reach the Dask scheduler" in err, err
    assert not temporary_run_store.exists()
