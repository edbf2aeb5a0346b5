"""The Inspect command: the trainer as the worker has it, copied on the worker thread and
frozen, so a test (or anything on the GUI thread) reads it without touching the trainer."""
import dataclasses

import numpy as np
import pytest
from window_helpers import inspect, wait_status


def test_inspect_shows_the_run_the_window_shows(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    view = inspect(qtbot, window)
    assert view.run_id == window.run.info.run_id and view.step == 100 and view.cfg == window.run.status.cfg
    assert view.last_loss == window.run.status.loss == view.losses[-1]
    assert len(view.losses) == 100 and view.engine == window.run.status.engine and not view.running
    assert view.param_names == ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")   # the seed notebook's
    assert view.tensors["W1"].shape == (window.run.info.cfg.n_embed * window.run.info.cfg.block_size,
                                        window.run.info.cfg.n_hidden)
    assert view.divergence is None and view.diverged_at is None and view.snapshot is None


def test_a_view_is_a_frozen_copy_later_steps_do_not_change(qtbot, window):
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    before = inspect(qtbot, window, layer=0)
    w1 = before.tensors["W1"].copy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.step = 5
    with pytest.raises(ValueError, match="read-only"):
        before.tensors["W1"][0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        before.losses[0] = 1.0
    with pytest.raises(TypeError):
        before.tensors["W1"] = w1
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 2)
    after = inspect(qtbot, window, layer=0)
    assert before.step == 1 and np.array_equal(before.tensors["W1"], w1)   # untouched by the step
    assert not np.array_equal(after.tensors["W1"], w1)                    # which did change the weights
    assert before.snapshot.step == 0 and after.snapshot.step == 1 == window.run.snapshot.step
    assert np.array_equal(after.snapshot.h_hist, window.run.snapshot.h_hist)


def test_inspect_comes_after_the_commands_sent_before_it(qtbot, window):
    window.setup.training.lr.setValue(0.05)
    window.setup.training.flush()                 # a SetLive, sent before the Inspect
    assert inspect(qtbot, window).cfg.lr == 0.05
