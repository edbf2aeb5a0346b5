"""What recording a run in the run store costs training: the same run trained in chunks (as
the window's worker and the headless loop take them) without and with a RunRecorder (every
step's loss, written by its thread every 2 s, the end's split losses and weights), interleaved,
best of several rounds, as a ratio. Goal: >= 0.98 (recording costs at most 2 %).

    python bench/bench_recording.py [--steps 100000] [--chunk 100] [--rounds 3] [--engine fast] [--data PATH]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.checkpoint import checkpoint_bytes  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.runs.recorder import RunRecorder, dataset_identity  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402


def timed_run(cfg: Config, ds: Dataset, chunk: int, store_path: Path | None) -> tuple[float, int]:
    trainer = Trainer(cfg, ds)
    trainer.prepare_engine()
    t0 = time.perf_counter()
    recorder = record = None
    if store_path is not None:
        recorder = RunRecorder.open(store_path)
        record = recorder.start("headless", "bench", cfg.to_dict(), dataset_identity(ds), trainer.engine_name, "cpu")
    while not trainer.done:
        i = trainer.step
        losses = trainer.train(chunk)
        if recorder is not None:
            recorder.add_losses(record, i, losses, lr=trainer.lr)
    if recorder is not None:
        recorder.weights(record, checkpoint_bytes(trainer), trainer.step)
        recorder.status(record, "finished", trainer.step)
        recorder.close()
    elapsed = time.perf_counter() - t0
    stored = 0
    if store_path is not None:
        from core.runs.store import RunStore
        stored = RunStore(store_path).get_run(record.id).steps
    return elapsed, stored


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--chunk", type=int, default=100, help="steps per engine call (the window's are ~8 ms)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--engine", default="fast", choices=("fast", "exact"))
    p.add_argument("--data", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    path = args.data or default_names_path()
    source = str(path) if Path(path).is_file() else "builtin"
    ds = Dataset.load(source, 3)
    cfg = Config(data=source, max_steps=args.steps, engine=args.engine)
    best = {"without": float("inf"), "with": float("inf")}
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.rounds):
            for mode in ("without", "with"):
                store = Path(folder) / f"runs-{r}.sqlite3" if mode == "with" else None
                elapsed, stored = timed_run(cfg, ds, args.chunk, store)
                if store is not None and stored != args.steps:
                    sys.exit(f"the store holds {stored} steps of {args.steps}")
                best[mode] = min(best[mode], elapsed)
                print(f"round {r + 1} {mode:>7} recording: {args.steps / elapsed:,.0f} steps/s", flush=True)
    ratio = best["without"] / best["with"]
    print(f"{args.engine} engine, {args.steps:,} steps in chunks of {args.chunk}: with recording "
          f"{args.steps / best['with']:,.0f} steps/s, without {args.steps / best['without']:,.0f} steps/s: "
          f"ratio {ratio:.3f} (goal >= 0.98)")


if __name__ == "__main__":
    main()
