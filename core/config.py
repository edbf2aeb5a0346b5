"""One flat, serialisable description of a run (model, init choices, training)."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields

from core.model.layers import Activation, Norm

# Fields that change the shape or the initial weights of the model: applied on Reset.
ARCH_FIELDS = frozenset({
    "data", "n_embed", "n_hidden", "block_size", "seed", "batchnorm", "bn_momentum",
    "fix_w2", "fix_b2", "fix_w1", "fix_b1", "w1_gain", "w1_scale", "device", "engine",
    "n_layers", "activation", "layer_style", "fuse", "bn_dims",
})
# Fields read afresh before every step: applied live.
LIVE_FIELDS = frozenset({"lr", "lr_decay_step", "lr_after", "batch_size", "max_steps"})

ENGINES = ("fast", "exact")

# Memory the model's parameters and activations may take before a config is refused.
MAX_PARAMETERS = 50_000_000
MAX_SETUP_BYTES = 1 << 20     # a setup file is a few hundred bytes
# depth: hidden blocks Linear -> (BatchNorm) -> activation
MAX_LAYERS = 8
ACTIVATIONS = tuple(a.value for a in Activation)              # "tanh", "none"
# a style is its BatchNorm's kind, and "wavenet": makemore part 5's net (the lecture's BatchNorm)
LAYER_STYLES = (Norm.SEED.value, Norm.LECTURE.value, "wavenet")
# makemore part 5's BatchNorm1d on a 3-D input (batch, positions, channels): its statistics over
# dims (0, 1), every position of every example; "0" is the bug the lecture finds (dim 0 only: a
# mean and variance per position, and running buffers of shape (1, positions, channels)).
BN_DIMS = ("0,1", "0")


class ConfigError(ValueError):
    """A setting that can never work, with a message meant for a person."""


@dataclass(frozen=True)
class Limit:
    """The values one number may take. The single source of the limits: Config.validate, the
    command line, setup files and the window's fields all ask this table."""
    kind: type             # int or float
    low: int | float
    high: int | float
    words: str             # what it is, in a sentence: "The {words} must be ..."
    low_open: bool = False     # low itself is not allowed (a learning rate > 0)
    too_high: str = ""         # said after "must be at most ..." when that is the problem

    def allowed(self) -> str:
        if self.kind is int:
            return f"a whole number from {self.low:,} to {self.high:,}"
        low = f"greater than {self.low:g}" if self.low_open else f"at least {self.low:g}"
        return f"a number {low} and at most {self.high:,g}"

    def problem(self, value) -> str | None:
        """What is wrong with value, as the end of a sentence ("must be at least 1 (got 0)"), or None."""
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be a whole number, not {value!r}"
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return f"must be a number, not {value!r}"
        if value < self.low or (self.low_open and value == self.low):
            return (f"must be greater than {self.low:g}" if self.low_open
                    else f"must be at least {self.low:,}") + f" (got {value:,})"
        if value > self.high:
            shown = f"{self.high:,} (got {value:,})" if self.kind is int else f"{self.high:,g} (got {value:,g})"
            return f"must be at most {shown}" + (f": {self.too_high}" if self.too_high else "")
        return None

    def check(self, value):
        if (problem := self.problem(value)) is not None:
            raise ConfigError(f"The {self.words} {problem}.")
        return value

    def parse(self, text: str):
        """A value typed by a person ("1e-3", "100,000"), checked; ConfigError says what is wrong."""
        s = str(text).strip().replace(",", "") if self.kind is int else str(text).strip()
        try:
            value = int(s) if self.kind is int else float(s)
        except ValueError:
            raise ConfigError(f"The {self.words} must be {self.allowed()}, not {text!r}.") from None
        return self.check(value)


TORCH_SEEDS = 2**64 - 1    # torch.Generator.manual_seed takes 0 ... 2**64 - 1
LIMITS: dict[str, Limit] = {
    "n_embed": Limit(int, 1, 10_000, "embedding size"),
    "n_hidden": Limit(int, 1, 1_000_000, "hidden layer size"),
    "n_layers": Limit(int, 1, MAX_LAYERS, "number of hidden layers"),
    "block_size": Limit(int, 1, 1_000, "context length (block size)"),
    # makemore part 5's FlattenConsecutive(n): how many consecutive positions a block fuses
    "fuse_width": Limit(int, 1, 1_000, "number of positions a block fuses"),
    "seed": Limit(int, 0, TORCH_SEEDS, "seed"),
    "bn_momentum": Limit(float, 0, 1, "BatchNorm momentum", low_open=True),
    # beyond ~1e3 the float32 pre-activations overflow: the loss is NaN at step 0, whatever the rate.
    # The gain multiplies W1 and, in a deep net, every hidden Linear.
    "w1_gain": Limit(float, 0, 1_000, "W1 gain", low_open=True),
    "w1_scale": Limit(float, 0, 1_000, "W1 scale", low_open=True),
    "max_steps": Limit(int, 1, 10**12, "number of steps"),
    "batch_size": Limit(int, 1, 100_000_000, "batch size"),
    "lr": Limit(float, 0, 1_000, "learning rate", low_open=True,
                too_high="far too large, the loss would explode at once"),
    "lr_decay_step": Limit(int, 0, 10**12, "decay step"),
    "lr_after": Limit(float, 0, 1_000, "learning rate after decay", low_open=True,
                      too_high="far too large, the loss would explode at once"),
    # sampling (not part of a Config): the command line and the Samples panel
    "samples": Limit(int, 0, 10_000, "number of names to sample"),
    "temperature": Limit(float, 0, 1_000, "temperature", low_open=True),
    "sample_seed": Limit(int, 0, TORCH_SEEDS, "sampling seed"),
}


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
    # layer_style "wavenet": makemore part 5's layers. An Embedding, then each hidden block fuses
    # `fuse` consecutive positions ("2,2,2": FlattenConsecutive(2) before each of 3 blocks; empty:
    # the first block fuses the whole context, the flat net), Linear without bias, BatchNorm1d
    # with its statistics over `bn_dims`, tanh; the output Linear has a bias, its weight x 0.1.
    fuse: str = ""
    bn_dims: str = "0,1"
    device: str = "cpu"
    # "fast": the compiled kernel (the notebook's numbers to float32 rounding), where numba
    # imports and the device is the CPU; "exact": torch autograd, bit for bit the notebook
    engine: str = "fast"
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

    def fuse_widths(self) -> tuple[int, ...]:
        """How many positions each hidden block fuses ("" is the flat net: the whole context,
        then nothing); ConfigError if the text is not a list of whole numbers in range."""
        if not self.fuse.strip():
            return (self.block_size,) + (1,) * (self.n_layers - 1)
        return tuple(LIMITS["fuse_width"].parse(part) for part in self.fuse.split(","))

    def block_fan_ins(self) -> tuple[int, ...]:
        """Each hidden block's fan_in: the seed/lecture nets concatenate the context once."""
        if self.layer_style != "wavenet":
            return (self.n_embed * self.block_size,) + (self.n_hidden,) * (self.n_layers - 1)
        widths = self.fuse_widths()
        return tuple(n * (self.n_embed if k == 0 else self.n_hidden) for k, n in enumerate(widths))

    def _check_fuses(self) -> None:
        if self.bn_dims not in BN_DIMS:
            raise ConfigError(f"Unknown BatchNorm statistics dims {self.bn_dims!r}: use '0,1' or '0'.")
        if self.layer_style != "wavenet":
            if self.fuse.strip():
                raise ConfigError("Fusing positions (fuse) belongs to the wavenet layer style; "
                                  f"the {self.layer_style} style concatenates the whole context at once.")
            return
        widths = self.fuse_widths()
        if len(widths) != self.n_layers:
            raise ConfigError(f"The fuse list gives {len(widths)} block{'s' * (len(widths) != 1)} "
                              f"({self.fuse}) but the net has {self.n_layers} hidden layer"
                              f"{'s' * (self.n_layers != 1)}: give one width per layer.")
        left = self.block_size
        for k, n in enumerate(widths, 1):
            if left % n:
                raise ConfigError(f"Hidden layer {k} would fuse {n} positions but only {left} "
                                  f"{'is' if left == 1 else 'are'} left of the context of {self.block_size} "
                                  f"(fuses {self.fuse}): the widths must multiply to the block size.")
            left //= n
        if left != 1:
            raise ConfigError(f"The fuses {self.fuse} leave {left} positions of the context of "
                              f"{self.block_size}, not 1: the widths must multiply to the block size.")

    def validate(self) -> Config:
        """Refuse values that can never work; return self so calls can chain."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in LIMITS and not (f.name == "w1_scale" and value is None):
                LIMITS[f.name].check(value)
        if self.batch_size < 2 and self.batchnorm:
            raise ConfigError("BatchNorm needs a batch of at least 2 examples "
                              "(the std of one example is undefined).")
        if self.engine not in ENGINES:
            raise ConfigError(f"Unknown engine {self.engine!r}: use 'fast' or 'exact'.")
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"Unknown device {self.device!r}: use 'cpu' or 'cuda'.")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"Unknown activation {self.activation!r}: use 'tanh' or 'none'.")
        if self.layer_style not in LAYER_STYLES:
            raise ConfigError(f"Unknown layer style {self.layer_style!r}: use 'seed', 'lecture' or 'wavenet'.")
        self._check_fuses()
        n_params = sum(self.block_fan_ins()) * self.n_hidden
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
    """value as the type of the field's default, exactly (a seed of 2**53 + 1 stays itself)."""
    if value is None and name == "w1_scale":
        return None
    if name == "w1_gain" and isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError as e:
            raise ConfigError(f"Setting 'w1_gain' must be a float: {e}.") from None
    kind = type(default)
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)        # JSON and TOML may write 100000 as 1e5
    elif kind is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:
            value = float("inf")      # validate then says it is out of range
    if type(value) is not kind:
        what = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}[kind]
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise ConfigError(f"Setting {name!r} must be {what}, not {shown}.")
    return value


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
    from core.files import atomic_write
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def load_config_file(path, base: Config | None = None) -> Config:
    """Read a setup saved by save_config_file; keys it lacks keep base's values."""
    import tomllib
    from pathlib import Path
    path = Path(path)
    from core.files import read_limited
    try:
        text = read_limited(path, MAX_SETUP_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"No such setup file: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder, not a setup file.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read setup file {path}: {e}") from None
    except ValueError as e:      # a FIFO, a device, or far too large for a setup
        raise ConfigError(str(e)) from None
    try:
        values = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path.name} is not a valid setup file: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path.name} is not a valid setup file: it is nested too deeply.") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path.name} is not a valid setup file.")
    merged = {**(base or Config()).to_dict(), **values}
    return Config.from_dict(merged).validate()
