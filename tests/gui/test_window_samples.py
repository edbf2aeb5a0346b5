"""Sampling and evaluation run on the worker and come back to the panels."""
import math

from window_helpers import wait_status


def test_sample_lists_names_made_of_the_datasets_characters(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.samples.count.setValue(12)
    window.sample_action.trigger()
    qtbot.waitUntil(lambda: window.samples.names.count() == 12)
    vocab = set(window.run_info.vocab)
    samples = window.samples.samples
    assert all(set(s.chars) <= vocab for s in samples)
    assert [window.samples.names.item(i).text() for i in range(12)] == [s.notebook_line for s in samples]

    window.samples.names.setCurrentRow(0)
    table, first = window.samples.chars, samples[0]
    assert table.rowCount() == len(first.chars)
    assert table.item(0, 0).text() == first.chars[0]
    assert table.item(0, 1).text() == f"{100 * first.probs[0]:.1f} %"


def test_same_seed_same_names(qtbot, window):
    window.sample_action.trigger()
    qtbot.waitUntil(lambda: window.samples.names.count() == 20)
    first = [s.text for s in window.samples.samples]
    window.samples.names.clear()
    window.sample_action.trigger()
    qtbot.waitUntil(lambda: window.samples.names.count() == 20)
    assert [s.text for s in window.samples.samples] == first


def test_evaluate_shows_the_loss_of_every_split(qtbot, window):
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    window.evaluate_action.trigger()
    labels = window.evaluation.labels
    qtbot.waitUntil(lambda: all(label.text() != "–" for label in labels.values()))
    expected = {s: window.session.worker.trainer.split_loss(s) for s in labels}  # paused: safe to read
    for split, label in labels.items():
        assert math.isclose(float(label.text()), expected[split], abs_tol=1e-4)
    assert window.evaluation.when.text() == "after 1 steps"
