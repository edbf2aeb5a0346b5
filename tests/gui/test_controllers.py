"""Each workbench controller on its own, napari's way: built against a stand-in session (which
records the commands sent and answers them when the test says) and a run state fed frames as
the worker publishes them. No window, no worker thread."""
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTabWidget, QWidget
from stand_ins import Said, StandInSession, frame, run_info, trained

from core.config import Config, load_config_file, save_config_file
from core.diagnostics.calibration import Calibration
from gui.bridge import commands
from gui.bridge.run_state import RunState
from gui.panels import SetupPanel
from gui.plots.loss_plot import LossPlot
from gui.workbench.diagnostics_controller import DiagnosticsController
from gui.workbench.files import FilesController
from gui.workbench.layers_controller import LayersController
from gui.workbench.layers_view import activation_lines
from gui.workbench.loss_log import LossLogController
from gui.workbench.runs_controller import RunsController
from gui.workbench.smoothing import SmoothingBar

CFG = Config(data="words.txt", max_steps=1000)


def host(qtbot) -> QWidget:
    """The parent of a test's controllers and widgets, deleted with them at the end."""
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


RUNS_OPENED: list[RunsController] = []


@pytest.fixture(autouse=True)
def close_run_stores():
    """Each RunsController opens the run store with a recorder thread of its own, which the
    window closes as it closes; here the test does, or every test would leave one running."""
    yield
    while RUNS_OPENED:
        RUNS_OPENED.pop().close_store()


def make_runs(qtbot):
    session, run, said, parent = StandInSession(), RunState(), Said(), host(qtbot)
    smoothing = SmoothingBar(LossPlot(parent), parent)
    runs = RunsController(session, run, smoothing, said.report(), lambda: False, parent)
    RUNS_OPENED.append(runs)
    runs.runs_tab.setParent(parent)
    runs.host = parent             # held while the test holds the controller
    return runs, session, run, said


def shown_tabs(qtbot) -> QTabWidget:
    """A tab widget on screen with a Live page (the controller's pages are added after it)."""
    tabs = QTabWidget()
    qtbot.addWidget(tabs)           # the test holds it (and the controllers it parents)
    tabs.addTab(QWidget(), "Live")
    tabs.show()
    return tabs


# -- runs ----------------------------------------------------------------------------------------

def test_runs_a_row_per_run_and_a_reset_that_never_trained_is_no_run(qtbot):
    runs, _, run, _ = make_runs(qtbot)
    changes = []
    runs.current_changed.connect(changes.append)
    references = len(runs.run_log.references)                             # the lectures' rows
    run.take(frame(CFG, 0, run_id=1, new_run=True), running=False)
    first = runs.current
    assert runs.runs_model.rowCount() == references + 1 and runs.current_run_id == 1 and changes == [first]
    run.take(frame(CFG, 0, run_id=2, new_run=True), running=False)         # Reset before any step
    assert runs.runs_model.rowCount() == references + 1 and runs.current_run_id == 2
    assert first.run_id not in runs.histories
    run.take(frame(CFG, 3, run_id=2, losses=[3.0, 2.9, 2.8]), running=False)
    assert runs.current.record.steps == 3                                 # the run state feeds its record
    run.take(frame(CFG, 0, run_id=3, new_run=True), running=False)
    assert runs.runs_model.rowCount() == references + 2                   # a run that trained stays


def test_runs_measures_train_and_val_when_training_stops(qtbot):
    runs, session, run, _ = make_runs(qtbot)
    evaluated = []
    runs.evaluated.connect(evaluated.append)
    run.take(frame(CFG, 0, new_run=True), running=False)
    run.take(frame(CFG, 5, running=True, losses=[3.0] * 5), running=True)
    assert session.commands(commands.Evaluate) == []                     # not while it trains
    run.take(frame(CFG, 5), running=False)                                 # paused
    assert session.commands(commands.Evaluate) == [commands.Evaluate()]
    session.answer(commands.Evaluate, (5, {"train": 2.5, "val": 2.6, "test": 2.7}, 1))
    record = runs.current.record
    assert (record.train_loss, record.val_loss) == (2.5, 2.6) and evaluated == [record.run_id]
    run.take(frame(CFG, 5), running=False)
    assert len(session.commands(commands.Evaluate)) == 1                  # the same step: not again


def test_runs_ignores_losses_the_worker_measured_on_another_run(qtbot):
    runs, session, run, _ = make_runs(qtbot)
    run.take(frame(CFG, 0, new_run=True), running=False)
    run.take(frame(CFG, 5, running=True, losses=[3.0] * 5), running=True)
    run.take(frame(CFG, 5), running=False)
    session.answer(commands.Evaluate, (0, {"train": 3.3, "val": 3.3}, 2))   # a Reset reached the worker first
    assert runs.current.record.val_loss is None and runs.current.evaluated_at is None


def test_runs_calibration_is_refused_without_batchnorm_and_reported_with_it(qtbot):
    runs, session, run, said = make_runs(qtbot)
    run.take(frame(CFG.replace(batchnorm=False), 0, new_run=True), running=False)
    runs.calibrate()
    assert session.commands() == [] and "BatchNorm is off" in said.errors[0]
    run.take(frame(CFG, 0, run_id=2, new_run=True), running=False)
    calibrated = []
    runs.calibrated.connect(calibrated.append)
    runs.calibrate()
    c = Calibration(step=100, examples=240, val_before=2.2, val_after=2.1, mean_change=0.5, std_change=0.25)
    session.answer(commands.Calibrate, c)
    assert calibrated == [c]
    assert "val loss 2.2000 → 2.1000 (better)" in said.infos[-1] and "all 240 training examples" in said.infos[-1]


def test_runs_the_run_in_the_window_is_never_deleted(qtbot):
    runs, _, run, said = make_runs(qtbot)
    run.take(frame(CFG, 0, new_run=True), running=False)
    run.take(frame(CFG, 2, losses=[3.0, 2.9]), running=False)
    old = runs.current.run_id
    run.take(frame(CFG, 0, run_id=2, new_run=True), running=False)
    runs.runs_tab.select([old, runs.current.run_id])
    runs.delete_selected_runs()
    kept = [i for i, h in runs.histories.items() if h.record.kind != "reference"]
    assert kept == [runs.current.run_id] and "cannot be deleted" in said.errors[-1]


# -- layers --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deep(words_path):
    """Two snapshots of a 3-layer net, 1 and 2 steps in."""
    t = trained(words_path, 1, n_layers=3, n_hidden=20)
    first = t.snapshot()
    t.train(1)
    return t.cfg, first, t.snapshot()


def make_layers(qtbot):
    run, tabs = RunState(), shown_tabs(qtbot)
    layers = LayersController(run, tabs, tabs)
    tabs.addTab(layers.view, "Layers")       # as the workbench does
    return layers, run, tabs


def test_layers_draws_every_layer_at_once_while_shown_and_paused(qtbot, deep):
    cfg, first, second = deep
    layers, run, tabs = make_layers(qtbot)
    tabs.setCurrentWidget(layers.view)
    run.take(frame(cfg, 1, new_run=True, snapshot=first), running=False)
    view = layers.view
    assert len(view.activations.curves) == 3
    assert view.activations.legend_lines == activation_lines(first.layers)
    run.take(frame(cfg, 2, snapshot=second), running=False)
    assert list(view.steps) == [0, 1]                                      # both in its history
    assert view.activations.legend_lines == activation_lines(second.layers)


def test_layers_keeps_history_while_hidden_and_draws_when_shown(qtbot, deep):
    cfg, first, second = deep
    layers, run, tabs = make_layers(qtbot)
    view = layers.view
    run.take(frame(cfg, 1, new_run=True, snapshot=first), running=False)
    run.take(frame(cfg, 2, snapshot=second), running=False)
    assert list(view.steps) == [0, 1] and view.activations.curves == []   # remembered, not drawn
    tabs.setCurrentWidget(view)
    assert len(view.activations.curves) == 3
    assert [c.y.tolist() for c in view.activations.curves] == [s.hist.tolist() for s in second.layers]
    run.take(frame(cfg, 0, run_id=2, new_run=True), running=False)        # a new run starts blank
    assert view.snapshot is None and list(view.steps) == [] and view.activations.curves == []


# -- diagnostics ---------------------------------------------------------------------------------

def make_diagnostics(qtbot):
    runs, session, run, _ = make_runs(qtbot)
    tabs = shown_tabs(qtbot)
    diagnostics = DiagnosticsController(session, run, runs, tabs, tabs)
    for page in (diagnostics.gradients, diagnostics.update_ratio, diagnostics.distributions, diagnostics.lookback):
        tabs.addTab(page, type(page).__name__)
    return diagnostics, runs, session, run, tabs


def test_diagnostics_asks_for_the_detail_of_a_new_step_once(qtbot, words_path):
    diagnostics, runs, session, run, tabs = make_diagnostics(qtbot)
    t = trained(words_path, 3)
    run.take(frame(t.cfg, 0, new_run=True), running=False)
    assert session.commands() == []                                       # step 0: nothing to measure
    run.take(frame(t.cfg, 3, snapshot=t.snapshot(), losses=t.losses), running=False)
    assert session.waiting_for(commands.DetailSnapshot) == [commands.DetailSnapshot()]
    run.take(frame(t.cfg, 3), running=False)
    assert len(session.commands(commands.DetailSnapshot)) == 1            # one on its way is enough
    tabs.setCurrentWidget(diagnostics.gradients)
    detail = t.snapshot(detail=True)
    session.answer(commands.DetailSnapshot, (1, detail))
    assert runs.current.latest_detail is detail
    run.take(frame(t.cfg, 3), running=False)
    assert diagnostics.gradients.step == 2                                # drawn: the last step's detail
    assert len(session.commands(commands.DetailSnapshot)) == 1            # and not asked for again


def test_diagnostics_drops_a_detail_of_a_run_that_has_gone(qtbot, words_path):
    diagnostics, runs, session, run, _ = make_diagnostics(qtbot)
    t = trained(words_path, 2)
    run.take(frame(t.cfg, 0, new_run=True), running=False)
    run.take(frame(t.cfg, 2, snapshot=t.snapshot(), losses=t.losses), running=False)
    run.take(frame(t.cfg, 0, run_id=2, new_run=True), running=False)
    session.answer(commands.DetailSnapshot, (1, t.snapshot(detail=True)))
    assert runs.current.latest_detail is None


# -- files ---------------------------------------------------------------------------------------

def make_files(qtbot, tmp_path):
    runs, session, run, said = make_runs(qtbot)
    setup, window = SetupPanel(), QWidget()
    for w in (setup, window):
        qtbot.addWidget(w)
    resets = []
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    files = FilesController(session, setup, runs, run, dict, resets.append, settings, said.report(), window)
    return files, session, run, said, resets


def test_files_a_setup_saved_reads_back_and_loading_one_resets_to_it(qtbot, tmp_path):
    files, _, _, _, resets = make_files(qtbot, tmp_path)
    files.setup.set_config(CFG.replace(n_hidden=77, lr=0.05))
    path = files.save_setup(tmp_path / "mine")
    assert path.name == "mine.toml" and load_config_file(path) == files.setup.config()
    save_config_file(CFG.replace(n_hidden=33), tmp_path / "other.toml")
    files.load_setup(tmp_path / "other.toml")
    assert resets == [CFG.replace(n_hidden=33)] and files.setup.config() == CFG.replace(n_hidden=33)


def test_files_a_bad_setup_is_said_in_words_and_nothing_resets(qtbot, tmp_path):
    files, _, _, said, resets = make_files(qtbot, tmp_path)
    (tmp_path / "bad.toml").write_text("seed = -1\n")
    files.open_setup(tmp_path / "bad.toml")
    assert resets == [] and "seed must be at least 0" in said.errors[-1]


def test_files_a_setup_asking_for_a_missing_device_uses_the_cpu_and_says_so(qtbot, tmp_path, monkeypatch):
    files, _, _, said, resets = make_files(qtbot, tmp_path)
    monkeypatch.setattr("gui.workbench.files.available_devices", lambda: ["cpu"])
    (tmp_path / "gpu.toml").write_text('device = "cuda"\n')
    files.load_setup(tmp_path / "gpu.toml")
    assert resets[-1].device == "cpu" and said.infos == []
    files.show_notice()                                       # once the run has started
    assert "gpu.toml asks for 'cuda'" in said.infos[-1]
    files.show_notice()
    assert len(said.infos) == 1


def test_files_checkpoints_go_through_the_session(qtbot, tmp_path):
    files, session, _, said, _ = make_files(qtbot, tmp_path)
    saved, loaded = [], []
    files.checkpoint_saved.connect(saved.append)
    files.checkpoint_loaded.connect(loaded.append)
    files.save_checkpoint(tmp_path / "a.pt")
    assert session.commands() == [commands.SaveCheckpoint(tmp_path / "a.pt")] and saved == []
    session.answer(commands.SaveCheckpoint, 120)
    assert saved == [str(tmp_path / "a.pt")] and "at step 120" in said.statuses[-1]

    files.load_checkpoint(tmp_path / "bad.pt")
    session.refuse(commands.LoadCheckpoint, "bad.pt is not a checkpoint.")
    assert said.errors[-1] == "bad.pt is not a checkpoint. The current run is unchanged." and loaded == []
    files.load_checkpoint(tmp_path / "a.pt")
    info = run_info(CFG.replace(n_hidden=64), run_id=7)
    session.answer(commands.LoadCheckpoint, (info, 120))
    assert loaded == [info] and files.setup.config() == info.cfg
    assert files.runs.origins == {7: "from a.pt"}                # the run it starts is named after the file


# -- the loss-log experiment ---------------------------------------------------------------------

def make_loss_log(qtbot):
    runs, session, run, said = make_runs(qtbot)
    job = LossLogController(session, run, runs, said.report(), lambda: False, runs.parent())
    job.action = QAction(job)      # the menu action (the workbench's): its text says what a click does
    job.progress.setParent(runs.parent())
    return job, runs, session, run, said


def test_loss_log_needs_a_run(qtbot):
    job, _, session, _, said = make_loss_log(qtbot)
    job.start()
    assert session.commands() == [] and "no model yet" in said.errors[-1] and not job.running


def test_loss_log_cancelled_before_the_words_come_starts_nothing(qtbot):
    job, _, session, run, said = make_loss_log(qtbot)
    run.take(frame(CFG, 0, new_run=True), running=False)
    finished = []
    job.finished.connect(finished.append)
    job.start()
    assert session.commands() == [commands.RunWords()] and job.running and job.action.text().startswith("Cancel")
    job.cancel()
    assert finished == [False] and not job.running and job.action.text() == "Loss-log experiment"
    session.answer(commands.RunWords, ["emma", "olivia"] * 50)    # too late: nothing starts
    assert job.job is None and not job.running


def test_loss_log_words_refused_is_said(qtbot):
    job, _, session, run, said = make_loss_log(qtbot)
    run.take(frame(CFG, 0, new_run=True), running=False)
    finished = []
    job.finished.connect(finished.append)
    job.start()
    session.refuse(commands.RunWords, "There is no model yet: press Reset to build one.")
    assert finished == [False] and said.errors == ["There is no model yet: press Reset to build one."]
    assert not job.running


def test_loss_log_trains_the_four_stages_on_the_runs_words(qtbot, words_path):
    job, runs, session, run, said = make_loss_log(qtbot)
    cfg = Config(data=str(words_path))
    run.take(frame(cfg, 0, new_run=True), running=False)
    job.start(max_steps=20)
    with qtbot.waitSignal(job.finished, timeout=60_000) as done:
        session.answer(commands.RunWords, words_path.read_text().split())
    assert done.args == [True] and not job.running
    stages = [h for h in runs.histories.values()
              if h.record.name.startswith("loss log") and h.record.kind != "reference"]
    assert len(stages) == 4 and all(h.record.steps == 20 and h.record.val_loss is not None for h in stages)
    assert runs.runs_tab.selected_run_ids() == [h.run_id for h in reversed(stages)]     # newest first
    assert said.infos[-1].startswith("Loss-log experiment done; val loss:")
