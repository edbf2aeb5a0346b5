"""The run state and the session without the window: what a frame writes reaches its
listeners; commands are numbered and answered in order; `idle` fires once all are."""
import numpy as np
import pytest
from window_helpers import WAIT_MS

from core.config import Config
from core.data import Dataset
from core.training.trainer import Trainer
from gui.bridge import commands
from gui.bridge.mailbox import Frame, RunInfo, Status
from gui.bridge.run_state import RunState
from gui.bridge.session import TrainingSession
from gui.live_view import LiveView


@pytest.fixture
def trained(words_path):
    cfg = Config(data=str(words_path), max_steps=50)
    t = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    t.train(20)
    return t


def info_of(t: Trainer, run_id: int = 1) -> RunInfo:
    d = t.dataset
    return RunInfo(run_id, t.cfg, d.source, len(d.words), d.vocab.itos, d.n_train, t.model.n_parameters())


def status_of(t: Trainer, run_id: int = 1, applied: int = 0) -> Status:
    return Status(run_id, t.cfg, t.step, t.lr, t.last.loss, 0.0, False, t.done, None, applied)


def test_the_live_view_draws_what_the_run_state_takes(qtbot, trained):
    run = RunState()
    view = LiveView(run)
    qtbot.addWidget(view)
    started, statuses = [], []
    run.run_started.connect(started.append)
    run.status_changed.connect(statuses.append)
    s = trained.snapshot()
    run.take(Frame(run=info_of(trained), losses=trained.losses.copy(), snapshot=s,
                   status=status_of(trained)), running=False)
    assert [i.run_id for i in started] == [1] and statuses[-1].step == 20
    assert run.info.run_id == 1 and run.snapshot is s and run.status.step == 20
    assert view.loss_plot.curve.n == 20 and view.frames_drawn == 1
    np.testing.assert_array_equal(view.hpreact_plot.counts, s.hpreact_hist)
    assert view.saturation_plot.shape == s.saturation_mask.shape
    assert "saturated" in view.h_plot.note.toPlainText()      # paused: the notes are written at once

    run.take(Frame(rewind=trained.losses[:10].copy()), running=False)   # steps taken back past the snapshot
    assert view.loss_plot.curve.n == 10 and run.snapshot is None

    run.take(Frame(run=info_of(trained, 2)), running=False)          # a new run starts empty
    assert run.info.run_id == 2 and view.loss_plot.curve.n == 0 and len(view.loss_plot.markers) == 0


def test_running_is_announced_once_per_change(qtbot):
    run = RunState()
    changes = []
    run.running_changed.connect(changes.append)
    run.set_running(True)
    run.take(Frame(), running=True)
    run.take(Frame(), running=False)
    assert changes == [True, False] and not run.running


def test_commands_are_numbered_answered_in_order_and_then_idle(qtbot, words_path):
    session = TrainingSession()
    try:
        replies, errors, idles, frames = [], [], [], []
        session.idle.connect(lambda: idles.append(session.sent))
        session.error.connect(errors.append)
        cfg = Config(data=str(words_path), max_steps=30)
        first = session.command(commands.Reset(cfg), on_result=replies.append)
        second = session.command(commands.Step(5), on_result=replies.append)
        assert (first, second) == (1, 2) and session.pending
        assert [type(c) for c in session.waiting_for(commands.Reset)] == [commands.Reset]

        def poll():
            frame = session.poll()
            if frame is not None and frame.status is not None:
                frames.append(frame.status)
            assert not session.pending, f"sent {session.sent}, applied {session.applied}"
        qtbot.waitUntil(poll, timeout=WAIT_MS)
        assert isinstance(replies[0], RunInfo) and replies[1] == 5
        assert idles == [2] and frames[-1].applied == 2 and frames[-1].step == 5
        assert session.waiting_for(commands.Reset) == []

        session.start()                                  # a flag, not a command: no number
        assert session.sent == 2 and session.running and session.pending
        def check():
            poll()                                       # nothing pending ...
            assert frames[-1].done, frames[-1]           # ... and max steps reached
        qtbot.waitUntil(check, timeout=WAIT_MS)
        assert not session.running and frames[-1].step == 30     # max steps clears the flag

        session.start()                                  # refused: it has reached max steps
        assert errors == []                               # reaching it was no error
        def check():
            poll()
            assert errors, "no refusal yet"
        qtbot.waitUntil(check, timeout=WAIT_MS)
        assert len(errors) == 1 and "max steps" in errors[0] and not session.running
    finally:
        assert session.shutdown()
