"""Hostile input, round 3 (issue 19): the core's side of it."""
from __future__ import annotations

import pytest
import torch

from core.config import LIMITS, Config, ConfigError


@pytest.mark.parametrize("name", ["w1_gain", "w1_scale"])
@pytest.mark.parametrize("value", [1e-320, 1e-45, 1e-38])
def test_a_factor_that_underflows_float32_is_refused_saying_so(name, value):
    """item 12: W1 would become all zeros and the NaN at step 0 be blamed on the batch."""
    with pytest.raises(ConfigError, match="zero in float32"):
        Config(**{name: value}).validate()
    with pytest.raises(ConfigError, match="zero in float32"):
        LIMITS[name].parse(repr(value))


def test_a_small_factor_that_float32_keeps_still_trains(names_dataset):
    from core.training.trainer import Trainer
    t = Trainer(Config(w1_gain=1e-6, max_steps=3, engine="exact"), names_dataset)
    losses = t.train(3)
    assert t.divergence is None and len(losses) == 3


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("name", ["names 😀.txt", "𝒩ames.txt", 'a "quoted"\\ name\t\x7f.txt', "línea\nnueva.txt"])
def test_every_setup_the_app_writes_it_reads_back(tmp_path, suffix, name):
    """item 10: json.dumps wrote 😀 as a surrogate pair, which TOML forbids."""
    from core.config import load_config_file, save_config_file
    cfg = Config(data=str(tmp_path / name), lr=0.05, w1_scale=0.2)
    path = tmp_path / f"setup{suffix}"
    save_config_file(cfg, path)
    assert load_config_file(path) == cfg


def test_a_path_that_is_not_text_is_refused_on_save_not_written_unreadable(tmp_path):
    from core.config import save_config_file
    path = tmp_path / "setup.toml"
    with pytest.raises(ConfigError, match="not text"):
        save_config_file(Config(data="names\udcff.txt"), path)
    assert not path.exists()


SAVE_THEN_HANG = """
import os, signal, sys
from core.files import atomic_write
def write(f):
    f.write(b"x" * 100_000)
    f.flush()
    print("writing", flush=True)
    if sys.argv[2] == "die":
        os.kill(os.getpid(), signal.SIGKILL)       # kill -9 in the middle of a save
    sys.stdin.read()                               # still writing until told
atomic_write(sys.argv[1], write)
"""


def start_save(path, how: str):
    import subprocess
    import sys
    process = subprocess.Popen([sys.executable, "-c", SAVE_THEN_HANG, str(path), how], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "writing\n"
    return process


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_temporaries_a_killed_save_left_are_cleaned_up_by_the_next_save(tmp_path):
    """item 14: each kill -9 during a save left a hidden file as large as the checkpoint."""
    from core.config import save_config_file
    for _ in range(3):
        start_save(tmp_path / "run.pt", "die").wait()
    assert len(hidden(tmp_path)) == 1                        # each save took the last one's away: no pile
    save_config_file(Config(), tmp_path / "setup.toml")      # any later save to that folder
    assert hidden(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["setup.toml"]


def test_a_save_still_being_written_by_another_process_is_left_alone(tmp_path):
    from core.config import save_config_file
    writer = start_save(tmp_path / "run.pt", "hang")
    try:
        save_config_file(Config(), tmp_path / "setup.toml")
        assert len(hidden(tmp_path)) == 1                    # the live one survives
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)
    assert hidden(tmp_path) == [] and (tmp_path / "run.pt").stat().st_size == 100_000


@pytest.mark.parametrize("old_seed", [-1, -5, -2**63])
def test_a_checkpoint_an_earlier_version_saved_with_a_negative_seed_loads(small_dataset, tmp_path, old_seed):
    """item 13: it was refused as "damaged or incompatible", and the run in it lost. torch's
    manual_seed took the negative seed as 2**64 + seed: the same generator, the same run."""
    import torch

    from core.checkpoint import load_checkpoint, save_checkpoint
    from core.training.trainer import Trainer
    mapped = torch.Generator().manual_seed(old_seed).initial_seed()
    trainer = Trainer(Config(seed=mapped, max_steps=100, engine="exact"), small_dataset)
    trainer.train(30)
    path = tmp_path / "old.pt"
    save_checkpoint(trainer, path)
    payload = torch.load(path, weights_only=True)
    payload["trainer"]["config"]["seed"] = old_seed            # as the earlier version wrote it
    torch.save(payload, path)

    loaded = load_checkpoint(path)
    assert loaded.cfg.seed == mapped and loaded.step == 30
    assert loaded.train(5) == trainer.train(5)                 # the run goes on exactly


def test_a_checkpoint_seed_torch_never_took_is_refused_saying_which(small_dataset, tmp_path):
    import torch

    from core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from core.training.trainer import Trainer
    path = tmp_path / "odd.pt"
    save_checkpoint(Trainer(Config(max_steps=10), small_dataset), path)
    payload = torch.load(path, weights_only=True)
    payload["trainer"]["config"]["seed"] = -2**64
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="seed"):
        load_checkpoint(path)


def bn_buffers(trainer):
    return [t.clone() for bn in trainer.model.batchnorms() for t in (bn.running_mean, bn.running_spread)]


@pytest.mark.parametrize("changes", [
    {}, {"n_layers": 3, "layer_style": "lecture"},
    {"layer_style": "wavenet", "n_layers": 2, "block_size": 4, "fuse": "2,2", "bn_dims": "0,1"},
    {"layer_style": "wavenet", "n_layers": 2, "block_size": 4, "fuse": "2,2", "bn_dims": "0"},   # part 5's bug
], ids=["seed", "deep-lecture", "wavenet", "wavenet-per-position"])
def test_calibrating_a_split_too_large_for_one_piece_goes_in_pieces(small_dataset, monkeypatch, changes):
    """item 4: it ran the whole training split in one piece (9.1 GB for 2,000,000 words)."""
    import core.training.trainer as trainer_module
    from core.data import Dataset
    from core.model.layers import Block
    from core.training.trainer import Trainer
    cfg = Config(n_hidden=30, batch_size=16, max_steps=1000, engine="exact", **changes)
    data = Dataset.from_words(list(small_dataset.words), cfg.block_size, source="small")
    whole, pieces = Trainer(cfg, data), Trainer(cfg, data)
    whole.train(100)
    pieces.train(100)
    whole.calibrate_batchnorm()

    monkeypatch.setattr(trainer_module, "EVAL_ELEMENTS", 1000)
    monkeypatch.setattr(trainer_module, "EVAL_CHUNK_ELEMENTS", 1000)
    rows_seen, linear = [], Block.linear
    monkeypatch.setattr(Block, "linear", lambda self, x: rows_seen.append(x.shape[0]) or linear(self, x))
    pieces.calibrate_batchnorm()
    assert rows_seen and max(rows_seen) <= 1000 // 30 < pieces.splits["train"][0].shape[0]
    for a, b in zip(bn_buffers(whole), bn_buffers(pieces), strict=True):
        torch.testing.assert_close(b, a, rtol=2e-5, atol=2e-6)     # the same statistics, to float32 rounding


def test_a_calibration_in_pieces_gives_way_to_a_closing_window_and_changes_nothing(small_dataset, monkeypatch):
    import core.training.trainer as trainer_module
    from core.training.trainer import Cancelled, Trainer
    t = Trainer(Config(n_hidden=30, batch_size=16, max_steps=1000, engine="exact"), small_dataset)
    t.train(50)
    before = bn_buffers(t)
    monkeypatch.setattr(trainer_module, "EVAL_ELEMENTS", 1000)
    monkeypatch.setattr(trainer_module, "EVAL_CHUNK_ELEMENTS", 1000)
    asked = []
    with pytest.raises(Cancelled):
        t.calibrate_batchnorm(cancelled=lambda: asked.append(1) or len(asked) > 3)
    assert all(torch.equal(a, b) for a, b in zip(before, bn_buffers(t), strict=True))
