"""What a run is called: the seed notebook's settings "seed notebook", a preset's own settings
its name, anything else the settings that differ from the nearest of those ("lr 0.2,
n_hidden 100", "Lecture: deep net, no batchnorm")."""
from __future__ import annotations

from fractions import Fraction

from core.config import Config
from core.presets import CATALOGUE, preset_config

# what a run's name ignores: where it trains, not what it trains
_IGNORED = ("data", "device", "engine")


def _setting_text(name: str, value) -> str:
    if isinstance(value, bool):
        return name if value else f"no {name}"
    if name == "w1_gain":
        f = Fraction(value).limit_denominator(12)
        return f"gain {f.numerator}/{f.denominator}" if f.denominator > 1 and float(f) == value \
            else f"gain {value:g}"
    if isinstance(value, float):
        return f"{name} {value:g}"
    if value is None:
        return f"{name} Kaiming" if name == "w1_scale" else f"{name} none"
    return f"{name} {value:,}" if isinstance(value, int) else f"{name} {value}"


def _differences(cfg: Config, base: Config) -> list[str]:
    a, b = cfg.to_dict(), base.to_dict()
    return [_setting_text(k, a[k]) for k in a if k not in _IGNORED and a[k] != b[k]]


def run_name(cfg: Config) -> str:
    best_label, best = "", None
    for name, preset in CATALOGUE.items():
        diff = _differences(cfg, preset_config(name, Config()))
        if best is None or len(diff) < len(best):
            best_label, best = ("seed notebook" if name == "seed" else preset.label), diff
    if not best:
        return best_label
    if best_label == "seed notebook":
        return ", ".join(best)
    return ", ".join([best_label, *best])
