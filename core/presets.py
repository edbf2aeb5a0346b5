"""The stages of the notebook's loss log, as settings: each adds one fix to the one before."""
from __future__ import annotations

from .config import Config

LOSS_LOG_SCHEDULE = {"max_steps": 200_000, "lr_decay_step": 100_000}

PRESETS: dict[str, dict] = {
    "original": {"fix_w2": False, "fix_b2": False, "fix_w1": False, "fix_b1": False, "batchnorm": False},
    "fix softmax": {"fix_w2": True, "fix_b2": True, "fix_w1": False, "fix_b1": False, "batchnorm": False},
    "fix tanh": {"fix_w2": True, "fix_b2": True, "fix_w1": True, "fix_b1": True, "batchnorm": False},
    "add BN": {"fix_w2": True, "fix_b2": True, "fix_w1": True, "fix_b1": True, "batchnorm": True},
}

# val loss the notebook's author recorded for each stage (the seed's "loss log" cell)
NOTEBOOK_LOSS_LOG = {
    "original": (2.1267659664154053, 2.1697638034820557),
    "fix softmax": (2.0695769786834717, 2.131199836730957),
    "fix tanh": (2.0369434356689453, 2.103416919708252),
    "add BN": (2.0459063053131104, 2.1086337566375732),
}


def preset_config(name: str, base: Config | None = None) -> Config:
    """`base` with the preset's init switches and the loss log's 200k-step schedule."""
    return (base or Config()).replace(**PRESETS[name], **LOSS_LOG_SCHEDULE, w1_scale=None)
