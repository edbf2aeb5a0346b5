"""The window's runs table is a view of the run store: a run lasts across restarts with its
curve, opens again, and the Evaluate panel and the run's row show the same numbers."""
import os
from pathlib import Path

import numpy as np
from window_helpers import WAIT_MS, wait_idle, wait_status

from core.runs.store import RUNS_DB_ENV, RunStore
from gui.workbench.runs import COLUMNS


def cell(window, row, column):
    model = window.workbench.runs_model
    return model.data(model.index(row, COLUMNS.index(column)))


def train_to_the_end(qtbot, window):
    with qtbot.waitSignal(window.workbench.evaluated, timeout=WAIT_MS):
        window.start_action.trigger()
        wait_status(qtbot, window, lambda s: s.done)


def close(qtbot, window):
    window.close()
    qtbot.waitUntil(lambda: window.session.is_stopped, timeout=WAIT_MS)


def test_the_next_window_holds_the_earlier_runs_with_their_curves(qtbot, make_window):
    first = make_window(max_steps=300)
    train_to_the_end(qtbot, first)
    record = first.workbench.run_log.runs[0]
    qtbot.waitUntil(lambda: record.number is not None)
    weight = first.workbench.runs_tab.smoothing.weight
    curve = record.curve.smooth.xy(weight)
    close(qtbot, first)

    second = make_window(max_steps=200)
    wb = second.workbench
    past = next(r for r in wb.run_log.runs if r.number == record.number)
    assert (past.name, past.status, past.steps) == ("max_steps 300", "finished", 300)
    assert (past.train_loss, past.val_loss) == (record.train_loss, record.val_loss)
    assert cell(second, 0, "run") == "" and cell(second, 1, "run") == str(record.number)   # newest first
    second.tabs.setCurrentWidget(wb.runs_tab)
    wb.runs_tab.select([past.run_id])
    assert wb.runs_tab.overlaid == [past.run_id] and past.curve.n == 300
    assert wb.runs_tab.smoothing.weight == weight
    drawn = wb.runs_tab.curves[0].getData()
    np.testing.assert_allclose(drawn[1], curve[1], rtol=1e-5)     # the same curve, read back from the store
    assert len(wb.runs_tab.legend.items) == 1


def test_a_stored_run_opens_again_and_evaluate_fills_its_row(qtbot, make_window):
    first = make_window(max_steps=200)
    train_to_the_end(qtbot, first)
    record = first.workbench.run_log.runs[0]
    # the panel shows what the row measured when the run finished
    qtbot.waitUntil(lambda: first.evaluation.labels["val"].text() == cell(first, 0, "val"))
    assert first.evaluation.labels["train"].text() == f"{record.train_loss:.4f}"
    qtbot.waitUntil(lambda: RunStore.open_default().load_weights(record.number) is not None, timeout=WAIT_MS)
    close(qtbot, first)

    second = make_window()
    wb = second.workbench
    past = next(r for r in wb.run_log.runs if r.number == record.number)
    wb.runs_tab.select([past.run_id])
    with qtbot.waitSignal(second.run_started, timeout=WAIT_MS):
        wb.open_run_action.trigger()
    wait_status(qtbot, second, lambda s: s.step == 200)
    opened = wb.current.record
    assert opened.name == f"max_steps 200 · from run {record.number}" and second.run_info.cfg.max_steps == 200
    assert opened.train_loss is None
    second.evaluate_action.trigger()
    qtbot.waitUntil(lambda: opened.val_loss is not None, timeout=WAIT_MS)
    assert (opened.train_loss, opened.val_loss) == (record.train_loss, record.val_loss)
    assert second.evaluation.labels["val"].text() == f"{opened.val_loss:.4f}" == cell(second, 0, "val")


def test_the_learning_rate_column_shows_the_rate_in_effect(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.control.apply_live({"lr": 0.25})
    wait_idle(qtbot, window)
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 200)
    qtbot.waitUntil(lambda: cell(window, 0, "lr") == "0.25")
    record = window.workbench.run_log.runs[0]
    window.close()
    store = RunStore.open_default()
    assert store.live_changes(record.number) == [(100, "lr", 0.1, 0.25)]
    assert store.get_run(record.number).lr == 0.25 and store.get_run(record.number).steps == 200


def test_the_filter_and_the_reference_rows(qtbot, window):
    wb = window.workbench
    names = [r.name for r in wb.run_log.references]
    assert "seed notebook (reference)" in names and "part 5 hierarchical net (reference)" in names
    seed = next(r for r in wb.run_log.references if r.name == "seed notebook (reference)")
    assert (seed.train_loss, seed.val_loss) == (2.0940, 2.1244)
    model = wb.runs_model
    row = model.row_of(seed.run_id)
    assert not model.flags(model.index(row, COLUMNS.index("name"))) & model.flags(model.index(row, 0)).ItemIsEditable
    wb.runs_tab.filter.setText("part 4")
    assert [wb.histories[i].record.name for i in wb.runs_tab.shown_run_ids()] == ["part 4 manual backprop (reference)"]
    wb.runs_tab.filter.setText("")
    assert len(wb.runs_tab.shown_run_ids()) == model.rowCount()
    wb.runs_tab.select([seed.run_id])
    wb.delete_selected_runs()
    assert seed in wb.run_log.references and "cannot be deleted" in window.message_bar.text


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
