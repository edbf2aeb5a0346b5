"""Word lists in the window: every bad file ends in a message and the run goes on untouched;
odd but valid files simply work; a 5 MB list loads off the GUI thread with progress."""
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from fault_helpers import (
    BAD_WORD_LISTS,
    assert_intact,
    big_word_list,
    run_state,
    wait_answered,
    write_word_list,
)
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from window_helpers import WAIT_MS, inspect, wait_status

from core.data import Dataset
from core.training.trainer import Trainer
from gui.bridge.commands import Sample


def bad_path(kind, tmp_path, monkeypatch):
    if kind == "missing":
        return tmp_path / "nope.txt", ["No such file", "nope.txt"]
    if kind == "directory":
        folder = tmp_path / "a-folder"
        folder.mkdir()
        return folder, ["folder"]
    if kind == "no-permission":
        # simulated: the tests may run as root, whom chmod 000 does not stop
        path = write_word_list(tmp_path, "locked.txt", [f"name{c}" for c in "abcdefghijkl"])
        real = open

        def guarded_open(file, *args, **kwargs):      # what reads a word list (core.files)
            if Path(file) == path:
                raise PermissionError(13, "Permission denied", str(file))
            return real(file, *args, **kwargs)

        monkeypatch.setattr("core.files.open", guarded_open, raising=False)
        return path, ["Permission denied", "locked.txt"]
    content, words = BAD_WORD_LISTS[kind]
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(content)
    return path, [*words, path.name]


@pytest.mark.parametrize("kind", ["missing", "directory", "no-permission", *BAD_WORD_LISTS])
def test_a_bad_word_list_is_refused_and_the_run_goes_on(qtbot, window, tmp_path, monkeypatch, kind):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    before = run_state(qtbot, window)
    path, mentions = bad_path(kind, tmp_path, monkeypatch)
    window.control.use_dataset(str(path))
    def check():
        assert window.message_bar.text != ""
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    for word in mentions:
        assert word in window.message_bar.text, window.message_bar.text
    assert window.statusBar().currentMessage() and "Traceback" not in window.message_bar.text
    assert window.setup.model.data_label.text() == "words.txt"   # the panel shows the list in use again
    assert_intact(qtbot, window, before)


def odd_but_valid(kind, folder):
    rng = random.Random(1)
    plain = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 7))) for _ in range(200)]
    if kind == "crlf-bom":
        return write_word_list(folder, "windows.txt", plain, newline="\r\n", bom=True), plain
    if kind == "one-character-words":
        words = [rng.choice("abcdefghij") for _ in range(200)]
        return write_word_list(folder, "letters.txt", words), words
    if kind == "10000-character-line":
        words = plain + ["".join(rng.choice("abcdefghij") for _ in range(10_000))]
        return write_word_list(folder, "long.txt", words), words
    if kind == "upper-case-and-accents":
        words = plain + ["Émile", "Zoë", "ANNA", "José", "Ångström", "Chloé", "Björn", "Renée", "Müller", "Noël"] * 3
        return write_word_list(folder, "accents.txt", words), words
    if kind == "utf-16":
        path = folder / "notepad.txt"
        path.write_bytes(("\r\n".join(plain) + "\r\n").encode("utf-16"))
        return path, plain
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["crlf-bom", "one-character-words", "10000-character-line",
                                  "upper-case-and-accents", "utf-16"])
def test_odd_but_valid_word_lists_simply_work(qtbot, window, tmp_path, kind):
    path, words = odd_but_valid(kind, tmp_path)
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS) as started:
        window.control.use_dataset(str(path))
    info = started.args[0]
    assert info.source == str(path) and info.n_words == len(words)
    expected_vocab = (".", *sorted(set("".join(words))))
    assert info.vocab == expected_vocab and "\r" not in info.vocab and "\ufeff" not in info.vocab
    trainer = inspect(qtbot, window)
    assert trainer.tensors["C"].shape[0] == len(expected_vocab)        # the model grew to fit
    assert trainer.tensors["W2"].shape[1] == len(expected_vocab)
    assert window.windowTitle().endswith(path.name) and window.message_bar.text == ""
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    trainer = inspect(qtbot, window)
    assert np.isfinite(trainer.losses).all()
    if kind == "upper-case-and-accents":
        # every new character met in training moved its embedding: the model adapts to them
        dataset = Dataset.load(str(path), trainer.cfg.block_size)     # the run's, loaded again here
        fresh = Trainer(trainer.cfg, dataset)
        seen = set(dataset.splits["train"][0].flatten().tolist())
        new = [dataset.vocab.stoi[c] for c in "ÉëÅöüéA" if dataset.vocab.stoi[c] in seen]
        C = torch.from_numpy(trainer.tensors["C"].copy())
        assert new and all(not torch.equal(C[i], fresh.model.C[i]) for i in new)
    got = []
    window.session.command(Sample(5, 1.0, 0), on_result=got.append)
    def check():
        assert len(got) == 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    names, _run_id = got[0]
    assert all(set(s.text) <= set(expected_vocab) for s in names)


def test_a_5_mb_word_list_loads_off_the_gui_thread_with_progress(qtbot, window, tmp_path):
    path = big_word_list(tmp_path / "big.txt")
    assert path.stat().st_size == 5_000_000
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)

    # the GUI's own clock: a 10 ms timer that must keep ticking while the list loads
    gaps, clock, tick = [], QElapsedTimer(), QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.timeout.connect(lambda: (gaps.append(clock.restart())))
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    clock.start()
    tick.start(10)
    elapsed = QElapsedTimer()
    elapsed.start()
    with qtbot.waitSignal(window.run.run_started, timeout=60_000) as started:
        window.control.use_dataset(str(path))
    load_ms = elapsed.elapsed()
    tick.stop()
    assert started.args[0].n_words == 500_000 and started.args[0].n_train > 3_000_000
    progress = [m for m in messages if m.startswith("Loading big.txt:") and m.endswith("%")]
    # it says how far it has got all along: a new message at least every half second of the load
    # (a count by the clock, not a fixed number, which a fast machine loads too quickly to show)
    assert len(progress) >= 1 + load_ms // 500, (load_ms, messages)
    assert len(gaps) >= load_ms / 10 / 4, (len(gaps), load_ms)   # ticking all along ...
    assert max(gaps[1:]) < 500, sorted(gaps)[-5:]                # ... never frozen for long
    assert load_ms < 20_000
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1 and s.run_id == started.args[0].run_id)


def test_changing_the_dataset_while_training_leaves_nothing_of_the_old_run(qtbot, window, tmp_path, words_path):
    other = write_word_list(tmp_path, "other.txt", [w + "z" for w in words_path.read_text().split()])   # run's words
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.running and s.step > 300)
    old_thread = window.session.thread
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS) as started:
        window.control.use_dataset(str(other))    # while it trains
    wait_answered(qtbot, window)
    info = started.args[0]
    trainer = inspect(qtbot, window)
    assert info.source == str(other) and trainer.source == str(other) and "z" in info.vocab
    assert not window.run.running and not window.run.status.running and window.start_action.text() == "Start"
    assert trainer.step == 0 and window.run.status.step == 0 and window.run.status.run_id == info.run_id
    # no stale plot: the loss curve, histograms and samples' model are the new run's
    assert window.live.loss_plot.curve.n == 0 and window.run.snapshot is None and window.live.loss_plot.markers == []
    assert window.live.hpreact_plot.counts is None and window.live.saturation_plot.shape is None
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    def check():
        assert (window.live.loss_plot.curve.n == 100 and window.run.snapshot is not None
                        and window.run.snapshot.step == 99)
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert window.session.thread is old_thread and old_thread.isRunning()   # the same thread, still one
