"""Headless runs land in the run store; `main.py runs ...` reads it; crashes, several writers
at once and a corrupt or unwritable store lose nothing and never stop training."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.runs.store import RUNS_DB_ENV, RunStore

MAIN = Path(__file__).resolve().parents[2] / "main.py"


@pytest.fixture
def words_path(word_file, small_words):
    return word_file(small_words)


def headless(*args, timeout=240, env=None):
    return subprocess.run([sys.executable, str(MAIN), "--headless", "--engine", "exact", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=MAIN.parent, env=env)


def printed(stdout: str, split: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith(split + " "))


def test_runs_list_json_holds_both_headless_runs_with_the_val_each_printed(words_path, capsys):
    vals = []
    for lr in ("0.1", "0.2"):
        assert main(["--headless", "--engine", "exact", "--data", str(words_path), "--steps", "300",
                     "--lr", lr, "--samples", "2"]) == 0
        vals.append(printed(capsys.readouterr().out, "val"))
    assert main(["runs", "list", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)       # nothing else on stdout
    mine = [r for r in runs if r["kind"] == "headless"]
    assert [repr(r["val"]) for r in mine] == vals[::-1]          # newest first, to the last digit
    assert [r["config"]["lr"] for r in mine] == [0.2, 0.1]
    assert all(r["status"] == "finished" and r["steps"] == 300 for r in mine)
    assert {"id", "name", "kind", "status", "steps", "train", "val", "config"} <= set(mine[0])
    assert mine[0]["name"] == "max_steps 300, lr 0.2"


def test_show_export_and_delete(words_path, tmp_path, capsys):
    assert main(["--headless", "--engine", "exact", "--data", str(words_path), "--steps", "120", "--samples", "3"]) == 0
    out = capsys.readouterr().out
    run = RunStore.open_default().list_runs(kind="headless")[0]
    assert main(["runs", "show", str(run.id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["samples"] == out.strip().splitlines()[-3:] and shown["has_weights"]
    assert main(["runs", "export", str(run.id), str(tmp_path / "run.csv")]) == 0
    rows = (tmp_path / "run.csv").read_text().splitlines()
    assert rows[0] == "step,log10_loss" and len(rows) == 121 and rows[1].startswith("0,")
    assert main(["runs", "export", str(run.id), str(tmp_path / "run.json")]) == 0
    exported = json.loads((tmp_path / "run.json").read_text())
    assert exported["val_loss"] == float(printed(out, "val")) and len(exported["loss_curve"]["log10_loss"]) == 120
    assert main(["runs", "export", str(run.id), str(tmp_path / "run.txt")]) == 2
    assert ".json or .csv" in capsys.readouterr().err
    assert main(["runs", "delete", str(run.id)]) == 0
    assert main(["runs", "show", str(run.id)]) == 2
    assert f"no run {run.id}" in capsys.readouterr().err


def test_load_run_continues_a_stored_run_and_no_record_records_nothing(words_path, capsys):
    assert main(["--headless", "--engine", "exact", "--data", str(words_path), "--steps", "200", "--samples", "0"]) == 0
    store = RunStore.open_default()
    first = store.list_runs(kind="headless")[0]
    assert main(["--headless", "--engine", "exact", "--load-run", str(first.id), "--steps", "400",
                 "--samples", "0"]) == 0
    second = store.list_runs(kind="headless")[0]
    assert second.id != first.id and second.steps == 400 and f"from run {first.id}" in second.name
    np.testing.assert_array_equal(store.losses(second.id)[:200], store.losses(first.id))
    # the same 400 steps in one go land on the same loss
    assert main(["--headless", "--engine", "exact", "--data", str(words_path), "--steps", "400",
                 "--samples", "0", "--no-record"]) == 0
    assert len(store.list_runs(kind="headless")) == 2
    vals = [line for line in capsys.readouterr().out.splitlines() if line.startswith("val ")]
    assert len(vals) == 3 and vals[1] == vals[2]
    # sampling it (no step left to take) adds no run: the names go to the run itself
    assert main(["--headless", "--engine", "exact", "--load-run", str(first.id), "--samples", "4",
                 "--sample-seed", "7"]) == 0
    names = capsys.readouterr().out.strip().splitlines()[-4:]
    assert len(store.list_runs(kind="headless")) == 2 and store.samples(first.id) == names
    assert store.get_run(first.id).steps == 200
    assert main(["--headless", "--load-run", "999"]) == 2
    assert "no run 999" in capsys.readouterr().err


def test_a_run_killed_with_sigkill_shows_as_interrupted_with_its_steps(words_path):
    proc = subprocess.Popen([sys.executable, str(MAIN), "--headless", "--engine", "exact", "--data",
                             str(words_path), "--steps", "100000000"], cwd=MAIN.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    path = Path(os.environ[RUNS_DB_ENV])
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stderr.read()
            runs = RunStore(path).list_runs(kind="headless") if path.exists() else []
            if runs and runs[0].steps > 0:
                break
            assert time.monotonic() < deadline, "the run never recorded a step"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = RunStore(path)              # the next process to open the store finds it
    run = store.list_runs(kind="headless")[0]
    assert run.status == "interrupted"
    assert run.steps > 0 and len(store.losses(run.id)) == run.steps
    assert np.isfinite(store.losses(run.id)).all()


def test_four_headless_runs_at_once_all_land(words_path):
    procs = [subprocess.Popen([sys.executable, str(MAIN), "--headless", "--engine", "exact", "--data", str(words_path),
                               "--steps", "3000", "--seed", str(seed), "--samples", "1"], cwd=MAIN.parent,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    store = RunStore.open_default()
    runs = store.list_runs(kind="headless")
    assert sorted(r.config["seed"] for r in runs) == [0, 1, 2, 3]
    assert all(r.status == "finished" and r.steps == 3000 and len(store.losses(r.id)) == 3000 for r in runs)
    vals = {repr(r.val) for r in runs}
    assert vals == {printed(out, "val") for out, _ in outs}
    assert store.integrity() == "ok"


def test_random_bytes_as_the_store_training_runs_one_line_the_bytes_kept(words_path):
    path = Path(os.environ[RUNS_DB_ENV])
    junk = np.random.default_rng(1).bytes(100_000)
    path.write_bytes(junk)
    done = headless("--data", words_path, "--steps", "50", "--samples", "1")
    assert done.returncode == 0 and "val " in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "corrupt" in lines[0] and "moved aside" in lines[0]
    aside = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == junk and aside[0].name in lines[0]
    assert RunStore(path).list_runs(kind="headless")[0].steps == 50


def test_a_store_on_a_read_only_filesystem_costs_one_line(words_path, small_filesystem):
    folder = small_filesystem("64k", read_only=True)
    env = {**os.environ, RUNS_DB_ENV: str(folder / "runs.sqlite3")}
    done = headless("--data", words_path, "--steps", "50", "--samples", "1", env=env)
    assert done.returncode == 0 and "val " in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Read-only" in lines[0], done.stderr


def test_a_full_disk_costs_one_line_and_training_goes_on(words_path, small_filesystem):
    folder = small_filesystem("96k")
    env = {**os.environ, RUNS_DB_ENV: str(folder / "runs.sqlite3")}
    done = headless("--data", words_path, "--steps", "30000", "--samples", "1", env=env)
    assert done.returncode == 0 and "val " in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "full" in lines[0], done.stderr
