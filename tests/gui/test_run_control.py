"""The panels and the status bar follow a stand-in run state: no window, no worker thread.
A session stand-in records the commands the controls send."""
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QSettings

from core.config import Config
from gui.bridge import commands
from gui.bridge.mailbox import Frame, RunInfo, Status
from gui.bridge.run_state import RunState
from gui.message_bar import MessageBar
from gui.panels import EvaluatePanel, SamplesPanel, SetupPanel
from gui.report import Report
from gui.run_control import RunControl
from gui.status_bar import TrainingStatusBar


@dataclass
class StandInSession:
    """What RunControl uses of a TrainingSession."""
    commands: list = field(default_factory=list)
    running: bool = False

    @property
    def sent(self) -> int:
        return len(self.commands)

    def command(self, command, on_result=None, on_error=None) -> int:
        self.commands.append((command, on_result, on_error))
        return self.sent

    def start(self) -> None:
        self.running = True

    def pause(self) -> None:
        self.running = False

    def waiting_for(self, kind) -> list:
        return []


@pytest.fixture
def control(qtbot, tmp_path):
    setup, samples, evaluation = SetupPanel(), SamplesPanel(), EvaluatePanel()
    status_bar, message_bar = TrainingStatusBar(), MessageBar()
    for w in (setup, samples, evaluation, status_bar, message_bar):
        qtbot.addWidget(w)
    errors = []
    report = Report(errors.append, lambda _: None, status_bar.showMessage, status_bar.clearMessage)
    run = RunState()
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    c = RunControl(StandInSession(), run, setup, samples, evaluation, status_bar, message_bar, settings,
                   setup, report)
    c.errors = errors
    return c


def frame(cfg: Config, step: int = 0, applied: int = 0, run: bool = False) -> Frame:
    info = RunInfo(1, cfg, cfg.data, 100, tuple("abc"), 80, 1000) if run else None
    return Frame(run=info, status=Status(1, cfg, step, cfg.lr, None, 0.0, False, False, None, applied))


def test_a_new_run_is_shown_as_applied_and_a_refused_live_change_goes_back(control):
    cfg = Config(lr=0.1)
    control.setup.set_config(cfg.replace(n_hidden=50))
    control.run.take(frame(cfg, run=True), running=False)
    assert control.setup.applied == cfg and control.setup.pending_changes() == ["n_hidden 200 → 50"]
    assert control.status_bar.step.text() == f"step 0 / {cfg.max_steps:,}"

    control.setup.training.lr.setValue(0.5)
    control.setup.training.flush()                    # sent: SetLive, number 1
    (command, _, on_error), = control.session.commands
    assert command == commands.SetLive({**control.setup.training.values()})
    control.run.take(frame(cfg, applied=0), running=False)   # a status from before it: the field waits
    assert control.setup.training.lr.value() == 0.5
    on_error("learning rate refused")                       # the worker refused it ...
    control.run.take(frame(cfg, applied=1), running=False)   # ... and its status says lr 0.1
    assert control.setup.training.lr.value() == 0.1 and control.errors == ["learning rate refused"]


def test_start_pause_and_reset_set_the_flag_and_send_commands(control):
    cfg = Config()
    control.run.take(frame(cfg, run=True), running=False)
    control.start()
    assert control.session.running and control.run.running
    control.step(100)
    control.reset()
    assert not control.session.running and not control.run.running   # a new model starts paused
    assert [type(c) for c, _, _ in control.session.commands] == [commands.Step, commands.Reset]
    assert control.session.commands[0][0].n == 100
