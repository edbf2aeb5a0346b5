"""Named setups, one click (or --preset NAME) each: the seed notebook, the stages of its loss log
(each adds one fix to the one before), and the lecture's deep net with its experiments."""
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
             "w1_gain": 5 / 3, "w1_scale": None}
_SEED = {**_SEED_NET, "seed": 2147483647, "n_embed": 10, "n_hidden": 200, "block_size": 3, "batchnorm": True,
         "fix_w2": True, "fix_b2": True, "fix_w1": True, "fix_b1": True,
         "max_steps": 100_000, "batch_size": 32, "lr": 0.1, "lr_decay_step": 50_000, "lr_after": 0.01}
LOSS_LOG_SCHEDULE = {"max_steps": 200_000, "lr_decay_step": 100_000}
# The lecture's deep net: 5 hidden layers of 100, its BatchNorm1d, its schedule.
_LECTURE = {"layer_style": "lecture", "n_layers": 5, "n_embed": 10, "n_hidden": 100, "block_size": 3,
            "activation": "tanh", "batchnorm": True, "bn_momentum": 0.1, "w1_gain": 1.0, "fix_w2": True,
            "seed": 2147483647, "max_steps": 200_000, "batch_size": 32, "lr": 0.1,
            "lr_decay_step": 150_000, "lr_after": 0.01}


def _stage(fixes: str, batchnorm: bool) -> dict:
    """A loss-log stage: the seed's whole setup (its net, width, context, seed, batch size and
    learning rates: every setting the notebook's numbers depend on) with the stage's switches
    and the loss log's 200k-step schedule. After a deep-net preset it is the notebook's net again."""
    switches = {f: f in fixes.split() for f in ("fix_w2", "fix_b2", "fix_w1", "fix_b1")}
    return {**_SEED, **switches, "batchnorm": batchnorm, **LOSS_LOG_SCHEDULE}


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
)}

LOSS_LOG_STAGES = ("original", "fix-softmax", "fix-tanh", "add-bn")
LECTURE_EXPERIMENTS = ("lecture-deep", "no-bn-gain-5-3", "no-bn-gain-1", "no-bn-gain-3",
                       "linear-gain-1", "linear-gain-5-3")

# The loss log's stages under the names the window and the runs table use ("fix softmax"),
# each its init switches: derived from the catalogue, so the two never disagree.
_STAGE_TITLES = {"original": "original", "fix-softmax": "fix softmax", "fix-tanh": "fix tanh",
                 "add-bn": "add BN"}
PRESETS: dict[str, dict] = {
    _STAGE_TITLES[n]: {k: CATALOGUE[n].settings[k] for k in ("fix_w2", "fix_b2", "fix_w1", "fix_b1", "batchnorm")}
    for n in LOSS_LOG_STAGES}

# train and val loss the seed notebook printed after its own 100,000-step run
NOTEBOOK_SEED_LOSSES = (2.0939648151397705, 2.1244211196899414)
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
    for name in LECTURE_EXPERIMENTS:
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
    """`base` with the preset's settings (a loss-log stage: its init switches, the rest of the
    seed's setup and the loss log's 200k-step schedule); data, device and engine stay base's."""
    return (base or Config()).replace(**preset_named(name).settings)
