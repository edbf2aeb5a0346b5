"""Run records, the loss-log experiment, and setup files."""
import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from core.config import Config, ConfigError, load_config_file, save_config_file
from core.data import Dataset
from core.presets import PRESETS, preset_config
from core.runs.loss_log import run_loss_log
from core.runs.records import RunLog
from core.training.trainer import Trainer

WORDS = ["anna", "bella", "carla", "dora", "emma", "fiona", "greta", "hanna", "ida", "julia",
         "karl", "leo", "max", "nils", "otto", "paul", "quinn", "rolf", "sven", "tom"] * 5


@pytest.fixture
def small():
    return Dataset.from_words(WORDS, 3)


def test_run_log_table_and_exports(small):
    log = RunLog()
    run = log.start(Config(max_steps=50))
    trainer = Trainer(run.config, small)
    losses = trainer.train(50)
    run.add_losses(losses)
    run.set_split_losses(trainer.split_loss("train"), trainer.split_loss("val"))
    second = log.start(Config(batchnorm=False))
    rows = list(csv.DictReader(io.StringIO(log.to_csv())))
    assert [r["name"] for r in rows] == [run.name, second.name]
    assert [r["run"] for r in rows] == ["", ""]           # the store's number, once a run is stored
    assert float(rows[0]["val"]) == pytest.approx(run.val_loss)
    assert rows[0]["steps"] == "50" and rows[1]["batchnorm"] == "False"
    exported = json.loads(run.to_json())
    assert exported["config"]["max_steps"] == 50
    assert np.allclose(exported["loss_curve"]["log10_loss"], np.log10(losses), atol=1e-5)
    log.delete(second.run_id)
    assert [r.run_id for r in log.runs] == [1]


def test_loss_log_experiment_matches_separate_runs(small):
    """Each stage of the experiment gives exactly what a plain run of that preset gives."""
    log = RunLog()
    seen = []
    records = run_loss_log(Config(), small, log, progress=lambda *a: seen.append(a), max_steps=2000)
    assert [r.name for r in records] == [f"loss log: {n}" for n in PRESETS]
    assert seen[-1] == ("add BN", 2000, 2000)
    for name, rec in zip(PRESETS, records, strict=True):
        cfg = preset_config(name).replace(max_steps=2000, lr_decay_step=1000)
        trainer = Trainer(cfg, small)
        trainer.train(2000)
        assert rec.val_loss == trainer.split_loss("val")
        assert rec.config == cfg
    # the fixes matter: the original init starts far worse than with W2 scaled down
    assert records[0].curve.xy()[1][0] > records[1].curve.xy()[1][0] + 0.5


def test_loss_log_experiment_can_be_cancelled(small):
    log = RunLog()
    records = run_loss_log(Config(), small, log, cancelled=lambda: len(log.runs) >= 2, max_steps=2000)
    assert len(records) == 1


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_setup_file_round_trip(tmp_path, suffix):
    cfg = Config(lr=0.05, batchnorm=False, w1_scale=0.2, data="builtin:1990", n_hidden=64)
    path = tmp_path / f"setup{suffix}"
    save_config_file(cfg, path)
    assert load_config_file(path) == cfg
    assert "lr" in path.read_text()


def test_setup_file_errors_are_explained(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = = 3\n")
    with pytest.raises(ConfigError, match="not a valid setup file"):
        load_config_file(bad)
    bad.write_text("learning_rate = 0.1\n")
    with pytest.raises(ConfigError, match="Unknown setting"):
        load_config_file(bad)
    bad.write_text("lr = -1\n")
    with pytest.raises(ConfigError, match="greater than 0"):
        load_config_file(bad)
    with pytest.raises(ConfigError, match="No such setup file"):
        load_config_file(tmp_path / "missing.toml")


def test_cli_reads_setup_file(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("\n".join(WORDS))
    setup = tmp_path / "setup.toml"
    save_config_file(Config(data=str(words), max_steps=300, n_hidden=16), setup)
    out = subprocess.run([sys.executable, "main.py", "--headless", "--config", str(setup), "--samples", "2"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("      0/    300: ")  # max_steps came from the file
    assert len(out.stdout.splitlines()) == 1 + 2 + 2
