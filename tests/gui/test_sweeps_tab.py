"""The Sweeps tab as a user drives it: a small grid runs off the window's thread, the trials table
and the parallel-coordinates plot show exactly the trials the run store holds, brushing an axis
keeps the trials through it, a chosen trial's settings and weights come to the window, and a
cancelled sweep goes on where it stopped."""
import math

from window_helpers import WAIT_MS

from core.runs.store import RunStore

SWEEP_MS = 180_000


def fill(form, name="tab-grid", steps=200, params="lr = [0.05, 0.5]\nn_hidden = [8, 16]", workers=2):
    """The form as a user fills it; the base is the window's setup (the small word list)."""
    form.name.setText(name)
    form.method.setCurrentText("grid")
    form.steps.setValue(steps)
    form.report_every.setValue(100)
    form.workers.setValue(workers)
    form.params.setPlainText(params)


def run_sweep(qtbot, sweeps, expect=True):
    with qtbot.waitSignal(sweeps.finished, timeout=SWEEP_MS) as ended:
        sweeps.tab.start_button.click()
    assert ended.args == [expect]


def stored_trials(temporary_run_store):
    store = RunStore(temporary_run_store)
    try:
        return {r.id: r for r in store.list_runs(kind="sweep-trial")}
    finally:
        store.close()


def test_the_table_and_parallel_coordinates_show_the_stored_trials(qtbot, window, temporary_run_store):
    sweeps = window.workbench.sweeps
    window.tabs.setCurrentWidget(sweeps.tab)
    fill(sweeps.form)
    run_sweep(qtbot, sweeps)
    model, parallel = sweeps.tab.model, sweeps.tab.parallel
    stored = stored_trials(temporary_run_store)
    assert model.rowCount() == len(stored) == 4
    columns = model.columns()
    vals = []
    for i in range(model.rowCount()):
        cells = {c: model.data(model.index(i, j)) for j, c in enumerate(columns)}
        run = stored[int(cells["run"])]
        assert cells["state"] == "complete" and run.status == "finished" and run.steps == 200
        assert float(cells["lr"]) == run.config["lr"] and int(cells["n_hidden"]) == run.config["n_hidden"]
        assert cells["val"] == f"{run.val:.4f}"
        vals.append((int(cells["trial"]), run))
    # one line per trial through its lr, its n_hidden and its val, on the plot's own axes
    lr_axis, width_axis, val_axis = parallel.axes
    assert [a.name for a in parallel.axes] == ["lr", "n_hidden", "val"]
    assert lr_axis.log                                 # 0.05 ... 0.5 spans a decade
    assert (val_axis.low, val_axis.high) == (min(r.val for _, r in vals), max(r.val for _, r in vals))
    for number, run in vals:
        x, y = parallel.line_of(number).getData()
        expected = [lr_axis.position(run.config["lr"]), width_axis.position(run.config["n_hidden"]),
                    val_axis.position(run.val)]
        assert list(x) == [0, 1, 2] and all(math.isclose(a, b) for a, b in zip(y, expected, strict=True))
    # brushing the lr axis around 0.5 keeps exactly the trials with lr 0.5
    parallel.set_brush("lr", 0.4, 0.6)
    with_lr = sorted(n for n, r in vals if r.config["lr"] == 0.5)
    assert sorted(parallel.kept()) == with_lr
    kept_pen = parallel.line_of(with_lr[0]).opts["pen"].color().getRgb()[:3]
    other = next(n for n, _ in vals if n not in with_lr)
    assert parallel.line_of(other).opts["pen"].color().getRgb()[:3] == (205, 205, 205) != kept_pen
    parallel.clear_brushes()
    assert sorted(parallel.kept()) == sorted(n for n, _ in vals)
    assert window.run.running is False            # the window's own training never started


def test_a_chosen_trial_brings_its_settings_and_weights_to_the_window(qtbot, window, temporary_run_store):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "choose", params="lr = [0.05, 0.2]")
    run_sweep(qtbot, sweeps)
    tab = sweeps.tab
    row = tab.model.row_at(1)
    tab.select_trial(row.number)
    assert tab.apply_button.isEnabled() and tab.open_weights_button.isEnabled()
    with qtbot.waitSignal(window.run.run_started, timeout=WAIT_MS):
        tab.apply_button.click()
    assert window.setup.config().lr == row.params["lr"] and window.setup.config().max_steps == 200
    with qtbot.waitSignal(window.workbench.files.checkpoint_loaded, timeout=WAIT_MS) as loaded:
        tab.open_weights_button.click()
    info = loaded.args[0]
    assert info.cfg.lr == row.params["lr"]
    def check():
        assert window.run.status is not None and window.run.status.step == 200
    qtbot.waitUntil(check, timeout=WAIT_MS)
    runs = window.workbench.runs          # every trial is a row of the Runs table, as it ends
    trial_rows = [r for r in runs.runs_model.rows() if r.kind == "sweep-trial"]
    assert sorted(r.number for r in trial_rows) == sorted(r.run_id for r in sweeps.rows.values())
    tab.show_run_button.click()           # ... and Show run selects its row there
    assert window.tabs.currentWidget() is runs.runs_tab
    (selected,) = runs.runs_tab.selected_run_ids()
    assert runs.histories[selected].record.number == row.run_id


# Trial 0 (a batch of 2: the seed's BatchNorm divides by a std of 0 within a few dozen steps) ends at
# once, failed; trial 1 (a batch of 32, 100,000 steps) is still training when it is stopped, however
# fast the machine. Optuna's grid runs [32, 2] in the order 2, 32 (sampler_seed 0).
LONG = {"steps": 100_000, "params": "batch_size = [32, 2]", "workers": 1}


def wait_for_long_trial(qtbot, sweeps):
    def long_one_reported():
        rows = sorted(sweeps.rows.values(), key=lambda r: r.number)
        assert len(rows) >= 2, rows
        assert rows[0].params == {"batch_size": 2} and rows[0].state == "failed"     # precondition
        assert any(r.state == "running" and r.reports for r in rows[1:])
    qtbot.waitUntil(long_one_reported, timeout=SWEEP_MS)


def test_a_cancelled_sweep_goes_on_where_it_stopped(qtbot, window, temporary_run_store):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "cancelled", **LONG)
    with qtbot.waitSignal(sweeps.finished, timeout=SWEEP_MS) as ended:
        sweeps.tab.start_button.click()
        wait_for_long_trial(qtbot, sweeps)
        sweeps.tab.cancel_button.click()
    assert ended.args == [False]
    failed = next(r for r in sweeps.rows.values() if r.state == "failed")
    assert sorted(r.state for r in sweeps.rows.values()) == ["failed", "interrupted"]
    with qtbot.waitSignal(sweeps.finished, timeout=SWEEP_MS) as ended:      # Start goes on with it
        sweeps.tab.start_button.click()
        def check():
            assert sweeps.running and any(r.number == 2 and r.reports for r in sweeps.rows.values())
        qtbot.waitUntil(check, timeout=SWEEP_MS)
        sweeps.tab.cancel_button.click()
    rows = sorted(sweeps.rows.values(), key=lambda r: r.number)
    assert [(r.number, r.params["batch_size"]) for r in rows] == [(0, 2), (2, 32)]   # the stopped one again
    assert rows[0].run_id == failed.run_id and rows[0].state == "failed"           # the finished one kept
    assert sweeps.tab.model.rowCount() == 2
    stored = sorted(r.status for r in stored_trials(temporary_run_store).values())
    assert stored == ["diverged", "interrupted", "interrupted"]


def test_a_bad_spec_is_said_in_the_message_bar_and_nothing_starts(qtbot, window):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, params="lr = []")
    sweeps.tab.start_button.click()
    assert "params.lr" in window.message_bar.text and not sweeps.running


def test_closing_the_window_mid_sweep_stops_it_and_keeps_the_finished_trials(qtbot, make_window,
                                                                            temporary_run_store):
    window = make_window()
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "closed", **LONG)
    sweeps.tab.start_button.click()
    wait_for_long_trial(qtbot, sweeps)
    window.close()
    def check():
        assert not sweeps.running and window.session.is_stopped
    qtbot.waitUntil(check, timeout=SWEEP_MS)
    stored = sorted(r.status for r in stored_trials(temporary_run_store).values())
    assert stored == ["diverged", "interrupted"]        # the finished trial kept, the running one stopped


def test_a_spec_saved_from_the_form_opens_as_it_was(qtbot, window, tmp_path):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "saved", steps=500, params="lr = { low = 0.01, high = 1.0, log = true }")
    sweeps.form.method.setCurrentText("tpe")
    sweeps.form.trials.setValue(7)
    path = sweeps.save_spec(tmp_path / "saved")
    assert path.name == "saved.toml"
    spec = sweeps.form.spec()
    fill(sweeps.form, "other")                  # the form changed, then the file opened again
    sweeps.open_spec(path)
    again = sweeps.form.spec()
    assert (again.name, again.method, again.trials, again.steps, again.params) == \
        (spec.name, spec.method, spec.trials, spec.steps, spec.params)
    assert again.base == spec.base and "saved.toml" in sweeps.form.base_label.text()
