"""One flat, serialisable description of a run (model, init choices, training)."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields

# Fields that change the shape or the initial weights of the model: applied on Reset.
ARCH_FIELDS = frozenset({
    "data", "n_embed", "n_hidden", "block_size", "seed", "batchnorm", "bn_momentum",
    "fix_w2", "fix_b2", "fix_w1", "fix_b1", "w1_gain", "w1_scale", "device",
    "n_layers", "activation", "layer_style",
})
# Fields read afresh before every step: applied live.
LIVE_FIELDS = frozenset({"lr", "lr_decay_step", "lr_after", "batch_size", "max_steps"})

# Memory the model's parameters and activations may take before a config is refused.
MAX_PARAMETERS = 50_000_000
# depth: hidden blocks Linear -> (BatchNorm) -> activation
MAX_LAYERS = 8
ACTIVATIONS = ("tanh", "none")
LAYER_STYLES = ("seed", "lecture")
MAX_GAIN = 100.0


class ConfigError(ValueError):
    """A setting that can never work, with a message meant for a person."""


@dataclass(frozen=True)
class Config:
    # data: a path to a word list, or "builtin" / "builtin:YEAR" for the bundled US names
    data: str = "builtin"
    # model
    n_embed: int = 10
    n_hidden: int = 200
    block_size: int = 3
    seed: int = 2147483647
    batchnorm: bool = True
    bn_momentum: float = 0.001
    # init fixes from the lecture (each reproduces one line of the notebook)
    fix_w2: bool = True    # W2 * 0.01: logits near zero, softmax not confidently wrong
    fix_b2: bool = True    # b2 * 0
    fix_w1: bool = True    # W1 * gain / sqrt(fan_in) (Kaiming), or * w1_scale when that is set
    fix_b1: bool = True    # b1 * 0.01
    w1_gain: float = 5 / 3
    w1_scale: float | None = None  # a plain factor for W1 (the lecture's 0.2) instead of Kaiming
    # depth: n_layers hidden blocks Linear -> (BatchNorm) -> activation, w1_gain on each.
    # layer_style "seed": the seed notebook's layers (biases drawn and scaled by the fixes, BN
    # divides by the batch std, no eps); "lecture": the lecture's Linear/BatchNorm1d (zero
    # biases, none before a BN, BN on the output too, batch var + 1e-5; fix_w2 makes the
    # output less confident: last BN gamma x 0.1, or the last weight x 0.1 without BN).
    n_layers: int = 1
    activation: str = "tanh"   # or "none": the lecture's linear-only experiment
    layer_style: str = "seed"
    device: str = "cpu"
    # training
    max_steps: int = 100_000
    batch_size: int = 32
    lr: float = 0.1
    lr_decay_step: int = 50_000
    lr_after: float = 0.01

    def replace(self, **changes) -> Config:
        return dataclasses.replace(self, **changes)

    def lr_at(self, step: int) -> float:
        return self.lr if step < self.lr_decay_step else self.lr_after

    def validate(self) -> Config:
        """Refuse values that can never work; return self so calls can chain."""
        positive = {"n_embed": "embedding size", "n_hidden": "hidden layer size",
                    "block_size": "context length (block size)", "batch_size": "batch size",
                    "max_steps": "number of steps", "n_layers": "number of hidden layers"}
        for name, words in positive.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"The {words} must be a whole number, not {value!r}.")
            if value < 1:
                raise ConfigError(f"The {words} must be at least 1 (got {value}).")
        if self.batch_size < 2 and self.batchnorm:
            raise ConfigError("BatchNorm needs a batch of at least 2 examples "
                              "(the std of one example is undefined).")
        for name in ("lr", "lr_after"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
                raise ConfigError(f"The learning rate must be a number, not {value!r}.")
            if value <= 0:
                raise ConfigError(f"The learning rate must be greater than 0 (got {value:g}).")
            if value > 1e3:
                raise ConfigError(f"A learning rate of {value:g} is far too large "
                                  "(at most 1000); the loss would explode at once.")
        if self.lr_decay_step < 0:
            raise ConfigError("The decay step cannot be negative.")
        if not 0 < self.bn_momentum <= 1:
            raise ConfigError("The BatchNorm momentum must be in (0, 1].")
        if self.w1_scale is not None and not self.w1_scale > 0:
            raise ConfigError("The W1 scale must be greater than 0.")
        if not self.w1_gain > 0:
            raise ConfigError("The gain must be greater than 0.")
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"Unknown device {self.device!r}: use 'cpu' or 'cuda'.")
        if self.n_layers > MAX_LAYERS:
            raise ConfigError(f"The number of hidden layers must be at most {MAX_LAYERS} (got {self.n_layers}).")
        if not self.w1_gain <= MAX_GAIN:
            raise ConfigError(f"The gain must be at most {MAX_GAIN:g} (got {self.w1_gain:g}).")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"Unknown activation {self.activation!r}: use 'tanh' or 'none'.")
        if self.layer_style not in LAYER_STYLES:
            raise ConfigError(f"Unknown layer style {self.layer_style!r}: use 'seed' or 'lecture'.")
        n_params = self.n_embed * self.block_size * self.n_hidden + (self.n_layers - 1) * self.n_hidden ** 2
        if n_params > MAX_PARAMETERS:
            where = ("in W1 alone (n_embed × block_size × n_hidden)" if self.n_layers == 1 else
                     "in its hidden layers alone (n_embed × block_size × n_hidden + (layers − 1) × n_hidden²)")
            raise ConfigError(f"This model would have about {n_params:,} parameters {where}; "
                              f"the playground allows up to {MAX_PARAMETERS:,}. Make it smaller.")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Config:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(unknown)}.")
        typed = {}
        for name, value in values.items():
            default = getattr(cls, name) if name != "w1_scale" else 1.0
            typed[name] = _coerce(name, value, default)
        return cls(**typed)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


def parse_number(text: str) -> float:
    """A number, or a fraction such as the tanh gain 5/3 (exactly Python's 5 / 3)."""
    top, slash, bottom = str(text).strip().partition("/")
    try:
        return float(top) / float(bottom) if slash else float(top)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{text!r} is not a number or a fraction like 5/3") from None


def _coerce(name: str, value, default):
    if value is None and name == "w1_scale":
        return None
    if name == "w1_gain" and isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError as e:
            raise ConfigError(f"Setting 'w1_gain' must be a float: {e}.") from None
    kind = type(default)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            raise TypeError
        if kind is int:
            if isinstance(value, bool) or float(value) != int(value):
                raise TypeError
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"Setting {name!r} must be a {kind.__name__}, not {value!r}.") from None


def save_config_file(cfg: Config, path) -> None:
    """A small human-readable TOML file (JSON when the name ends in .json)."""
    from pathlib import Path
    path = Path(path)
    if path.suffix.lower() == ".json":
        text = cfg.to_json()
    else:
        lines = ["# makemore playground setup: open it in the app or pass it to --config"]
        for k, v in cfg.to_dict().items():
            if v is None:
                continue  # TOML has no null: a missing key means the default
            lines.append(f"{k} = {json.dumps(v) if not isinstance(v, bool) else str(v).lower()}")
        text = "\n".join(lines) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def load_config_file(path, base: Config | None = None) -> Config:
    """Read a setup saved by save_config_file; keys it lacks keep base's values."""
    import tomllib
    from pathlib import Path
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"No such setup file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read setup file {path}: {e}") from None
    try:
        values = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path.name} is not a valid setup file: {e}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path.name} is not a valid setup file.")
    merged = {**(base or Config()).to_dict(), **values}
    return Config.from_dict(merged).validate()
