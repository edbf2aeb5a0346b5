"""Beyond the notebook (issue 6): diagnostics, look back, smoothing, calibration, runs,
the loss-log experiment, setup files, checkpoints and exports. See controller.Workbench."""
from gui.workbench.controller import Workbench

__all__ = ["Workbench"]
