"""The Sweeps tab as a user drives it: a small grid runs off the window's thread, the trials table
and the parallel-coordinates plot show exactly the trials the run store holds, brushing an axis
keeps the trials through it, a chosen trial's settings and weights come to the window, and a
cancelled sweep goes on where it stopped."""
import math

from window_helpers import WAIT_MS

from core.runs.store import RunStore

SWEEP_MS = 180_000


def fill(form, name="tab-grid", steps=200, params="lr = [0.05, 0.5]\nn_hidden = [8, 16]", workers=2):
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
    assert window.running is False            # the window's own training never started


def test_a_chosen_trial_brings_its_settings_and_weights_to_the_window(qtbot, window, temporary_run_store):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "choose", params="lr = [0.05, 0.2]")
    run_sweep(qtbot, sweeps)
    tab = sweeps.tab
    row = tab.model.row_at(1)
    tab.select_trial(row.number)
    assert tab.apply_button.isEnabled() and tab.open_weights_button.isEnabled()
    with qtbot.waitSignal(window.run_started, timeout=WAIT_MS):
        tab.apply_button.click()
    assert window.setup.config().lr == row.params["lr"] and window.setup.config().max_steps == 200
    with qtbot.waitSignal(window.workbench.checkpoint_loaded, timeout=WAIT_MS) as loaded:
        tab.open_weights_button.click()
    info = loaded.args[0]
    assert info.cfg.lr == row.params["lr"]
    qtbot.waitUntil(lambda: window.status is not None and window.status.step == 200, timeout=WAIT_MS)
    runs = window.workbench.runs          # every trial is a row of the Runs table, as it ends
    trial_rows = [r for r in runs.runs_model.rows() if r.kind == "sweep-trial"]
    assert sorted(r.number for r in trial_rows) == sorted(r.run_id for r in sweeps.rows.values())
    tab.show_run_button.click()           # ... and Show run selects its row there
    assert window.tabs.currentWidget() is runs.runs_tab
    (selected,) = runs.runs_tab.selected_run_ids()
    assert runs.histories[selected].record.number == row.run_id


def test_a_cancelled_sweep_goes_on_where_it_stopped(qtbot, window, temporary_run_store):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "cancelled", steps=3000, params="lr = [0.05, 0.1, 0.2]", workers=1)
    with qtbot.waitSignal(sweeps.finished, timeout=SWEEP_MS) as ended:
        sweeps.tab.start_button.click()
        qtbot.waitUntil(lambda: any(r.state == "complete" for r in sweeps.rows.values()), timeout=SWEEP_MS)
        sweeps.tab.cancel_button.click()
    assert ended.args == [False]
    first = {r.number: r.run_id for r in sweeps.rows.values() if r.state == "complete"}
    assert 1 <= len(first) < 3
    run_sweep(qtbot, sweeps)
    complete = {r.number: r.run_id for r in sweeps.rows.values() if r.state == "complete"}
    assert len(complete) == 3 and all(complete[n] == run_id for n, run_id in first.items())
    assert sweeps.tab.model.rowCount() == 3         # the interrupted trial's rerun replaces it
    assert sorted(r.params["lr"] for r in sweeps.rows.values()) == [0.05, 0.1, 0.2]


def test_a_bad_spec_is_said_in_the_message_bar_and_nothing_starts(qtbot, window):
    sweeps = window.workbench.sweeps
    fill(sweeps.form, params="lr = []")
    sweeps.tab.start_button.click()
    assert "params.lr" in window.message_bar.text and not sweeps.running


def test_closing_the_window_mid_sweep_stops_it_and_keeps_the_finished_trials(qtbot, make_window,
                                                                            temporary_run_store):
    window = make_window()
    sweeps = window.workbench.sweeps
    fill(sweeps.form, "closed", steps=3000, params="lr = [0.05, 0.1, 0.2]", workers=1)
    sweeps.tab.start_button.click()
    qtbot.waitUntil(lambda: any(r.state == "complete" for r in sweeps.rows.values()), timeout=SWEEP_MS)
    window.close()
    qtbot.waitUntil(lambda: not sweeps.running and window.session.is_stopped, timeout=SWEEP_MS)
    stored = stored_trials(temporary_run_store)
    states = sorted(r.status for r in stored.values())
    assert "finished" in states and "interrupted" in states      # the trial it stopped, not run on
    assert set(states) <= {"finished", "interrupted"} and states.count("finished") < 3
