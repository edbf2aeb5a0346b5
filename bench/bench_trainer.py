"""Trainer speed with statistics taken every step, as a ratio to the notebook's own loop
run in the same process (interleaved, best of several rounds). Goal: >= 1.0x.

    python bench/bench_trainer.py [--steps 3000] [--rounds 5] [--data PATH]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.notebook_loop import notebook_run  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402


def trainer_rate(cfg: Config, ds: Dataset, steps: int, stats: str) -> float:
    trainer = Trainer(cfg.replace(max_steps=steps), ds)
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
        if stats != "none":
            trainer.snapshot(detail=stats == "detail")
    return steps / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--data", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    path = args.data or default_names_path()
    source = str(path) if Path(path).is_file() else "builtin"
    ds = Dataset.load(source, 3)
    cfg = Config(data=source)
    Xtr, Ytr = ds.splits["train"]
    best = {"notebook": 0.0, "none": 0.0, "basic": 0.0, "detail": 0.0}
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        notebook_run(Xtr, Ytr, len(ds.vocab), args.steps)
        best["notebook"] = max(best["notebook"], args.steps / (time.perf_counter() - t0))
        for stats in ("none", "basic", "detail"):
            best[stats] = max(best[stats], trainer_rate(cfg, ds, args.steps, stats))
    nb = best["notebook"]
    print(f"dataset: {source}, {args.steps} steps x {args.rounds} rounds, best rate of each")
    print(f"notebook loop                        {nb:7.0f} steps/s  1.00x")
    print(f"Trainer, no statistics               {best['none']:7.0f} steps/s  {best['none'] / nb:.2f}x")
    print(f"Trainer, snapshot() every step       {best['basic']:7.0f} steps/s  {best['basic'] / nb:.2f}x")
    print(f"Trainer, snapshot(detail) every step {best['detail']:7.0f} steps/s  {best['detail'] / nb:.2f}x")


if __name__ == "__main__":
    main()
