"""The centre plots. Each is a pyqtgraph PlotWidget whose `plot_item` is the PlotItem to export.

Items are made once and updated with setData/setImage; view ranges are set by hand, and
only when they must change, because auto-ranging every frame costs more than the drawing.
(PlotWidget copies some PlotItem methods, `clear` among them, onto itself: ours are named
`clear_run` so they are not shadowed.)
"""
from gui.plots.histogram_plot import HistogramPlot
from gui.plots.loss_plot import LossPlot
from gui.plots.saturation_plot import SaturationPlot

__all__ = ["HistogramPlot", "LossPlot", "SaturationPlot"]
