"""Both engines on the seed run, as a ratio to the notebook's own loop in the same process
(interleaved rounds, best rate of each). Goals: fast >= 6x, exact >= 1.0x.

    python bench/bench_engines.py [--steps 3000] [--fast-steps 30000] [--rounds 5] [--data PATH]
    python bench/bench_engines.py --layers 3 --n-hidden 2000 --steps 20 --fast-steps 20 --rounds 2
    python bench/bench_engines.py --layers 3 --n-hidden 2000 --batch-size 128 --steps 6 --fast-steps 6 --rounds 2

With --layers, --n-hidden or --batch-size the net is not the notebook's: the engines are compared with each
other instead, and with the engine the default setting picks (goal: not slower than the faster).

The fast engine gets more steps per round so that its timing is as long as the others'. On a
shared machine the rates swing with the load: compare the ratios, and rerun when in doubt.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.notebook_loop import notebook_run  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.training import trainer as trainer_module  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402


def engine_rate(cfg: Config, ds: Dataset, engine: str, steps: int, force: bool = False) -> float:
    """Steps/s of `engine`; force: the fast kernel even where the setting would pick the exact engine."""
    with mock.patch.object(trainer_module, "slower_reason", lambda *_: None) if force else contextlib.nullcontext():
        trainer = Trainer(cfg.replace(engine=engine, max_steps=steps), ds)
    assert trainer.engine_name == engine, trainer.engine_note
    trainer.prepare_engine()
    t0 = time.perf_counter()
    trainer.train(steps)   # as the headless run: up to max steps in as few calls as it likes
    return steps / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=3000, help="steps per round, notebook loop and exact engine")
    p.add_argument("--fast-steps", type=int, default=30000, help="steps per round, fast engine")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--data", default=None)
    p.add_argument("--layers", type=int, default=None, help="hidden layers (default: the seed's 1)")
    p.add_argument("--n-hidden", type=int, default=None, help="width of every hidden layer (default 200)")
    p.add_argument("--batch-size", type=int, default=None, help="batch size (default the seed's 32)")
    args = p.parse_args()
    torch.set_num_threads(1)
    path = args.data or default_names_path()
    source = str(path) if Path(path).is_file() else "builtin"
    ds = Dataset.load(source, 3)
    cfg = Config(data=source)
    if args.layers is not None or args.n_hidden is not None or args.batch_size is not None:
        wide(cfg.replace(n_layers=args.layers or 1, n_hidden=args.n_hidden or 200,
                         batch_size=args.batch_size or cfg.batch_size), ds, args)
        return
    Xtr, Ytr = ds.splits["train"]
    t0 = time.perf_counter()
    Trainer(cfg, ds).prepare_engine()
    prepare_s = time.perf_counter() - t0
    best = {"notebook": 0.0, "exact": 0.0, "fast": 0.0}
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        notebook_run(Xtr, Ytr, len(ds.vocab), args.steps)
        best["notebook"] = max(best["notebook"], args.steps / (time.perf_counter() - t0))
        best["exact"] = max(best["exact"], engine_rate(cfg, ds, "exact", args.steps))
        best["fast"] = max(best["fast"], engine_rate(cfg, ds, "fast", args.fast_steps))
    nb = best["notebook"]
    print(f"dataset: {source}, {args.rounds} rounds, best rate of each; "
          f"fast engine prepared in {prepare_s:.2f} s (numba cache)")
    print(f"notebook loop   {nb:7.0f} steps/s  1.00x")
    for name, goal in (("exact", 1.0), ("fast", 6.0)):
        ratio = best[name] / nb
        print(f"{name} engine    {best[name]:7.0f} steps/s  {ratio:5.2f}x   goal >= {goal:.1f}x "
              f"{'ok' if ratio >= goal else 'MISSED'}")
    print(f"the 100,000-step seed run: fast ~{100_000 / best['fast']:.1f} s, "
          f"notebook loop ~{100_000 / nb:.0f} s")


def wide(cfg: Config, ds: Dataset, args) -> None:
    """The two engines and the default's choice on a net other than the notebook's."""
    default = Trainer(cfg, ds)
    picked, note = default.engine_name, default.engine_note
    del default
    best = {"exact": 0.0, "fast": 0.0}
    for _ in range(args.rounds):
        best["exact"] = max(best["exact"], engine_rate(cfg, ds, "exact", args.steps))
        best["fast"] = max(best["fast"], engine_rate(cfg, ds, "fast", args.fast_steps, force=True))
    print(f"{cfg.n_layers} hidden x {cfg.n_hidden:,}, batch {cfg.batch_size}, {args.rounds} rounds, best rate of each")
    print(f"exact engine    {best['exact']:9.1f} steps/s  1.00x")
    print(f"fast kernel     {best['fast']:9.1f} steps/s  {best['fast'] / best['exact']:5.2f}x")
    ok = best[picked] >= max(best.values()) * 0.9    # within the rounds' noise of the faster
    print(f"default setting picks the {picked} engine ({note or 'the fast one'}): "
          f"{best[picked] / best['exact']:5.2f}x  {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
