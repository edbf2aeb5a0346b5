"""makemore part 5's net (`--preset wavenet`): each engine's steps/s as a ratio to the notebook's own
loop (bench/wavenet_loop.py), measured in the same process, one after the other, several rounds.
Goal: the fast engine at least 5x. Also the ceiling one core sets: the time torch's own matrix
library takes for the step's matrix products alone (forward, dx and dW of every block, at
the step's shapes), as a ratio to the notebook's loop: no engine on one core can be faster
than its matrix products at the speed of the machine's best sgemm.

    python bench/bench_wavenet.py [names.txt] [--steps N] [--rounds R] [--preset NAME]
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.wavenet_loop import wavenet_run  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.presets import preset_config  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402

WARMUP = 200


def notebook_rate(dataset: Dataset, cfg, steps: int) -> float:
    Xtr, Ytr = dataset.splits["train"]
    fuses = cfg.fuse_widths()
    t0 = time.perf_counter()
    wavenet_run(Xtr, Ytr, len(dataset.vocab), steps, n_embd=cfg.n_embed, n_hidden=cfg.n_hidden, fuses=fuses,
                bn_bug=cfg.bn_dims == "0")
    return steps / (time.perf_counter() - t0)


def engine_rate(dataset: Dataset, cfg, engine: str, steps: int) -> tuple[float, str]:
    trainer = Trainer(cfg.replace(engine=engine, max_steps=WARMUP + steps), dataset)
    trainer.prepare_engine()
    trainer.train(WARMUP)
    t0 = time.perf_counter()
    trainer.train(steps)
    return steps / (time.perf_counter() - t0), trainer.engine_name


def products_ceiling(cfg, dataset: Dataset, repeats: int = 2000) -> float:
    """Seconds torch.mm takes for one step's matrix products: per block x @ W, g @ W.T and x.T @ g
    at (batch x positions) rows."""
    model = Trainer(cfg.replace(engine="exact"), dataset).model
    total = 0.0
    for block in model.blocks:
        fan_in, fan_out = block.weight.shape
        rows = cfg.batch_size * block.rows
        x, g, W = torch.randn(rows, fan_in), torch.randn(rows, fan_out), torch.randn(fan_in, fan_out)
        for a, b in ((x, W), (g, W.T), (x.T, g)):
            for _ in range(50):
                torch.mm(a, b)
            t0 = time.perf_counter()
            for _ in range(repeats):
                torch.mm(a, b)
            total += (time.perf_counter() - t0) / repeats
    return total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("data", nargs="?", default=str(default_names_path()))
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--preset", default="wavenet")
    args = p.parse_args()
    torch.set_num_threads(1)     # as main.py --headless and the window's worker
    cfg = preset_config(args.preset).replace(data=args.data)
    dataset = Dataset.load(args.data, cfg.block_size)
    for r in range(args.rounds):
        ref = notebook_rate(dataset, cfg, args.steps)
        line = [f"round {r + 1}: notebook loop {ref:,.0f} steps/s"]
        for engine in ("fast", "exact"):
            rate, ran = engine_rate(dataset, cfg, engine, args.steps)
            line.append(f"{ran} {rate:,.0f} steps/s = {rate / ref:.2f}x")
        print("; ".join(line), flush=True)
    ceiling = products_ceiling(cfg, dataset)
    print(f"ceiling on one core: torch's sgemm alone takes {ceiling * 1e6:.0f} us for one step's matrix products "
          f"= at most {1 / ceiling:,.0f} steps/s = {1 / ceiling / ref:.2f}x the notebook loop's last round")


if __name__ == "__main__":
    main()
