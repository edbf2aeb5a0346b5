"""With the seed settings the window trains exactly as the headless Trainer (and the CLI)."""
import numpy as np
import torch
from window_helpers import inspect, wait_status

from core.config import Config
from core.data import Dataset
from core.training.trainer import Trainer

STEPS = 1000


def test_first_thousand_losses_equal_the_headless_trainers(qtbot, make_window, names_path):
    window = make_window(data=str(names_path), max_steps=STEPS)
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.done, timeout=60_000)
    def check():
        assert window.live.loss_plot.curve.n == STEPS
    qtbot.waitUntil(check)

    torch.set_num_threads(1)
    cfg = Config(data=str(names_path), max_steps=STEPS)
    headless = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    expected = np.array(headless.train(STEPS), dtype=np.float32)

    window_losses = inspect(qtbot, window).losses
    np.testing.assert_array_equal(window_losses, expected)
    _, plotted = window.live.loss_plot.curve.step_xy()      # what the plot drew: log10 of each step
    np.testing.assert_array_equal(plotted, np.log10(expected))
