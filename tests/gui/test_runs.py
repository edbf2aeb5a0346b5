"""The runs table: every run recorded with its setup, curve and final losses (the CLI's
numbers), newest first above the lectures' reference rows, overlays of selected runs, delete
(asked first), and CSV / JSON export."""
import csv
import io
import json

from window_helpers import wait_status

from core.cli import build_parser, run
from gui.workbench.runs import COLUMNS


def cli_losses(*argv):
    out = io.StringIO()
    assert run(build_parser().parse_args(["--headless", "--samples", "0", *argv]), out=out) == 0
    lines = dict(line.split() for line in out.getvalue().splitlines() if line.startswith(("train", "val")))
    return float(lines["train"]), float(lines["val"])


def cell(window, row, column):
    model = window.workbench.runs.runs_model
    return model.data(model.index(row, COLUMNS.index(column)))


def test_a_finished_run_appears_in_the_table_with_the_clis_numbers(qtbot, make_window, words_path):
    window = make_window(max_steps=300)
    wb = window.workbench
    references = len(wb.runs.run_log.references)
    assert references > 0 and wb.runs.runs_model.rowCount() == 1 + references and cell(window, 0, "steps") == "0"
    assert cell(window, 0, "run") == ""                    # a number only once it has taken a step
    with qtbot.waitSignal(wb.runs.evaluated, timeout=20_000):
        window.start_action.trigger()
        wait_status(qtbot, window, lambda s: s.done)
    record = wb.runs.run_log.runs[0]
    train, val = cli_losses("--data", str(words_path), "--steps", "300")
    assert (record.train_loss, record.val_loss) == (train, val)           # exactly the CLI's
    assert record.steps == 300 and record.config == window.run.info.cfg
    assert cell(window, 0, "train") == f"{train:.4f}" and cell(window, 0, "val") == f"{val:.4f}"
    assert cell(window, 0, "steps") == "300" and cell(window, 0, "batchnorm") == "✓"
    assert cell(window, 0, "name") == "max_steps 300" and cell(window, 0, "status") == "finished"
    def check():
        assert record.number is not None and cell(window, 0, "run") == str(record.number)
    qtbot.waitUntil(check)
    assert cell(window, 1, "kind") == "reference"
    x, _ = record.curve.xy()
    assert len(x) == 300


def test_selected_runs_overlay_their_curves_and_can_be_deleted_and_exported(qtbot, window, tmp_path):
    wb = window.workbench
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.setup.init.boxes["fix_w2"].setChecked(False)
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.reset_action.trigger()
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    def check():
        assert wb.runs.current.record.steps == 100
    qtbot.waitUntil(check)
    assert [r.steps for r in wb.runs.run_log.runs] == [100, 100]
    one, two = (r.run_id for r in wb.runs.run_log.runs)
    window.tabs.setCurrentWidget(wb.runs.runs_tab)

    wb.runs.runs_tab.table.selectAll()             # the reference rows too: they have no curve to draw
    drawn = [c for c in wb.runs.runs_tab.curves if c.getData()[0] is not None and len(c.getData()[0])]
    assert len(drawn) == 2 and wb.runs.runs_tab.overlaid == [two, one]      # newest first
    weight = wb.runs.runs_tab.smoothing.weight
    newer, older = (h.smooth.xy(weight) for h in (wb.runs.histories[two], wb.runs.histories[one]))
    assert (drawn[0].getData()[1] == newer[1]).all() and (drawn[1].getData()[1] == older[1]).all()
    assert drawn[1].getData()[1][0] < drawn[0].getData()[1][0]   # W2 unscaled: confidently wrong at first
    assert len(wb.runs.runs_tab.legend.items) == 2

    def check():  # once in the run store
        assert all(r.number is not None for r in wb.runs.run_log.runs)
    qtbot.waitUntil(check)
    wb.runs.export_runs_csv(tmp_path / "runs.csv")
    rows = list(csv.DictReader(open(tmp_path / "runs.csv")))
    numbers = [r.number for r in wb.runs.run_log.runs]
    assert [r["run"] for r in rows] == [str(n) for n in numbers] and numbers[1] == numbers[0] + 1
    assert rows[1]["fix_w2"] == "False"
    wb.runs.runs_tab.select([one])
    assert wb.runs.runs_tab.selected_run_ids() == [one]
    wb.runs.export_run_json(one, tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["steps"] == 100 and data["config"]["fix_w2"] is True and len(data["loss_curve"]["step"]) == 100

    asked = []
    wb.runs.confirm = lambda question: asked.append(question) or False     # "Cancel"
    wb.delete_runs_action.trigger()
    assert len(asked) == 1 and "weights" in asked[0] and [r.run_id for r in wb.runs.run_log.runs] == [one, two]
    wb.runs.confirm = lambda question: True
    wb.delete_runs_action.trigger()
    runs_left = [r.run_id for r in wb.runs.run_log.runs]
    assert runs_left == [two] and wb.runs.runs_model.rowCount() == 1 + len(wb.runs.run_log.references)
    wb.runs.runs_tab.select([two])                               # the run in the window stays
    wb.runs.delete_selected_runs()
    assert [r.run_id for r in wb.runs.run_log.runs] == [two] and "cannot be deleted" in window.message_bar.text


def test_a_run_can_be_renamed_in_the_table(qtbot, window):
    model = window.workbench.runs.runs_model
    index = model.index(0, COLUMNS.index("name"))
    assert model.flags(index) & model.flags(index).ItemIsEditable
    assert model.setData(index, "my baseline")
    assert window.workbench.runs.run_log.runs[0].name == "my baseline"


def test_a_model_that_never_trained_leaves_no_row(qtbot, window):
    wb = window.workbench
    for preset in ("original", "fix softmax"):
        with qtbot.waitSignal(window.run.run_started, timeout=10_000):
            window.control.apply_preset(preset)
    assert [r.name for r in wb.runs.run_log.runs] == ["Fix softmax"]
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)
    def check():
        assert wb.runs.current.record.steps == 1
    qtbot.waitUntil(check)
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.reset_action.trigger()
    assert [r.steps for r in wb.runs.run_log.runs] == [1, 0]
