"""The Sweeps tab: build or open a sweep spec, run it off the window's thread, and watch its
trials in a table, parallel coordinates, the metric by parameter, curves and importance."""
from gui.workbench.sweeps.controller import SweepsController

__all__ = ["SweepsController"]
