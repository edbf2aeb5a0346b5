"""Colours and small helpers shared by the plots (matplotlib's defaults, as in the lecture)."""
from __future__ import annotations

import pyqtgraph as pg

BLUE = (31, 119, 180)
ORANGE = (255, 127, 14)
RED = (214, 39, 40)
GREY = (120, 120, 120)


def configure_pyqtgraph() -> None:
    """Before any plot is made: white background, no antialiasing (cheaper frames)."""
    pg.setConfigOptions(background="w", foreground="k", antialias=False)


def html_title(*parts: tuple[str, tuple | None]) -> str:
    """A title whose parts may be coloured, e.g. to name a plot's curves without a legend
    (a legend over the data would be repainted with it every frame)."""
    return " ".join(f"<span style='color: rgb{c}'>{t}</span>" if c else t for t, c in parts)


class Hysteresis:
    """An upper bound for an axis that rises at once but falls only after the data has
    stayed well below it for a while, so the axis text is not redrawn every frame."""

    def __init__(self, shrink_below: float = 0.4, patience: int = 30, headroom: float = 1.15,
                 floor: float = 1.0):
        self.top = 0.0
        self.shrink_below, self.patience, self.headroom, self.floor = shrink_below, patience, headroom, floor
        self._low_frames = 0

    def update(self, peak: float) -> bool:
        """Feed the current peak; True when `top` changed."""
        if peak > self.top or self.top == 0.0:
            return self._set(peak)
        if peak < self.shrink_below * self.top:
            self._low_frames += 1
            if self._low_frames >= self.patience:
                return self._set(peak)
        else:
            self._low_frames = 0
        return False

    def _set(self, peak: float) -> bool:
        top, self._low_frames = max(peak * self.headroom, self.floor), 0
        changed, self.top = top != self.top, top
        return changed

    def reset(self) -> None:
        self.top, self._low_frames = 0.0, 0
