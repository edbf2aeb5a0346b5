"""500 random UI actions from a fixed seed: start, pause, step, every switch, Reset, presets,
each field set to a random valid or invalid value, sample, evaluate, another dataset. After
every few actions the window must still answer; every 100 actions and at the end, once
everything is answered, what the panels show must be what the worker's Trainer uses.

FUZZ_SEED=n and FUZZ_ACTIONS=n explore further (some 60 other seeds and three runs of 2,000
actions passed when it was written).
"""
import os
import random

from fault_helpers import type_into, wait_answered, write_word_list
from PySide6.QtWidgets import QApplication
from window_helpers import WAIT_MS, inspect

from core.config import ARCH_FIELDS, LIVE_FIELDS
from core.presets import PRESETS

SEED = int(os.environ.get("FUZZ_SEED", 5))
ACTIONS = int(os.environ.get("FUZZ_ACTIONS", 500))
CHECK_EVERY = 5          # actions between checks that the window answers
AGREE_EVERY = 100        # actions between full comparisons with the worker

# field: (valid values, values that can never be valid or that the run may refuse)
TRAINING_FIELDS = {
    "lr": (["0.1", "0.05", "1", "1e-3", "2.5E-2", "100"], ["0", "-1", "1e6", "abc", "nan", "1e-400"]),
    "lr_after": (["0.01", "0.1", "5e-3"], ["0", "-0.5", "1001"]),
    "lr_decay_step": (["0", "50", "400", "1000"], ["-1", "x"]),
    "batch_size": (["2", "4", "16", "32", "64"], ["0", "-3", "1", "100000"]),
    "max_steps": (["150", "600", "1200", "2500"], ["0", "1", "20"]),
}
MODEL_FIELDS = {
    "n_embed": (["1", "2", "5", "10", "16"], ["0", "-4", "5000"]),
    "n_hidden": (["1", "20", "64", "200", "300"], ["0", "-1"]),
    "block_size": (["1", "2", "3", "5"], ["0", "1001"]),
    "seed": (["0", "42", "2147483647"], ["-1"]),
}
SAMPLE_FIELDS = {
    "count": (["1", "5", "20"], ["-1", "50000"]),
    "temperature": (["0.5", "1", "2"], ["0", "-1", "1e9"]),
    "seed": (["0", "2147483657"], ["-7"]),
}


def test_500_random_actions_leave_a_window_that_answers_and_agrees_with_the_worker(
        qtbot, make_window, words_path, tmp_path):
    window = make_window(max_steps=1500)
    ticks, steps = [], []
    window.timer.timeout.connect(lambda: ticks.append(1))
    rng = random.Random(SEED)
    other = write_word_list(tmp_path, "other.txt", [w[::-1] + "k" for w in words_path.read_text().split()])
    tiny = write_word_list(tmp_path, "tiny.txt", list("abcdefghij"))     # batch 32 is too big for it
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n")
    datasets = [str(words_path), str(other), str(tiny), str(blank)]

    def let_it_run(frames):
        seen = len(ticks)
        def check():
            assert len(ticks) >= seen + frames
        qtbot.waitUntil(check, timeout=WAIT_MS)

    def set_field(boxes, spec):
        name = rng.choice(sorted(spec))
        valid, invalid = spec[name]
        type_into(qtbot, boxes[name], rng.choice(valid if rng.random() < 0.6 else invalid))

    training = window.setup.training
    model = window.setup.model
    model_boxes = {"n_embed": model.n_embed, "n_hidden": model.n_hidden, "block_size": model.block_size,
                   "seed": model.seed}
    sample_boxes = {"count": window.samples.count, "temperature": window.samples.temperature,
                    "seed": window.samples.seed}
    switches = [*window.setup.init.boxes.values(), window.samples.random]
    actions = {
        "start/pause": (8, window.start_action.trigger),
        "step": (4, window.step_action.trigger),
        "step x100": (3, window.step100_action.trigger),
        "switch": (5, lambda: rng.choice(switches).toggle()),
        "reset": (4, window.reset_action.trigger),
        "preset": (1, lambda: window.control.apply_preset(rng.choice(sorted(PRESETS)))),
        "training field": (8, lambda: set_field(training.fields, TRAINING_FIELDS)),
        "model field": (5, lambda: set_field(model_boxes, MODEL_FIELDS)),
        "sample field": (2, lambda: set_field(sample_boxes, SAMPLE_FIELDS)),
        "flush": (2, training.flush),
        "sample": (3, window.sample_action.trigger),
        "evaluate": (2, window.evaluate_action.trigger),
        "dataset": (1, lambda: window.control.use_dataset(rng.choice(datasets))),
        "let it run": (3, lambda: let_it_run(rng.randint(1, 5))),
    }
    names = sorted(actions)
    weights = [actions[n][0] for n in names]
    done: dict[str, int] = dict.fromkeys(names, 0)

    for i in range(ACTIONS):
        name = rng.choices(names, weights)[0]
        actions[name][1]()
        done[name] += 1
        if i % CHECK_EVERY == CHECK_EVERY - 1:
            # the window answers: its frame timer fires again within a frame or two
            seen = len(ticks)
            def check(n=seen):
                assert len(ticks) > n
            qtbot.waitUntil(check, timeout=2_000)
            assert window.isVisible() and window.session.thread.isRunning()
            steps.append(window.run.status.step)
            assert "Unexpected error" not in window.message_bar.text, (i, name, window.message_bar.text)
        if i % AGREE_EVERY == AGREE_EVERY - 1:
            assert_agrees_with_the_worker(qtbot, window)

    assert all(done.values()), done          # every kind of action was tried
    assert_agrees_with_the_worker(qtbot, window)
    assert window.run.info.run_id > 10 and max(steps) > 100    # it got somewhere


def assert_agrees_with_the_worker(qtbot, window) -> None:
    """Pause, let every command settle, and compare the panels and plots with the trainer."""
    training = window.setup.training
    training.flush()
    wait_answered(qtbot, window, timeout=60_000)
    if window.run.running:
        window.start_action.trigger()
        wait_answered(qtbot, window)
    QApplication.processEvents()
    t = inspect(qtbot, window)
    assert window.session.thread.isRunning() and not t.running
    assert window.run.info.run_id == t.run_id == window.run.status.run_id
    assert window.run.status.step == t.step and window.run.status.cfg == t.cfg and not window.run.status.running
    assert window.start_action.text() == "Start"
    # the training fields show the trainer's live settings ...
    assert training.values() == {k: getattr(t.cfg, k) for k in LIVE_FIELDS}
    # ... the model fields its architecture, or say what is pending until Reset
    applied = window.setup.applied
    assert all(getattr(applied, f) == getattr(t.cfg, f) for f in ARCH_FIELDS)
    pending = window.setup.pending_changes()
    assert window.setup.pending.isVisibleTo(window) == bool(pending)
    shown = window.setup.config()
    assert {p.split(" ")[0] for p in pending} == {f for f in ARCH_FIELDS if getattr(shown, f) != getattr(t.cfg, f)}
    assert window.setup.model.data == t.cfg.data == window.run.info.source
    # ... and the plots the run's history
    assert window.live.loss_plot.curve.n == t.step
    assert window.run.snapshot is None or window.run.snapshot.step == t.step - 1
