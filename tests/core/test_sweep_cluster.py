"""The same 2×2 grid on a real Dask cluster on 127.0.0.1 (a scheduler and two worker processes,
started and stopped here) gives the numbers of the plain runs, bit for bit, even when a worker
dies while it trains a trial."""
import json
import os
import subprocess
import sys
import time

import pytest
from sweep_helpers import MAIN, TINY, sweep_process, write_spec, write_words

from core.config import Config
from core.data import Dataset
from core.runs.store import RunStore
from core.training.trainer import Trainer

distributed = pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
START_S = 30


def dask(*args, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(MAIN.parent)}
    return subprocess.Popen([sys.executable, "-m", "dask", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=MAIN.parent, **kwargs)


@pytest.fixture
def cluster(tmp_path):
    """(tcp://127.0.0.1:PORT, [worker processes]) of a scheduler with two single-thread workers;
    all stopped afterwards."""
    scheduler_file = tmp_path / "scheduler.json"
    procs = [dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                  "--scheduler-file", str(scheduler_file))]
    try:
        deadline = time.monotonic() + START_S
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            procs.append(dask("worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"w{i}",
                              "--local-directory", str(tmp_path / f"w{i}")))
        with distributed.Client(address, timeout=START_S) as client:
            client.wait_for_workers(2, timeout=START_S)
        yield address, procs[1:]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_grid_on_a_cluster_equals_the_plain_runs(tmp_path, cluster, temporary_run_store):
    address, workers = cluster
    words = write_words(tmp_path)
    child = sweep_process(write_spec(tmp_path, "on-cluster", steps=400), "--cluster", address, "--json")
    try:
        deadline = time.monotonic() + START_S    # both workers have a trial: one of them dies
        while len(RunStore(temporary_run_store).list_runs(kind="sweep-trial")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers[1].kill()
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 0, err
    rows = json.loads(out)
    assert len(rows) == 4 and all(r["state"] == "complete" for r in rows), rows
    dataset = Dataset.load(str(words), 3)
    for r in rows:
        cfg = Config(data=str(words), **TINY, **r["params"], max_steps=400)
        trainer = Trainer(cfg, dataset)
        trainer.train(400)
        assert r["val"] == trainer.split_loss("val"), r["params"]        # bit for bit
    assert "2 at once" in err
