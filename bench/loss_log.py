"""Re-run the notebook's loss-log experiment: four stages, 200,000 steps each, decay at
100,000, on names.txt. Prints our train/val loss beside the notebook's, and the total time.

    python bench/loss_log.py [--data PATH] [--steps N] [--w1-scale 0.2] [--engine fast|exact|both]

With the fast engine (the default) the four stages take under a minute on one core (goal);
with the exact engine ~1 minute a stage. `--engine both` runs each stage with both engines and
prints how far apart their losses are (goal: within 0.005).
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
from core.training.trainer import Trainer  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(default_names_path()))
    p.add_argument("--steps", type=int, default=200_000)
    p.add_argument("--w1-scale", type=float, default=None, help="plain W1 factor for 'fix tanh' instead of Kaiming")
    p.add_argument("--stages", nargs="*", default=list(PRESETS))
    p.add_argument("--engine", choices=("fast", "exact", "both"), default="fast")
    args = p.parse_args()
    torch.set_num_threads(1)
    engines = ("fast", "exact") if args.engine == "both" else (args.engine,)
    dataset = Dataset.load(args.data, 3)
    print(f"{'stage':<12} {'engine':<6} {'train':>8} {'val':>8}   {'notebook train':>14} {'notebook val':>12} "
          f"{'Δval':>7} {'s':>6}")
    total = {e: 0.0 for e in engines}
    apart = 0.0
    for name in args.stages:
        cfg = preset_config(name).replace(data=args.data, max_steps=args.steps,
                                          lr_decay_step=args.steps // 2)
        if args.w1_scale is not None and name == "fix tanh":
            cfg = cfg.replace(w1_scale=args.w1_scale)
        got = {}
        for engine in engines:
            t0 = time.perf_counter()
            trainer = Trainer(cfg.replace(engine=engine), dataset)
            trainer.train(cfg.max_steps)
            tr, va = trainer.split_loss("train"), trainer.split_loss("val")
            total[engine] += time.perf_counter() - t0
            got[engine] = (tr, va)
            ntr, nva = NOTEBOOK_LOSS_LOG[name]
            print(f"{name:<12} {engine:<6} {tr:8.4f} {va:8.4f}   {ntr:14.4f} {nva:12.4f} {va - nva:+7.4f} "
                  f"{time.perf_counter() - t0:6.1f}", flush=True)
        if len(got) == 2:
            apart = max(apart, *(abs(a - b) for a, b in zip(got["fast"], got["exact"], strict=True)))
    for engine, seconds in total.items():
        print(f"{engine} engine: {len(args.stages)} stages in {seconds:.1f} s"
              + ("  (goal for 4 x 200,000 steps: under 60 s)" if engine == "fast" else ""))
    if len(engines) == 2:
        print(f"largest train/val difference between the engines: {apart:.5f} (goal <= 0.005)")


if __name__ == "__main__":
    main()
