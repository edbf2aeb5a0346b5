"""makemore part 5's full run: 200,000 steps of the 76K net on the fast engine (a minute or two)."""
import pytest

from core.data import Dataset
from core.presets import PART5_LOG, preset_config
from core.training.fast_kernel_binding import available
from core.training.trainer import Trainer


@pytest.mark.slow
@pytest.mark.skipif(not available(), reason="numba is not installed")
def test_full_wavenet_run_on_the_fast_engine_lands_within_a_hundredth_of_the_notebooks_val(names_path):
    cfg = preset_config("wavenet").replace(data=str(names_path), engine="fast")
    trainer = Trainer(cfg, Dataset.load(str(names_path), cfg.block_size))
    assert trainer.engine_name == "fast"
    trainer.train(cfg.max_steps)
    assert trainer.step == 200_000
    train, val = trainer.split_loss("train"), trainer.split_loss("val")
    print(f"\nwavenet, 200,000 steps on the fast engine: train {train:.4f}, val {val:.4f}")
    assert val == pytest.approx(PART5_LOG["wavenet"].val, abs=0.01)   # 1.9937
    assert train == pytest.approx(PART5_LOG["wavenet"].train, abs=0.02)
