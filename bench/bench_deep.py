"""The lecture's deep net headless: Trainer steps/s as a ratio to the lecture's own loop
(bench/lecture_loop.py) run in the same process, rounds interleaved, best of each, for both
engines. Goal: >= 1.0x (exact); the fast engine's kernel trains every layer.

    python bench/bench_deep.py [--steps 1000] [--rounds 3] [--data PATH] [--no-batchnorm]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.lecture_loop import lecture_run  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.presets import preset_config  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402

FRAME_EVERY = 100   # a snapshot with every layer's statistics this often: a window's frame rate


def trainer_rate(cfg, ds: Dataset, steps: int, frames: bool, engine: str) -> float:
    """Steps/s in chunks of FRAME_EVERY steps (a snapshot after each when `frames`)."""
    trainer = Trainer(cfg.replace(max_steps=steps, engine=engine), ds)
    trainer.prepare_engine()
    t0 = time.perf_counter()
    while not trainer.done:
        trainer.train(FRAME_EVERY)
        if frames:
            trainer.snapshot(detail=True)
    return steps / (time.perf_counter() - t0)


def snapshot_cost(cfg, ds: Dataset, layers: bool, n: int = 200) -> float:
    """Microseconds one snapshot takes, with or without every layer's statistics."""
    trainer = Trainer(cfg, ds)
    trainer.train(5)
    t0 = time.perf_counter()
    for _ in range(n):
        trainer.snapshot(layers=layers)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data", default=None)
    p.add_argument("--no-batchnorm", action="store_true", help="the lecture's commented-out net, gain 5/3")
    args = p.parse_args()
    torch.set_num_threads(1)
    path = args.data or default_names_path()
    source = str(path) if Path(path).is_file() else "builtin"
    ds = Dataset.load(source, 3)
    cfg = preset_config("lecture-deep").replace(data=source)
    if args.no_batchnorm:
        cfg = cfg.replace(batchnorm=False, w1_gain=5 / 3)
    Xtr, Ytr = ds.splits["train"]
    runs = [(engine, frames) for engine in ("exact", "fast") for frames in (False, True)]
    best = dict.fromkeys(["lecture", *runs], 0.0)
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        lecture_run(Xtr, Ytr, len(ds.vocab), args.steps, batchnorm=cfg.batchnorm, gain=cfg.w1_gain)
        best["lecture"] = max(best["lecture"], args.steps / (time.perf_counter() - t0))
        for engine, frames in runs:
            # the fast engine gets 10x the steps, so that its timing is as long as the others'
            steps = args.steps * (10 if engine == "fast" else 1)
            best[engine, frames] = max(best[engine, frames], trainer_rate(cfg, ds, steps, frames, engine))
    ref = best["lecture"]
    cost = {(name, layers): min(snapshot_cost(c, ds, layers) for _ in range(args.rounds))
            for name, c in (("seed", Config(data=source)), ("lecture", cfg)) for layers in (False, True)}
    net = "no BatchNorm, gain 5/3" if args.no_batchnorm else "5 x [Linear, BatchNorm1d, Tanh] of 100"
    print(f"lecture's deep net ({net}), dataset {source}, {args.steps} steps x {args.rounds} rounds, best of each")
    own = "lecture's own loop"
    print(f"{own:60s} {ref:7.0f} steps/s  1.00x")
    for engine, frames in runs:
        what = f"Trainer, {engine} engine" + (f" + all-layer snapshot per {FRAME_EVERY} steps" if frames else "")
        print(f"{what:60s} {best[engine, frames]:7.0f} steps/s  {best[engine, frames] / ref:5.2f}x")
    for name in ("seed", "lecture"):
        print(f"snapshot, {name + ' net':12s}: {cost[name, False]:5.0f} us; with every layer's statistics "
              f"{cost[name, True]:5.0f} us")


if __name__ == "__main__":
    main()
