"""Named setups, one click (or --preset NAME) each: the seed notebook, the stages of its loss log
(each adds one fix to the one before), the lecture's deep net with its experiments, and makemore
part 5's hierarchical net with its notebook's performance log."""
from __future__ import annotations

from dataclasses import dataclass

from core.config import ARCH_FIELDS, Config, ConfigError


@dataclass(frozen=True)
class Preset:
    name: str        # lower-case with hyphens: what --preset takes
    label: str       # what the window shows
    about: str       # one sentence for a tooltip or --help
    settings: dict   # the Config fields it sets; every other field keeps its value


# The seed notebook's network and schedule (Config's defaults), less data, seed and device.
_SEED_NET = {"layer_style": "seed", "n_layers": 1, "activation": "tanh", "bn_momentum": 0.001,
             "w1_gain": 5 / 3, "w1_scale": None, "fuse": "", "bn_dims": "0,1"}
_SEED = {**_SEED_NET, "seed": 2147483647, "n_embed": 10, "n_hidden": 200, "block_size": 3, "batchnorm": True,
         "fix_w2": True, "fix_b2": True, "fix_w1": True, "fix_b1": True,
         "max_steps": 100_000, "batch_size": 32, "lr": 0.1, "lr_decay_step": 50_000, "lr_after": 0.01}
LOSS_LOG_SCHEDULE = {"max_steps": 200_000, "lr_decay_step": 100_000}
# The lecture's deep net: 5 hidden layers of 100, its BatchNorm1d, its schedule.
_LECTURE = {"layer_style": "lecture", "n_layers": 5, "n_embed": 10, "n_hidden": 100, "block_size": 3,
            "activation": "tanh", "batchnorm": True, "bn_momentum": 0.1, "w1_gain": 1.0, "fix_w2": True,
            "seed": 2147483647, "max_steps": 200_000, "batch_size": 32, "lr": 0.1,
            "lr_decay_step": 150_000, "lr_after": 0.01, "fuse": "", "bn_dims": "0,1"}


# makemore part 5 (../shared/reference/makemore_part5_wavenet.txt): its layers, torch.manual_seed(42),
# lr 0.1 then 0.01 from step 150,000 of 200,000.
_WAVENET = {"layer_style": "wavenet", "n_layers": 3, "fuse": "2,2,2", "bn_dims": "0,1", "n_embed": 24,
            "n_hidden": 128, "block_size": 8, "activation": "tanh", "batchnorm": True, "bn_momentum": 0.1,
            "fix_w2": True, "w1_gain": 1.0, "w1_scale": None, "seed": 42, "max_steps": 200_000,
            "batch_size": 32, "lr": 0.1, "lr_decay_step": 150_000, "lr_after": 0.01}


def _wavenet(**changes) -> dict:
    return {**_WAVENET, **changes}


@dataclass(frozen=True)
class Reference:
    """One row of part 5's performance log: what its author measured after 200,000 steps."""
    what: str          # the log's words
    parameters: int    # the net's size, as this app builds it
    train: float
    val: float


# Part 5's performance log, in its order (the last row's numbers are the notebook's printed ones).
# The runs table shows these as reference rows; each preset's tooltip quotes its row.
PART5_LOG: dict[str, Reference] = {
    "wavenet-flat-3": Reference("original (3 character context + 200 hidden neurons, 12K params)",
                                12_097, 2.058, 2.105),
    "wavenet-flat-8": Reference("context: 3 -> 8 (22K params)", 22_097, 1.918, 2.027),
    "wavenet-bn-bug": Reference("flat -> hierarchical (22K params)", 22_397, 1.941, 2.029),
    "wavenet-22k": Reference("fix bug in batchnorm", 22_397, 1.912, 2.022),
    "wavenet": Reference("scale up the network: n_embd 24, n_hidden 128 (76K params)", 76_579,
                         1.7690284252166748, 1.9936515092849731),
}


def _logged(name: str, about: str) -> str:
    r = PART5_LOG[name]
    return f"{about} The notebook's log: {r.what}: train {r.train:.3f}, val {r.val:.3f}."


def _stage(fixes: str, batchnorm: bool) -> dict:
    switches = {f: f in fixes.split() for f in ("fix_w2", "fix_b2", "fix_w1", "fix_b1")}
    return {**_SEED_NET, **switches, "batchnorm": batchnorm, **LOSS_LOG_SCHEDULE}


def _lecture(**changes) -> dict:
    return {**_LECTURE, **changes}


CATALOGUE: dict[str, Preset] = {p.name: p for p in (
    Preset("seed", "Seed notebook", "The seed notebook's run: one hidden layer of 200 with every fix "
           "and BatchNorm, 100,000 steps.", _SEED),
    Preset("original", "Original", "Loss log stage 1: no fix, no BatchNorm (200,000 steps).",
           _stage("", False)),
    Preset("fix-softmax", "Fix softmax", "Loss log stage 2: W2 x 0.01 and b2 x 0, so softmax is not "
           "confidently wrong at init.", _stage("fix_w2 fix_b2", False)),
    Preset("fix-tanh", "Fix tanh", "Loss log stage 3: also W1 Kaiming and b1 x 0.01, so tanh does not "
           "saturate at init.", _stage("fix_w2 fix_b2 fix_w1 fix_b1", False)),
    Preset("add-bn", "Add BN", "Loss log stage 4: every fix and a BatchNorm layer.",
           _stage("fix_w2 fix_b2 fix_w1 fix_b1", True)),
    Preset("lecture-deep", "Lecture: deep net", "The lecture's net: 5 x [Linear, BatchNorm1d, Tanh] of "
           "100, gain 1; lr 0.1, 0.01 from step 150,000, 200,000 steps.", _LECTURE),
    Preset("no-bn-gain-5-3", "No BN, gain 5/3", "The lecture's net without BatchNorm at the tanh gain "
           "5/3: every layer's activations keep a healthy spread.", _lecture(batchnorm=False, w1_gain=5 / 3)),
    Preset("no-bn-gain-1", "No BN, gain 1", "Without BatchNorm at gain 1: tanh squashes, and the "
           "activations shrink layer after layer.", _lecture(batchnorm=False, w1_gain=1.0)),
    Preset("no-bn-gain-3", "No BN, gain 3", "Without BatchNorm at gain 3: too large, the tanh layers "
           "saturate.", _lecture(batchnorm=False, w1_gain=3.0)),
    Preset("linear-gain-1", "Linear only, gain 1", "No tanh, no BatchNorm, gain 1: a linear stack "
           "keeps its activations' spread exactly.", _lecture(batchnorm=False, activation="none", w1_gain=1.0)),
    Preset("linear-gain-5-3", "Linear only, gain 5/3", "No tanh, no BatchNorm, gain 5/3: with nothing "
           "to squash them the activations grow layer after layer.",
           _lecture(batchnorm=False, activation="none", w1_gain=5 / 3)),
    Preset("wavenet-flat-3", "Part 5: flat, context 3", _logged(
        "wavenet-flat-3", "Part 5's flat net: the 3-character context in one block of 200 (12K parameters)."),
        _wavenet(n_layers=1, fuse="3", block_size=3, n_embed=10, n_hidden=200)),
    Preset("wavenet-flat-8", "Part 5: flat, context 8", _logged(
        "wavenet-flat-8", "The flat net with a context of 8 characters (22K parameters)."),
        _wavenet(n_layers=1, fuse="8", n_embed=10, n_hidden=200)),
    Preset("wavenet-bn-bug", "Part 5: tree, BN bug", _logged(
        "wavenet-bn-bug", "Hierarchical: 3 blocks fuse 2 positions each, 68 wide (22K parameters); "
        "BatchNorm's statistics over dim 0 only, the lecture's bug."),
        _wavenet(n_embed=10, n_hidden=68, bn_dims="0")),
    Preset("wavenet-22k", "Part 5: tree, 22K", _logged(
        "wavenet-22k", "The same hierarchical net with BatchNorm fixed: statistics over dims (0, 1), "
        "every position of every example."), _wavenet(n_embed=10, n_hidden=68)),
    Preset("wavenet", "Part 5: WaveNet 76K", _logged(
        "wavenet", "makemore part 5's net: Embedding 24, 3 x [FlattenConsecutive(2), Linear, "
        "BatchNorm1d(128), Tanh], 200,000 steps."), _WAVENET),
)}

LOSS_LOG_STAGES = ("original", "fix-softmax", "fix-tanh", "add-bn")
LECTURE_EXPERIMENTS = ("lecture-deep", "no-bn-gain-5-3", "no-bn-gain-1", "no-bn-gain-3",
                       "linear-gain-1", "linear-gain-5-3")
WAVENET_LADDER = tuple(PART5_LOG)      # part 5's performance log, one preset per row

# The loss log's stages under the names the window and the runs table use ("fix softmax"),
# each its init switches: derived from the catalogue, so the two never disagree.
_STAGE_TITLES = {"original": "original", "fix-softmax": "fix softmax", "fix-tanh": "fix tanh",
                 "add-bn": "add BN"}
PRESETS: dict[str, dict] = {
    _STAGE_TITLES[n]: {k: CATALOGUE[n].settings[k] for k in ("fix_w2", "fix_b2", "fix_w1", "fix_b1", "batchnorm")}
    for n in LOSS_LOG_STAGES}

# val loss the notebook's author recorded for each stage (the seed's "loss log" cell)
NOTEBOOK_LOSS_LOG = {
    "original": (2.1267659664154053, 2.1697638034820557),
    "fix softmax": (2.0695769786834717, 2.131199836730957),
    "fix tanh": (2.0369434356689453, 2.103416919708252),
    "add BN": (2.0459063053131104, 2.1086337566375732),
}


def experiment_of(cfg: Config) -> str | None:
    """The label of the lecture experiment whose network cfg builds (its seed, data and
    schedule aside), if any: what the runs table calls such a run."""
    for name in LECTURE_EXPERIMENTS + WAVENET_LADDER:
        preset = CATALOGUE[name]
        if all(getattr(cfg, k) == v for k, v in preset.settings.items() if k in ARCH_FIELDS and k != "seed"):
            return preset.label
    return None


def preset_named(name: str) -> Preset:
    """A preset by its name ("fix-softmax") or the loss-log stage's ("fix softmax")."""
    key = name.strip().lower().replace(" ", "-")
    if key not in CATALOGUE:
        raise ConfigError(f"Unknown preset {name!r}: use one of {', '.join(CATALOGUE)}.")
    return CATALOGUE[key]


def preset_config(name: str, base: Config | None = None) -> Config:
    """`base` with the preset's settings (a loss-log stage: its init switches, the seed's
    one-layer net and the loss log's 200k-step schedule)."""
    return (base or Config()).replace(**preset_named(name).settings)
