"""How much the window costs training: the same steps headless and in the window, in one command.

    python bench/bench_window.py [--steps 10000] [--data PATH] [--repeat 1] [--prefill 1000000] [--engine fast|exact]
                                [--preset wavenet] [--tick-ms 5]

Prints steps/s in the window as a ratio to the headless Trainer and to the notebook's own loop
(bench/notebook_loop.py, or for a part 5 preset bench/wavenet_loop.py; 3,000 steps, same command;
the fast engine's goal is >= 5x), the GUI event loop's
latency (gaps between ticks of a 5 ms timer while training: p99 and max) and the frames
drawn per second. Targets: >= 0.8x headless, p99 < 30 ms, >= 20 fps. Offscreen unless
QT_QPA_PLATFORM says otherwise (under xvfb-run, set QT_QPA_PLATFORM=xcb).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp(prefix="bench-window-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.window_helpers import WARMUP_STEPS, headless_rate, train_flat_out, wait_for  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.presets import preset_config  # noqa: E402

TICK_MS = 5


def window_run(cfg: Config, steps: int, prefill: int = 0, tick_ms: int = TICK_MS) -> dict:
    from gui.main_window import MainWindow

    window = MainWindow(cfg.replace(max_steps=WARMUP_STEPS + steps))
    window.show()

    wait_for(lambda: window.run.status is not None)
    window.control.step(WARMUP_STEPS)
    wait_for(lambda: window.run.status.step == WARMUP_STEPS)
    if prefill:  # a long run's loss history, to see that it still draws cheaply
        window.live.loss_plot.append(np.random.default_rng(0).uniform(1.9, 2.6, prefill).astype(np.float32))

    result = train_flat_out(window, tick_ms)
    window.close()
    return result


def notebook_rate(dataset: Dataset, cfg: Config, steps: int = 3000) -> float:
    if cfg.layer_style == "wavenet":
        from bench.bench_wavenet import notebook_rate as part5_rate
        return part5_rate(dataset, cfg, steps)
    from bench.notebook_loop import notebook_run
    Xtr, Ytr = dataset.splits["train"]
    t0 = time.perf_counter()
    notebook_run(Xtr, Ytr, len(dataset.vocab), steps)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--data", default=None, help="word list (default names.txt if found, else built-in)")
    p.add_argument("--repeat", type=int, default=1, help="alternate headless/window runs this many times")
    p.add_argument("--prefill", type=int, default=0, help="put this many made-up losses in the loss plot first")
    p.add_argument("--engine", default=Config.engine, help="fast or exact (default %(default)s)")
    p.add_argument("--preset", default=None, help="a named setup (wavenet: makemore part 5's net)")
    p.add_argument("--tick-ms", type=int, default=TICK_MS, help="the latency timer's interval (default %(default)s ms)")
    args = p.parse_args()
    data = args.data or (str(default_names_path()) if default_names_path().is_file() else "builtin")
    torch.set_num_threads(1)
    from PySide6.QtWidgets import QApplication
    app = QApplication([])  # noqa: F841 (kept alive for the windows)
    cfg = Config(data=data, engine=args.engine)
    if args.preset:
        cfg = preset_config(args.preset, cfg).replace(data=data, engine=args.engine)
    dataset = Dataset.load(cfg.data, cfg.block_size)
    print(f"{args.steps:,} steps on {Path(data).name}, platform {os.environ['QT_QPA_PLATFORM']}"
          + (f", loss plot prefilled with {args.prefill:,} steps" if args.prefill else ""))
    for i in range(args.repeat):
        h = headless_rate(cfg, dataset, args.steps)
        w = window_run(cfg, args.steps, args.prefill, args.tick_ms)
        nb = notebook_rate(dataset, cfg)
        ok = lambda good: "ok" if good else "MISSED"
        print(f"run {i + 1} ({cfg.engine} engine): headless {h:,.0f} steps/s | window {w['rate']:,.0f} steps/s = "
              f"{w['rate'] / h:.2f}x headless ({ok(w['rate'] >= 0.8 * h)}), {w['rate'] / nb:.2f}x the notebook "
              f"loop ({nb:,.0f} steps/s) | event loop p99 {w['p99']:.1f} ms "
              f"({ok(w['p99'] < 30)}), max {w['max']:.1f} ms | {w['fps']:.1f} frames/s ({ok(w['fps'] >= 20)})",
              flush=True)


if __name__ == "__main__":
    main()
