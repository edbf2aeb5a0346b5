"""The notebook's loss log: four stages of 200,000 steps each (about six minutes)."""
import pytest

from core.config import Config
from core.experiment import run_loss_log
from core.presets import NOTEBOOK_LOSS_LOG
from core.runs import RunLog


@pytest.mark.slow
def test_loss_log_within_a_hundredth_of_the_notebook(names_dataset, names_path):
    records = run_loss_log(Config(data=str(names_path)), names_dataset, RunLog())
    for rec in records:
        stage = rec.name.removeprefix("loss log: ")
        assert rec.val_loss == pytest.approx(NOTEBOOK_LOSS_LOG[stage][1], abs=0.01), stage
