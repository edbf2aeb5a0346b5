"""A sweep spec: a small TOML file naming what to vary, how to search and how long each trial trains.

    name = "lr-and-width"
    method = "grid"            # or "random", "tpe" (then `trials = N`)
    steps = 20000              # per trial
    metric = "val"             # the split whose loss at the end of a trial is the result
    pruning = "none"           # or "median", "asha": the metric is measured every report_every steps
    [base]                     # a setup file's keys, or preset = "NAME"
    data = "names.txt"         # relative to the spec's folder
    [params]
    lr = [0.03, 0.1, 0.3]                       # a list is a choice
    n_hidden = { low = 50, high = 400 }         # a table is a range (ints stay ints)
    w1_gain = { low = 0.5, high = 3, log = true }

Everything is checked against core.config (the one LIMITS table, Config.validate); a problem is
refused with one line that names the key.
"""
from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from core.config import LIMITS, MAX_SETUP_BYTES, Config, ConfigError
from core.files import read_limited
from core.presets import preset_config

METHODS = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "asha")
METRICS = ("val", "train")
MAX_GRID = 10_000
MAX_TRIALS = 10_000
TOP_KEYS = ("name", "method", "trials", "steps", "metric", "pruning", "report_every", "sampler_seed", "base",
            "params")
RANGE_KEYS = ("low", "high", "log")
# settings a trial may vary: every Config field but the word list, the device and the length
SWEEPABLE = tuple(f.name for f in fields(Config) if f.name not in ("data", "device", "max_steps"))


class SpecError(ConfigError):
    """A sweep spec that cannot run, in one line that names the key."""


@dataclass(frozen=True)
class Choice:
    values: tuple

    @property
    def log(self) -> bool:
        return False


@dataclass(frozen=True)
class Range:
    low: int | float
    high: int | float
    log: bool = False

    @property
    def is_int(self) -> bool:
        return isinstance(self.low, int)


Param = Choice | Range


@dataclass(frozen=True)
class SweepSpec:
    name: str
    method: str
    steps: int
    base: Config
    params: dict[str, Param]
    trials: int
    metric: str = "val"
    pruning: str = "none"
    report_every: int = 0
    sampler_seed: int = 0
    base_keys: dict = field(default_factory=dict)    # [base] as written (for saving the spec again)

    def config_for(self, values: dict) -> Config:
        """The setup of the trial that takes `values` (ConfigError if it can never run)."""
        return self.base.replace(**values, max_steps=self.steps).validate()

    @property
    def grid_size(self) -> int:
        return math.prod(len(p.values) for p in self.params.values() if isinstance(p, Choice))

    def to_toml(self) -> str:
        lines = [f"name = {json.dumps(self.name)}", f"method = {json.dumps(self.method)}"]
        if self.method != "grid":
            lines.append(f"trials = {self.trials}")
        lines += [f"steps = {self.steps}", f"metric = {json.dumps(self.metric)}",
                  f"pruning = {json.dumps(self.pruning)}", f"report_every = {self.report_every}"]
        if self.sampler_seed:
            lines.append(f"sampler_seed = {self.sampler_seed}")
        lines += ["", "[base]"] + [f"{k} = {_toml_value(v)}" for k, v in self.base_keys.items()]
        lines += ["", "[params]"]
        for name, p in self.params.items():
            if isinstance(p, Choice):
                lines.append(f"{name} = [{', '.join(_toml_value(v) for v in p.values)}]")
            else:
                log = ", log = true" if p.log else ""
                lines.append(f"{name} = {{ low = {_toml_value(p.low)}, high = {_toml_value(p.high)}{log} }}")
        return "\n".join(lines) + "\n"


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return json.dumps(v)


def load_spec(path: str | Path) -> SweepSpec:
    path = Path(path)
    try:
        text = read_limited(path, MAX_SETUP_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise SpecError(f"No such sweep spec: {path}") from None
    except IsADirectoryError:
        raise SpecError(f"{path} is a folder, not a sweep spec.") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SpecError(f"Cannot read the sweep spec {path}: {e}") from None
    return parse_spec(text, folder=path.resolve().parent, source=path.name)


def parse_spec(text: str, folder: Path | None = None, source: str = "the sweep spec") -> SweepSpec:
    """The spec in `text`; relative paths in [base] are relative to `folder`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{source} is not valid TOML: {e}") from None
    return spec_from_dict(raw, folder)


def spec_from_dict(raw: dict, folder: Path | None = None) -> SweepSpec:
    unknown = [k for k in raw if k not in TOP_KEYS]
    if unknown:
        raise SpecError(f"Unknown key {unknown[0]!r} in the sweep spec: use {', '.join(TOP_KEYS)}.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise SpecError("name: the sweep needs a name of 1 to 100 characters (name = \"lr-and-width\").")
    method = _one_of(raw, "method", METHODS, None)
    metric = _one_of(raw, "metric", METRICS, "val")
    pruning = _one_of(raw, "pruning", PRUNERS, "none")
    steps = _limited(raw, "steps", "max_steps")
    report_every = raw.get("report_every", max(1, steps // 10))
    _whole(report_every, "report_every", 1, steps)
    sampler_seed = raw.get("sampler_seed", 0)
    _whole(sampler_seed, "sampler_seed", 0, 2**32 - 1)
    base_keys = dict(_table(raw, "base"))
    base = _base_config(base_keys, folder)
    params = _params(_table(raw, "params"), base)
    if not params:
        raise SpecError("params: name at least one setting to vary (lr = [0.03, 0.1]).")
    if method == "grid":
        ranges = [k for k, p in params.items() if isinstance(p, Range)]
        if ranges:
            raise SpecError(f"params.{ranges[0]}: a grid needs a list of values, not a range "
                            "(use method = \"random\" or \"tpe\" for ranges).")
        if "trials" in raw:
            raise SpecError("trials: a grid runs every combination once; leave trials out.")
        size = math.prod(len(p.values) for p in params.values())
        if size > MAX_GRID:
            raise SpecError(f"params: the grid has {size:,} combinations; at most {MAX_GRID:,} are allowed.")
        trials = size
    else:
        if "trials" not in raw:
            raise SpecError(f"trials: method \"{method}\" needs the number of trials (trials = 20).")
        trials = raw["trials"]
        _whole(trials, "trials", 1, MAX_TRIALS)
    spec = SweepSpec(name=name.strip(), method=method, steps=steps, base=base, params=params, trials=trials,
                     metric=metric, pruning=pruning, report_every=report_every, sampler_seed=sampler_seed,
                     base_keys=base_keys)
    _check_corners(spec)
    return spec


def _table(raw: dict, key: str) -> dict:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise SpecError(f"{key}: must be a table ([{key}]), not {value!r}.")
    return value


def _one_of(raw: dict, key: str, options: tuple, default):
    value = raw.get(key, default)
    if value not in options:
        shown = " | ".join(f'"{o}"' for o in options)
        raise SpecError(f"{key}: must be {shown}" + (f", not {value!r}." if key in raw else "."))
    return value


def _whole(value, key: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(f"{key}: must be a whole number from {low:,} to {high:,}, not {value!r}.")


def _limited(raw: dict, key: str, limit: str):
    if key not in raw:
        raise SpecError(f"{key}: the sweep spec needs it ({key} = 20000).")
    problem = LIMITS[limit].problem(raw[key])
    if problem:
        raise SpecError(f"{key}: {problem}.")
    return raw[key]


def _base_config(keys: dict, folder: Path | None) -> Config:
    values = dict(keys)
    preset = values.pop("preset", None)
    try:
        cfg = preset_config(preset) if preset is not None else Config()
    except ConfigError as e:
        raise SpecError(f"base.preset: {e}") from None
    data = values.get("data")
    if isinstance(data, str) and folder is not None and not data.startswith("builtin") and \
            not Path(data).expanduser().is_absolute():
        values["data"] = str(folder / data)
    elif isinstance(data, str):
        values["data"] = str(Path(data).expanduser()) if not data.startswith("builtin") else data
    for key in values:
        if key not in Config.__dataclass_fields__:
            raise SpecError(f"Unknown key 'base.{key}': use a setup file's keys or preset = \"NAME\".")
    try:
        return Config.from_dict({**cfg.to_dict(), **values}).validate()
    except ConfigError as e:
        raise SpecError(f"base: {e}") from None


def _params(table: dict, base: Config) -> dict[str, Param]:
    params: dict[str, Param] = {}
    for name, value in table.items():
        if name not in SWEEPABLE:
            raise SpecError(f"Unknown key 'params.{name}': a sweep varies one of {', '.join(SWEEPABLE)}.")
        if isinstance(value, list):
            params[name] = _choice(name, value, base)
        elif isinstance(value, dict):
            params[name] = _range(name, value)
        else:
            raise SpecError(f"params.{name}: a list of values ([0.03, 0.1]) or a range "
                            f"({{ low = 0.01, high = 1.0 }}), not {value!r}.")
    return params


def _choice(name: str, values: list, base: Config) -> Choice:
    if not values:
        raise SpecError(f"params.{name}: the choice is empty; give at least one value.")
    typed = []
    for v in values:
        try:
            cfg = Config.from_dict({**base.to_dict(), name: v})
            typed.append(getattr(cfg, name))
            if name in LIMITS and (problem := LIMITS[name].problem(typed[-1])):
                raise ConfigError(f"each value {problem}")
        except ConfigError as e:
            raise SpecError(f"params.{name}: {str(e).rstrip('.')}.") from None
    if len(set(map(repr, typed))) != len(typed):
        raise SpecError(f"params.{name}: a value appears twice in the choice.")
    return Choice(tuple(typed))


def _range(name: str, table: dict) -> Range:
    unknown = [k for k in table if k not in RANGE_KEYS]
    if unknown:
        raise SpecError(f"Unknown key 'params.{name}.{unknown[0]}': a range takes low, high and log.")
    if name not in LIMITS:
        raise SpecError(f"params.{name}: a range needs a number setting; give a list of values instead.")
    limit = LIMITS[name]
    if "low" not in table or "high" not in table:
        raise SpecError(f"params.{name}: a range needs both low and high.")
    low, high, log = table["low"], table["high"], table.get("log", False)
    if not isinstance(log, bool):
        raise SpecError(f"params.{name}.log: must be true or false, not {log!r}.")
    for key, v in (("low", low), ("high", high)):
        if limit.kind is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if (problem := limit.problem(v)) is not None:
            raise SpecError(f"params.{name}.{key}: {problem}.")
        if key == "low":
            low = v
        else:
            high = v
    if low > high:
        raise SpecError(f"params.{name}: low ({low:g}) is above high ({high:g}).")
    if log and low <= 0:
        raise SpecError(f"params.{name}: a log range needs low > 0 (got {low:g}).")
    return Range(low, high, log)


def _check_corners(spec: SweepSpec) -> None:
    """Every trial of a grid, or both ends of every range, must make a setup that can run."""
    import itertools
    names = list(spec.params)
    if spec.method == "grid":
        combos = itertools.product(*(spec.params[n].values for n in names))
    else:
        ends = [p.values if isinstance(p, Choice) else (p.low, p.high) for p in spec.params.values()]
        combos = itertools.islice(itertools.product(*ends), MAX_GRID)
    for combo in combos:
        values = dict(zip(names, combo, strict=True))
        try:
            spec.config_for(values)
        except ConfigError as e:
            shown = ", ".join(f"{k} = {v!r}" for k, v in values.items())
            raise SpecError(f"params: the trial {shown} cannot run: {e}") from None
