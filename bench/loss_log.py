"""Re-run the notebook's loss-log experiment: four stages, 200,000 steps each, decay at
100,000, on names.txt. Prints our train/val loss beside the notebook's.

    python bench/loss_log.py [--data PATH] [--steps N] [--w1-scale 0.2]

Takes ~2.5 minutes a stage on one core.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.data import Dataset, default_names_path  # noqa: E402
from core.presets import NOTEBOOK_LOSS_LOG, PRESETS, preset_config  # noqa: E402
from core.train import Trainer  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(default_names_path()))
    p.add_argument("--steps", type=int, default=200_000)
    p.add_argument("--w1-scale", type=float, default=None, help="plain W1 factor for 'fix tanh' instead of Kaiming")
    p.add_argument("--stages", nargs="*", default=list(PRESETS))
    args = p.parse_args()
    torch.set_num_threads(1)
    print(f"{'stage':<12} {'train':>8} {'val':>8}   {'notebook train':>14} {'notebook val':>12} "
          f"{'Δval':>7} {'s':>6}")
    for name in args.stages:
        cfg = preset_config(name).replace(data=args.data, max_steps=args.steps,
                                          lr_decay_step=args.steps // 2)
        if args.w1_scale is not None and name == "fix tanh":
            cfg = cfg.replace(w1_scale=args.w1_scale)
        t0 = time.time()
        trainer = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
        trainer.train(cfg.max_steps)
        tr, va = trainer.split_loss("train"), trainer.split_loss("val")
        ntr, nva = NOTEBOOK_LOSS_LOG[name]
        print(f"{name:<12} {tr:8.4f} {va:8.4f}   {ntr:14.4f} {nva:12.4f} {va - nva:+7.4f} "
              f"{time.time() - t0:6.0f}", flush=True)


if __name__ == "__main__":
    main()
