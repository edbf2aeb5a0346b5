"""The runs table's model keeps Qt's model contract (pytest-qt's qtmodeltester) through
adding, training, renaming and deleting runs."""
import numpy as np

from core.config import Config
from core.runs.records import RunLog
from gui.workbench.runs import COLUMNS, RunsModel


def test_the_runs_model_passes_qts_model_checks(qtmodeltester):
    histories = {}
    model = RunsModel(RunLog(), histories)
    qtmodeltester.check(model)
    for n_hidden in (10, 20, 30):
        history = model.add(Config(n_hidden=n_hidden))
        history.add_losses(np.linspace(3.3, 2.0, 50, dtype=np.float32))
        history.set_split_losses(2.1, 2.2, at_step=50)
        model.refresh(history.run_id)
    assert model.rowCount() == 3 and set(histories) == {1, 2, 3}
    assert [model.run_id_at(r) for r in range(model.rowCount())] == [3, 2, 1]      # newest first
    assert model.setData(model.index(1, COLUMNS.index("name")), "wide")
    qtmodeltester.check(model)
    model.delete([2])
    assert [model.run_id_at(r) for r in range(model.rowCount())] == [3, 1]
    qtmodeltester.check(model)


def test_the_windows_runs_model_passes_them_too(qtbot, qtmodeltester, window):
    window.step100_action.trigger()
    def check():
        assert window.workbench.runs.current.record.steps == 100
    qtbot.waitUntil(check)
    window.reset_action.trigger()
    def check():
        assert len(window.workbench.runs.run_log.runs) == 2
    qtbot.waitUntil(check)
    qtmodeltester.check(window.workbench.runs.runs_model)
