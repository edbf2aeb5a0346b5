"""Waiting on the window by its own signals and clock, never by sleeping; what the worker
has, asked for through the session (Inspect)."""
import torch

from core.data import Dataset
from core.training.trainer import Trainer

WAIT_MS = 15_000


def inspect(qtbot, window, layer=None, timeout=WAIT_MS):
    """The trainer as the worker has it once every command sent before is applied: a frozen
    copy (gui.bridge.inspection.TrainerView) asked for through the session, as any command."""
    sent = []
    with qtbot.waitSignal(window.session.inspected, timeout=timeout,
                          check_params_cb=lambda number, _view: number == sent[0]) as blocker:
        sent.append(window.session.inspect(layer))
    return blocker.args[1]


def replica(view) -> Trainer:
    """A headless Trainer on the view's settings and word list holding the view's weights and
    buffers: what the worker's trainer computes from them (a loss, names), computed here."""
    t = Trainer(view.cfg, Dataset.load(view.cfg.data, view.cfg.block_size))
    t.model.load_state({name: torch.from_numpy(a.copy()) for name, a in view.tensors.items()})
    return t


def wait_status(qtbot, window, predicate, timeout=WAIT_MS):
    def check():
        assert window.run.status is not None, "no status from the worker yet"
        s = window.run.status
        assert predicate(s), (f"the status is still: run {s.run_id}, step {s.step:,} of {s.cfg.max_steps:,}, "
                              f"running {s.running}, done {s.done}, diverged at {s.diverged_at}, "
                              f"{s.steps_per_s:,.0f} steps/s")
    qtbot.waitUntil(check, timeout=timeout)


def single_steps(qtbot, window, n: int) -> None:
    """n single steps, each one's snapshot seen by the window before the next is asked for."""
    for _ in range(n):
        before = window.run.status.step
        window.step_action.trigger()
        def check(b=before):
            assert window.run.snapshot is not None and window.run.snapshot.step == b, \
                f"waiting for step {b}'s snapshot; the window shows {window.run.snapshot and window.run.snapshot.step}"
        qtbot.waitUntil(check, timeout=WAIT_MS)


def wait_paused(qtbot, window):
    """Until the worker has confirmed it stopped stepping."""
    def check():
        assert (not window.session.pending and window.run.status is not None
                and not window.run.status.running), (f"pending: {window.session.pending}, "
                                                 f"running: {window.run.status and window.run.status.running}")
    qtbot.waitUntil(check, timeout=WAIT_MS)


def wait_idle(qtbot, window, timeout=WAIT_MS) -> None:
    """Until every command sent has been answered and the worker runs or pauses as asked
    (the session's `idle`). The worker publishes before it replies, so by then the window
    has drawn everything the commands did."""
    if window.session.pending:
        with qtbot.waitSignal(window.session.idle, timeout=timeout):
            pass


def wait_ticks(qtbot, window, n: int) -> None:
    """Let the frame timer fire n more times (the window's own clock, not a sleep)."""
    ticks = []
    window.timer.timeout.connect(lambda: ticks.append(1))
    def check():
        assert len(ticks) >= n, f"{len(ticks)} of {n} frames so far"
    qtbot.waitUntil(check, timeout=WAIT_MS)


def hold_kernel_preparation(monkeypatch):
    """The fast engine's kernel is 'being compiled' until the returned event is set (then it is
    prepared for real), so a test sees what the window shows meanwhile. Returns (release,
    prepared): prepared is non-empty once the kernel is ready."""
    import threading

    import core.training.fast_kernel_binding as fb
    release, prepared = threading.Event(), []
    real_prepare = fb.prepare

    def slow_prepare(*_):
        release.wait(WAIT_MS / 1000)
        real_prepare()
        prepared.append(True)

    monkeypatch.setattr(fb, "is_prepared", lambda *_: bool(prepared))
    monkeypatch.setattr(fb, "prepare", slow_prepare)
    return release, prepared
