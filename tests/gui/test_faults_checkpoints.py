"""Checkpoints from the window: a save that fails (full disk, missing folder, the process
killed mid-write) never destroys the previous file; a truncated, corrupt, foreign or
incompatible file is refused with a message saying which, and the run goes on."""
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import torch
from fault_helpers import assert_intact, run_state, wait_answered
from window_helpers import WAIT_MS, wait_status

from core.checkpoint import VERSION, load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def trained(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    return window


@pytest.fixture
def saved(qtbot, trained, tmp_path):
    """A good checkpoint of the window's run at step 100."""
    (tmp_path / "saves").mkdir()
    path = tmp_path / "saves" / "run.pt"
    with qtbot.waitSignal(trained.workbench.files.checkpoint_saved, timeout=WAIT_MS):
        trained.workbench.files.save_checkpoint(path)
    return path


def test_a_full_disk_mid_save_keeps_the_previous_file(qtbot, trained, saved, monkeypatch):
    window = trained
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 101)
    good = saved.read_bytes()
    before = run_state(qtbot, window)

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    window.workbench.files.save_checkpoint(saved)
    def check():
        assert "No space left on device" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert f"Cannot write {saved}" in window.message_bar.text
    assert saved.read_bytes() == good and os.listdir(saved.parent) == [saved.name]   # no temp file left
    monkeypatch.undo()
    assert load_checkpoint(saved).step == 100
    assert_intact(qtbot, window, before)


def test_saving_into_a_missing_folder_says_so(qtbot, trained, tmp_path):
    window = trained
    before = run_state(qtbot, window)
    window.workbench.files.save_checkpoint(tmp_path / "gone" / "run.pt")
    def check():
        assert "Cannot write" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert "No such file or directory" in window.message_bar.text and not (tmp_path / "gone").exists()
    assert_intact(qtbot, window, before)


def test_a_process_killed_mid_save_leaves_the_previous_file(tmp_path, small_trainer_path):
    """A hard crash (no exception handler runs) halfway through writing the new file."""
    good = small_trainer_path.read_bytes()
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        import torch
        from core.checkpoint import load_checkpoint, save_checkpoint
        trainer = load_checkpoint({str(small_trainer_path)!r})
        trainer.train(10)
        def crash(obj, f, *args, **kwargs):
            f.write(b"PK\\x03\\x04 the first bytes of a checkpoint")
            f.flush()
            os._exit(9)
        torch.save = crash
        save_checkpoint(trainer, {str(small_trainer_path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr
    assert small_trainer_path.read_bytes() == good
    assert load_checkpoint(small_trainer_path).step == 5


@pytest.fixture
def small_trainer_path(tmp_path, words_path):
    from core.config import Config
    from core.data import Dataset
    from core.training.trainer import Trainer
    trainer = Trainer(Config(data=str(words_path)), Dataset.load(str(words_path), 3))
    trainer.train(5)
    path = tmp_path / "small.pt"
    save_checkpoint(trainer, path)
    return path


def spoil(kind: str, good: Path, folder: Path) -> tuple[Path, list[str]]:
    """A bad checkpoint made from a good one, and what the message must say."""
    path = folder / f"{kind}.pt"
    data = good.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
        return path, ["truncated or corrupt"]
    if kind == "corrupt":
        with zipfile.ZipFile(good) as z:
            info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        spoilt = bytearray(data)
        spoilt[start + info.file_size // 2] ^= 0x10      # one flipped bit in the weights
        path.write_bytes(bytes(spoilt))
        return path, ["corrupt", "checksum"]
    if kind == "foreign-text":
        path.write_text("a shopping list, not a checkpoint\n")
        return path, ["not a makemore playground checkpoint"]
    if kind == "foreign-torch":
        torch.save({"state_dict": {"weight": torch.zeros(3)}}, path)
        return path, ["not a makemore playground checkpoint"]
    if kind == "empty":
        path.write_bytes(b"")
        return path, ["empty"]
    payload = torch.load(good, weights_only=True)
    if kind == "other-version":
        payload["version"] = VERSION + 1
        words = ["incompatible version", f"format {VERSION + 1}"]
    elif kind == "other-vocabulary":
        payload["words"] = payload["words"] + ["xyzzyq"]          # letters its weights never had
        words = ["incompatible", "vocabulary of 11 characters", "word list has 15"]
    elif kind == "other-architecture":
        payload["trainer"]["config"]["n_hidden"] = 100
        words = ["incompatible", "architecture", "n_hidden 100", "W1 has shape (30, 200)"]
    else:
        raise AssertionError(kind)
    torch.save(payload, path)
    return path, words


KINDS = ["truncated", "corrupt", "foreign-text", "foreign-torch", "empty", "other-version", "other-vocabulary",
         "other-architecture"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_checkpoint_is_refused_saying_which(qtbot, trained, saved, tmp_path, kind):
    window = trained
    before = run_state(qtbot, window)
    path, mentions = spoil(kind, saved, tmp_path)
    window.workbench.files.load_checkpoint(path)
    def check():
        assert "The current run is unchanged" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    for word in mentions:
        assert word in window.message_bar.text, window.message_bar.text
    assert path.name in window.message_bar.text and window.statusBar().currentMessage()
    assert_intact(qtbot, window, before)
