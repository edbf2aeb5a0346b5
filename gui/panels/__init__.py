"""The side panels: run setup on the left, samples and evaluation on the right."""
from gui.panels.evaluate_panel import EvaluatePanel
from gui.panels.samples_panel import SamplesPanel
from gui.panels.setup_panel import SetupPanel

__all__ = ["EvaluatePanel", "SamplesPanel", "SetupPanel"]
