"""The notebook's loss log: four stages of 200,000 steps each (about six minutes)."""
import pytest

from core.config import Config
from core.presets import NOTEBOOK_LOSS_LOG
from core.runs.loss_log import run_loss_log
from core.runs.records import RunLog


@pytest.mark.slow
def test_loss_log_within_a_hundredth_of_the_notebook(names_dataset, names_path):
    records = run_loss_log(Config(data=str(names_path)), names_dataset, RunLog())
    for rec in records:
        stage = rec.name.removeprefix("loss log: ")
        assert rec.val_loss == pytest.approx(NOTEBOOK_LOSS_LOG[stage][1], abs=0.01), stage


@pytest.mark.slow
def test_fast_engine_loss_log_within_half_a_hundredth_of_the_exact_engine(names_dataset, names_path):
    """The loss-log table from the fast engine and from the exact engine, stage by stage."""
    tables = {}
    for engine in ("fast", "exact"):
        records = run_loss_log(Config(data=str(names_path), engine=engine), names_dataset, RunLog())
        tables[engine] = {rec.name: (rec.train_loss, rec.val_loss) for rec in records}
    assert tables["fast"].keys() == tables["exact"].keys() and len(tables["fast"]) == 4
    for stage, (train, val) in tables["fast"].items():
        exact_train, exact_val = tables["exact"][stage]
        assert train == pytest.approx(exact_train, abs=0.005), stage
        assert val == pytest.approx(exact_val, abs=0.005), stage
