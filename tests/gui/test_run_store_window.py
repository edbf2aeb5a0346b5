"""The window's runs table is a view of the run store: a run lasts across restarts with its
curve, opens again, and the Evaluate panel and the run's row show the same numbers."""
import json
import os
from pathlib import Path

import numpy as np
from window_helpers import WAIT_MS, wait_idle, wait_status

from core.runs.store import RUNS_DB_ENV, RunStore
from gui.workbench.runs import COLUMNS


def cell(window, row, column):
    model = window.workbench.runs.runs_model
    return model.data(model.index(row, COLUMNS.index(column)))


def train_to_the_end(qtbot, window):
    with qtbot.waitSignal(window.workbench.runs.evaluated, timeout=WAIT_MS):
        window.start_action.trigger()
        wait_status(qtbot, window, lambda s: s.done)


def close(qtbot, window):
    window.close()
    def check():
        assert window.session.is_stopped
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_the_next_window_holds_the_earlier_runs_with_their_curves(qtbot, make_window, tmp_path):
    first = make_window(max_steps=300)
    train_to_the_end(qtbot, first)
    record = first.workbench.runs.run_log.runs[0]
    def check():
        assert record.number is not None
    qtbot.waitUntil(check)
    weight = first.workbench.runs.runs_tab.smoothing.weight
    curve = record.curve.smooth.xy(weight)
    close(qtbot, first)

    second = make_window(max_steps=200)
    wb = second.workbench
    past = next(r for r in wb.runs.run_log.runs if r.number == record.number)
    assert (past.name, past.status, past.steps) == ("max_steps 300", "finished", 300)
    wb.runs.export_run_json(past.run_id, tmp_path / "past.json")   # its curve read from the store first
    assert len(json.loads((tmp_path / "past.json").read_text())["loss_curve"]["step"]) == 300
    assert (past.train_loss, past.val_loss) == (record.train_loss, record.val_loss)
    assert cell(second, 0, "run") == "" and cell(second, 1, "run") == str(record.number)   # newest first
    second.tabs.setCurrentWidget(wb.runs.runs_tab)
    wb.runs.runs_tab.select([past.run_id])
    assert wb.runs.runs_tab.overlaid == [past.run_id] and past.curve.n == 300
    assert wb.runs.runs_tab.smoothing.weight == weight
    drawn = wb.runs.runs_tab.curves[0].getData()
    np.testing.assert_allclose(drawn[1], curve[1], rtol=1e-5)     # the same curve, read back from the store
    assert len(wb.runs.runs_tab.legend.items) == 1


def test_a_stored_run_opens_again_and_evaluate_fills_its_row(qtbot, make_window):
    first = make_window(max_steps=200)
    train_to_the_end(qtbot, first)
    record = first.workbench.runs.run_log.runs[0]
    # the panel shows what the row measured when the run finished
    def check():
        assert first.evaluation.labels["val"].text() == cell(first, 0, "val")
    qtbot.waitUntil(check)
    assert first.evaluation.labels["train"].text() == f"{record.train_loss:.4f}"
    def check():
        assert RunStore.open_default().load_weights(record.number) is not None
    qtbot.waitUntil(check, timeout=WAIT_MS)
    close(qtbot, first)

    second = make_window()
    wb = second.workbench
    past = next(r for r in wb.runs.run_log.runs if r.number == record.number)
    wb.runs.runs_tab.select([past.run_id])
    with qtbot.waitSignal(second.run.run_started, timeout=WAIT_MS):
        wb.open_run_action.trigger()
    wait_status(qtbot, second, lambda s: s.step == 200)
    opened = wb.runs.current.record
    assert opened.name == f"max_steps 200 · from run {record.number}" and second.run.info.cfg.max_steps == 200
    assert opened.train_loss is None
    second.evaluate_action.trigger()
    def check():
        assert opened.val_loss is not None
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert (opened.train_loss, opened.val_loss) == (record.train_loss, record.val_loss)
    assert second.evaluation.labels["val"].text() == f"{opened.val_loss:.4f}" == cell(second, 0, "val")


def test_the_learning_rate_column_shows_the_rate_in_effect(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.control.apply_live({"lr": 0.25})
    wait_idle(qtbot, window)
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 200)
    def check():
        assert cell(window, 0, "lr") == "0.25"
    qtbot.waitUntil(check)
    record = window.workbench.runs.run_log.runs[0]
    window.close()
    store = RunStore.open_default()
    assert store.live_changes(record.number) == [(100, "lr", 0.1, 0.25)]
    assert store.get_run(record.number).lr == 0.25 and store.get_run(record.number).steps == 200


def test_the_filter_and_the_reference_rows(qtbot, window):
    wb = window.workbench
    names = [r.name for r in wb.runs.run_log.references]
    assert "seed notebook (reference)" in names and "part 5 hierarchical net (reference)" in names
    seed = next(r for r in wb.runs.run_log.references if r.name == "seed notebook (reference)")
    assert (seed.train_loss, seed.val_loss) == (2.0940, 2.1244)
    model = wb.runs.runs_model
    row = model.row_of(seed.run_id)
    assert not model.flags(model.index(row, COLUMNS.index("name"))) & model.flags(model.index(row, 0)).ItemIsEditable
    wb.runs.runs_tab.filter.setText("part 4")
    shown = [wb.runs.histories[i].record.name for i in wb.runs.runs_tab.shown_run_ids()]
    assert shown == ["part 4 manual backprop (reference)"]
    wb.runs.runs_tab.filter.setText("")
    assert len(wb.runs.runs_tab.shown_run_ids()) == model.rowCount()
    wb.runs.runs_tab.select([seed.run_id])
    wb.runs.delete_selected_runs()
    assert seed in wb.runs.run_log.references and "cannot be deleted" in window.message_bar.text


def test_a_corrupt_store_is_moved_aside_and_the_window_trains(qtbot, make_window):
    path = Path(os.environ[RUNS_DB_ENV])
    junk = np.random.default_rng(2).bytes(30_000)
    path.write_bytes(junk)
    window = make_window()
    message = window.message_bar.text
    assert "moved aside" in message and "\n" not in message
    aside = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == junk
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)


def test_two_windows_at_once_both_keep_their_runs(qtbot, make_window):
    windows = [make_window(max_steps=400), make_window(max_steps=400, lr=0.2)]
    for window in windows:
        window.start_action.trigger()
    for window in windows:
        wait_status(qtbot, window, lambda s: s.done)

        def measured(w=window):
            assert w.workbench.runs.run_log.runs[0].val_loss is not None
        qtbot.waitUntil(measured, timeout=WAIT_MS)
    records = [w.workbench.runs.run_log.runs[0] for w in windows]
    for window in windows:
        close(qtbot, window)
    store = RunStore.open_default()
    stored = [store.get_run(r.number) for r in records]
    assert [(s.status, s.steps, s.config["lr"]) for s in stored] == [("finished", 400, 0.1), ("finished", 400, 0.2)]
    assert [s.val for s in stored] == [r.val_loss for r in records]
    assert all(len(store.losses(s.id)) == 400 for s in stored) and store.integrity() == "ok"
