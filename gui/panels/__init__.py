"""The side panels: run setup on the left, samples and evaluation on the right."""
from .evaluate_panel import EvaluatePanel
from .samples_panel import SamplesPanel
from .setup_panel import SetupPanel

__all__ = ["EvaluatePanel", "SamplesPanel", "SetupPanel"]
