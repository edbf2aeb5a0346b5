"""Sampling and evaluation run on the worker and come back to the panels."""
import math

from window_helpers import inspect, replica, wait_status, wait_ticks

from core.model.sample import sample_names


def test_sample_lists_names_made_of_the_datasets_characters(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.samples.count.setValue(12)
    window.sample_action.trigger()
    def check():
        assert window.samples.names.count() == 12
    qtbot.waitUntil(check)
    vocab = set(window.run.info.vocab)
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
    def check():
        assert window.samples.names.count() == 20
    qtbot.waitUntil(check)
    first = [s.text for s in window.samples.samples]
    window.samples.names.clear()
    window.sample_action.trigger()
    def check():
        assert window.samples.names.count() == 20
    qtbot.waitUntil(check)
    assert [s.text for s in window.samples.samples] == first


def test_evaluate_shows_the_loss_of_every_split(qtbot, window):
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    window.evaluate_action.trigger()
    labels = window.evaluation.labels
    def check():
        assert all(label.text() != "–" for label in labels.values())
    qtbot.waitUntil(check)
    trainer = replica(inspect(qtbot, window))        # the worker's weights, evaluated here
    expected = {s: trainer.split_loss(s) for s in labels}
    for split, label in labels.items():
        assert math.isclose(float(label.text()), expected[split], abs_tol=1e-4)
    assert window.evaluation.when.text() == "after 1 steps"


def test_reset_clears_the_previous_runs_names(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.sample_action.trigger()
    def check():
        assert window.samples.names.count() == 20
    qtbot.waitUntil(check)
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.reset_action.trigger()
    assert window.samples.names.count() == 0 and window.samples.samples == []
    assert window.samples.chars.rowCount() == 0 and "press Sample" in window.samples.caption.text()
    window.sample_action.trigger()                   # and the new model draws its own
    def check():
        assert window.samples.names.count() == 20
    qtbot.waitUntil(check)
    assert window.samples.run_id == window.run.info.run_id


def test_names_asked_for_right_after_reset_are_the_new_models_and_stay(qtbot, window):
    first_run = window.run.info.run_id
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.reset_action.trigger()
    window.sample_action.trigger()                   # before the new run has even been drawn
    def check():
        assert window.run.info.run_id != first_run and window.samples.names.count() == 20
    qtbot.waitUntil(check)
    wait_ticks(qtbot, window, 3)
    assert window.samples.names.count() == 20 and window.samples.run_id == window.run.info.run_id
    t = replica(inspect(qtbot, window))              # the worker's weights, sampled here
    seed = window.samples.seed.int_value()
    assert [s.text for s in window.samples.samples] == \
        [s.text for s in sample_names(t.model, t.dataset.vocab, 20, seed=seed, temperature=1.0)]
