"""The axes a sweep is drawn on (parallel coordinates, val against each parameter): one per
parameter and one for the metric, each mapping its values to [0, 1] (log axes for log ranges,
evenly spaced categories for choices that are not all numbers)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.sweeps.spec import Choice, SweepSpec


@dataclass(frozen=True)
class Axis:
    name: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    categories: tuple | None = None      # choices shown as evenly spaced labels
    marks: tuple | None = None           # the values of a numeric choice: its ticks

    def position(self, value) -> float | None:
        """Where value sits on the axis, 0 (low) to 1 (high); None for a value it cannot show."""
        if value is None:
            return None
        if self.categories is not None:
            keys = [repr(c) for c in self.categories]
            if repr(value) not in keys:
                return None
            return 0.5 if len(keys) == 1 else keys.index(repr(value)) / (len(keys) - 1)
        v = float(value)
        if not math.isfinite(v) or (self.log and v <= 0):
            return None
        lo, hi, v = (math.log10(self.low), math.log10(self.high), math.log10(v)) if self.log else \
            (self.low, self.high, v)
        return 0.5 if hi == lo else (v - lo) / (hi - lo)

    def value_at(self, position: float):
        """The value at a position (the nearest category for a categorical axis)."""
        if self.categories is not None:
            n = len(self.categories)
            return self.categories[min(n - 1, max(0, round(position * (n - 1))))]
        if self.log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            return 10 ** (lo + position * (hi - lo))
        return self.low + position * (self.high - self.low)

    def ticks(self) -> list[tuple[float, str]]:
        if self.categories is not None:
            return [(self.position(c), _label(c)) for c in self.categories]
        if self.marks is not None:
            return [(self.position(v), _label(v)) for v in self.marks]
        return [(p, _label(self.value_at(p))) for p in (0.0, 0.5, 1.0)]


def _label(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def param_axes(spec: SweepSpec) -> list[Axis]:
    out = []
    for name, p in spec.params.items():
        if isinstance(p, Choice):
            numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in p.values)
            if numbers and len(p.values) > 1:
                lo, hi = min(p.values), max(p.values)
                log = lo > 0 and hi / lo >= 10          # a choice spanning a decade or more reads best on a log axis
                out.append(Axis(name, float(lo), float(hi), log, marks=tuple(sorted(p.values))))
            else:
                out.append(Axis(name, categories=tuple(p.values)))
        else:
            out.append(Axis(name, float(p.low), float(p.high), p.log))
    return out


def metric_axis(name: str, values: list[float | None]) -> Axis:
    """The metric's axis over the values seen so far (a unit range before there are two)."""
    seen = [v for v in values if v is not None and math.isfinite(v)]
    if not seen:
        return Axis(name, 0.0, 1.0)
    lo, hi = min(seen), max(seen)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    return Axis(name, lo, hi)
