"""Wild values in the fields. What can never be valid is refused by the field itself, with a
message; what depends on the data (or the run) is refused by the core, explained, and the
field goes back to the value in use. Either way the current run goes on untouched."""
import pytest
from fault_helpers import assert_intact, run_state, type_into, wait_answered
from window_helpers import WAIT_MS, inspect, wait_status

import core.training.trainer
from core.config import MAX_PARAMETERS


@pytest.fixture
def trained(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    return window


NEVER_VALID = [
    ("training", "lr", "0"), ("training", "lr", "-1"), ("training", "lr", "1e6"), ("training", "lr", "1e-400"),
    ("training", "lr_after", "0"), ("training", "batch_size", "0"), ("training", "batch_size", "-32"),
    ("training", "max_steps", "0"), ("training", "lr_decay_step", "-1"),
    ("model", "block_size", "0"), ("model", "n_hidden", "0"), ("model", "n_embed", "0"),
    ("model", "n_embed", "100000"), ("model", "block_size", "1001"), ("model", "seed", "-1"),
    ("model", "seed", str(2**64)), ("training", "max_steps", str(10**12 + 1)),
]


@pytest.mark.parametrize("panel, field, text", NEVER_VALID, ids=[f"{f}={t}" for _, f, t in NEVER_VALID])
def test_a_field_refuses_what_can_never_be_valid(qtbot, trained, panel, field, text):
    window = trained
    before = run_state(qtbot, window)
    box = getattr(getattr(window.setup, panel), field)
    value = box.value()
    type_into(qtbot, box, text)
    assert box.value() == value                       # the field kept its value ...
    assert f"{text} is not a valid" in window.message_bar.text   # ... and said why
    assert "use a" in window.message_bar.text and window.statusBar().currentMessage()
    window.setup.training.flush()
    assert not window.setup.pending.isVisibleTo(window)   # nothing waits for a Reset either
    wait_answered(qtbot, window)
    assert_intact(qtbot, window, before)


def test_values_typed_the_way_people_write_them_are_taken(qtbot, trained):
    window = trained
    type_into(qtbot, window.setup.training.lr, "5e-2")
    assert window.setup.training.lr.value() == 0.05 and window.message_bar.text == ""
    window.setup.training.flush()
    assert inspect(qtbot, window).cfg.lr == 0.05      # the live change reached the trainer


DATA_DEPENDENT = [
    ("batch_size", 1_000_000, "larger than the training split"),
    ("max_steps", 50, "cannot be below the current step (100)"),
    ("batch_size", 1, "BatchNorm needs a batch of at least 2"),
]


@pytest.mark.parametrize("field, value, message", DATA_DEPENDENT, ids=[f"{f}={v}" for f, v, _ in DATA_DEPENDENT])
def test_a_live_value_the_run_cannot_take_is_explained_and_undone(qtbot, trained, field, value, message):
    window = trained
    before = run_state(qtbot, window)
    box = window.setup.training.fields[field]
    type_into(qtbot, box, str(value))
    assert box.value() == value                      # a valid number: only the run can say no
    window.setup.training.flush()
    def check():
        assert message in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert box.value() == getattr(before.cfg, field)  # the field shows the value in use again
    assert_intact(qtbot, window, before)


def test_a_model_too_big_for_the_playground_is_refused_on_reset(qtbot, trained):
    window = trained
    before = run_state(qtbot, window)
    model = window.setup.model
    for box, text in ((model.n_embed, "1024"), (model.block_size, "64"), (model.n_hidden, "100000")):
        type_into(qtbot, box, text)
    assert window.setup.pending.isVisibleTo(window)
    window.reset_action.trigger()
    def check():
        assert "parameters in W1 alone" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert f"{MAX_PARAMETERS:,}" in window.message_bar.text
    assert window.setup.pending.isVisibleTo(window)   # the refused values stay pending, to be changed
    assert_intact(qtbot, window, before)


def test_a_model_too_big_for_memory_is_refused_before_allocating(qtbot, trained, monkeypatch):
    window = trained
    before = run_state(qtbot, window)
    monkeypatch.setattr(core.training.trainer, "available_memory", lambda: 256 << 20)   # a machine with 256 MiB free
    built = []
    real_mlp = core.training.trainer.MLP
    monkeypatch.setattr(core.training.trainer, "MLP", lambda *a: built.append(a) or real_mlp(*a))
    model = window.setup.model
    type_into(qtbot, model.n_embed, "1000")
    type_into(qtbot, model.n_hidden, "10000")   # 30 million weights: allowed in size, too big for 256 MiB
    window.reset_action.trigger()
    def check():
        assert "GiB of memory" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert "only 0.2 GiB is free" in window.message_bar.text and "make n_embed, n_hidden" in window.message_bar.text
    assert built == []                               # refused before a single weight was allocated
    assert_intact(qtbot, window, before)


def test_a_batch_larger_than_a_new_lists_split_is_explained_on_reset(qtbot, trained, tmp_path):
    window = trained
    before = run_state(qtbot, window)
    small = tmp_path / "ten.txt"
    small.write_text("\n".join("abcdefghij") + "\n")   # 8 training words: 16 examples
    window.control.use_dataset(str(small))
    def check():
        assert "larger than the training split" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert "batch size (32)" in window.message_bar.text and "(16 examples); use at most 16" in window.message_bar.text
    assert_intact(qtbot, window, before)
