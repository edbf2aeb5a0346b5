"""Checkpoints: round trip, exact resume, atomic save, every bad file refused with a clear reason."""
import zipfile

import numpy as np
import pytest
import torch

from core.checkpoint import (
    VERSION,
    CheckpointError,
    check_compatible,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from core.config import Config
from core.data import Dataset
from core.training.trainer import Trainer


def all_tensors(trainer):
    m = trainer.model
    return [p.detach() for p in m.all_parameters()] + list(m.buffers())


def assert_same_state(a, b):
    assert a.cfg == b.cfg and a.step == b.step and a.events == b.events
    assert np.array_equal(a.losses, b.losses)
    for x, y in zip(all_tensors(a), all_tensors(b), strict=True):
        assert torch.equal(x, y)
    assert torch.equal(a.generator.get_state(), b.generator.get_state())


@pytest.fixture
def small_trainer(small_dataset):
    trainer = Trainer(Config(max_steps=1000), small_dataset)
    trainer.train(40)
    trainer.set_live(lr=0.05)
    trainer.train(10)
    return trainer


@pytest.fixture
def saved(small_trainer, tmp_path):
    path = tmp_path / "run.pt"
    save_checkpoint(small_trainer, path)
    return path


def test_round_trip(small_trainer, saved):
    loaded = load_checkpoint(saved)
    assert_same_state(small_trainer, loaded)
    assert loaded.cfg.lr == 0.05 and loaded.events == [(40, "lr 0.1→0.05")]
    assert loaded.dataset.words == small_trainer.dataset.words
    assert loaded.dataset.vocab == small_trainer.dataset.vocab
    for split in ("train", "val", "test"):
        for a, b in zip(loaded.dataset.splits[split], small_trainer.dataset.splits[split], strict=True):
            assert torch.equal(a, b)


def test_a_checkpoint_needs_no_word_file(tmp_path, word_file, small_words):
    path = word_file(small_words)
    trainer = Trainer(Config(data=str(path)), Dataset.load(str(path), 3))
    trainer.train(5)
    save_checkpoint(trainer, tmp_path / "c.pt")
    path.unlink()
    loaded = load_checkpoint(tmp_path / "c.pt")
    assert loaded.dataset.words == small_words and loaded.step == 5


def test_exact_resume(names_dataset, tmp_path):
    straight = Trainer(Config(), names_dataset)
    straight.train(300)
    save_checkpoint(straight, tmp_path / "at300.pt")
    continued_losses = straight.train(300)

    resumed = load_checkpoint(tmp_path / "at300.pt")
    assert resumed.step == 300
    resumed_losses = resumed.train(300)
    assert resumed_losses == continued_losses
    assert_same_state(straight, resumed)
    assert continued_losses != list(straight.losses[:300])  # the second 300 steps are new batches


def test_atomic_save_keeps_the_previous_file(small_trainer, saved, monkeypatch):
    good = saved.read_bytes()
    small_trainer.train(5)

    def failing_save(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(small_trainer, saved)
    assert saved.read_bytes() == good
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]  # no temporary file left

    def interrupted_save(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(small_trainer, saved.parent / "new.pt")
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]
    assert load_checkpoint(saved).step == 50


def test_save_overwrites(small_trainer, saved):
    small_trainer.train(7)
    save_checkpoint(small_trainer, saved)
    assert load_checkpoint(saved).step == 57


# -- files that must be refused ------------------------------------------------------------------

@pytest.mark.parametrize("cut", [0.5, 0.99, "minus10"])
def test_truncated_file(saved, cut):
    data = saved.read_bytes()
    saved.write_bytes(data[:-10] if cut == "minus10" else data[:int(len(data) * cut)])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(saved)


def member_offsets(path):
    """(name, first byte of its data) for each member of the zip."""
    with zipfile.ZipFile(path) as z:
        out = []
        for info in z.infolist():
            with open(path, "rb") as f:
                f.seek(info.header_offset + 26)
                name_len, extra_len = np.frombuffer(f.read(4), dtype="<u2")
            out.append((info.filename, info.header_offset + 30 + int(name_len) + int(extra_len), info.file_size))
    return out


@pytest.mark.parametrize("member", ["data.pkl", "tensor"])
def test_corrupt_bytes(saved, member):
    members = member_offsets(saved)
    if member == "data.pkl":
        name, start, size = next(m for m in members if m[0].endswith("data.pkl"))
    else:  # the largest tensor storage: a flipped byte there is a wrong weight, not a parse error
        name, start, size = max((m for m in members if "/data/" in m[0]), key=lambda m: m[2])
    data = bytearray(saved.read_bytes())
    data[start + size // 2] ^= 0x10
    saved.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(saved)


def test_no_flipped_byte_loads_as_different_weights(saved):
    """Flip one byte at 60 places across the file: each is refused, or (for bytes that carry
    no data, such as zip padding) loads exactly the original checkpoint."""
    good = saved.read_bytes()
    original = read_checkpoint(saved)
    for pos in np.linspace(0, len(good) - 1, 60).astype(int):
        data = bytearray(good)
        data[pos] ^= 0xFF
        saved.write_bytes(bytes(data))
        try:
            payload = read_checkpoint(saved)
        except CheckpointError:
            continue
        state, ref = payload["trainer"], original["trainer"]
        assert payload["words"] == original["words"], pos
        for k, t in ref["model"].items():
            assert torch.equal(state["model"][k], t), (pos, k)
        assert torch.equal(state["losses"], ref["losses"]) and state["config"] == ref["config"], pos


@pytest.mark.parametrize("kind", ["torch-dict", "text", "other-zip", "torch-tensor"])
def test_foreign_file(tmp_path, kind):
    path = tmp_path / "foreign.pt"
    if kind == "torch-dict":
        torch.save({"a": 1}, path)
    elif kind == "torch-tensor":
        torch.save(torch.zeros(3), path)
    elif kind == "text":
        path.write_text("hello world\nthis is a note, not a checkpoint\n")
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("photo.txt", "not a checkpoint")
    with pytest.raises(CheckpointError, match="not a makemore playground checkpoint"):
        load_checkpoint(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load_checkpoint(tmp_path / "empty.pt")


def test_future_version(saved):
    payload = torch.load(saved, weights_only=True)
    payload["version"] = VERSION + 1
    torch.save(payload, saved)
    with pytest.raises(CheckpointError, match=f"version.*format {VERSION + 1}"):
        load_checkpoint(saved)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path / "none.pt")
    with pytest.raises(CheckpointError, match="not a file"):
        load_checkpoint(tmp_path)


def test_damaged_contents(saved):
    payload = torch.load(saved, weights_only=True)
    payload["trainer"]["model"]["W1"] = torch.zeros(4, 4)
    torch.save(payload, saved)
    with pytest.raises(CheckpointError, match="damaged or incompatible.*W1"):
        load_checkpoint(saved)
    del payload["trainer"]["generator"]
    torch.save(payload, saved)
    with pytest.raises(CheckpointError, match="damaged or incompatible"):
        load_checkpoint(saved)


# -- compatibility ---------------------------------------------------------------------------------

def test_check_compatible(names_dataset, small_trainer, tmp_path):
    trainer = Trainer(Config(), names_dataset)
    same = Trainer(Config(lr=0.5), names_dataset)
    save_checkpoint(same, tmp_path / "same.pt")
    check_compatible(trainer, read_checkpoint(tmp_path / "same.pt"))  # no error

    save_checkpoint(small_trainer, tmp_path / "vocab.pt")
    assert small_trainer.dataset.vocab != names_dataset.vocab
    with pytest.raises(CheckpointError, match="vocabulary"):
        check_compatible(trainer, read_checkpoint(tmp_path / "vocab.pt"))

    save_checkpoint(Trainer(Config(n_hidden=100), names_dataset), tmp_path / "arch.pt")
    with pytest.raises(CheckpointError, match="architecture.*n_hidden 100 vs 200"):
        check_compatible(trainer, read_checkpoint(tmp_path / "arch.pt"))

    save_checkpoint(Trainer(Config(batchnorm=False), names_dataset), tmp_path / "bn.pt")
    with pytest.raises(CheckpointError, match="batchnorm"):
        check_compatible(trainer, read_checkpoint(tmp_path / "bn.pt"))
