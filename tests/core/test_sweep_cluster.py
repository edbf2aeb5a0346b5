"""The same 2×2 grid on a real Dask cluster on 127.0.0.1 (a scheduler and two worker processes,
started and stopped here) gives the numbers of the plain runs, bit for bit."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_helpers import MAIN, TINY, sweep_in_process, write_spec, write_words

from core.config import Config
from core.data import Dataset
from core.training.trainer import Trainer

distributed = pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
START_S = 30


def dask(*args, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(MAIN.parent)}
    return subprocess.Popen([sys.executable, "-m", "dask", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=MAIN.parent, **kwargs)


@pytest.fixture
def cluster(tmp_path):
    """tcp://127.0.0.1:PORT of a scheduler with two single-thread workers; all stopped afterwards."""
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
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_grid_on_a_cluster_equals_the_plain_runs(tmp_path, capsys, cluster):
    words = write_words(tmp_path)
    code, rows, err = sweep_in_process(capsys, write_spec(tmp_path, "on-cluster"), "--cluster", cluster)
    assert code == 0, err
    assert len(rows) == 4 and all(r["state"] == "complete" for r in rows), rows
    dataset = Dataset.load(str(words), 3)
    for r in rows:
        cfg = Config(data=str(words), **TINY, **r["params"], max_steps=300)
        trainer = Trainer(cfg, dataset)
        trainer.train(300)
        assert r["val"] == trainer.split_loss("val"), r["params"]        # bit for bit
    assert "2 at once" in err and Path(words).exists()
