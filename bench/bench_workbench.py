"""What the workbench's tabs cost training: steps/s with each tab shown, against headless.

    python bench/bench_workbench.py [--steps 6000] [--data PATH] [--tabs Live,Gradients,...]

For each tab: the window trains --steps steps with that tab in front; prints steps/s as a
ratio to a headless Trainer measured just before, the GUI event loop's p99 gap (5 ms timer),
frames/s, and the mean time a frame took to apply (RunState.take: the window's plots and
every workbench controller listening).
Then the same with the loss-log experiment training in the background (its own thread):
the main run's speed and the experiment's. Offscreen unless QT_QPA_PLATFORM says otherwise
(under xvfb-run, set QT_QPA_PLATFORM=xcb).
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
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp(prefix="bench-workbench-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.window_helpers import WARMUP_STEPS, headless_rate, train_flat_out, wait_for  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402

TICK_MS = 5


def window_run(cfg: Config, steps: int, tab: str, loss_log_steps: int | None = None) -> dict:
    from gui.main_window import MainWindow

    window = MainWindow(cfg.replace(max_steps=WARMUP_STEPS + steps))
    window.resize(1280, 800)
    window.show()
    wb = window.workbench
    spent: list[float] = []
    take = window.run.take

    def timed(frame, running):
        t = time.perf_counter()
        take(frame, running)
        spent.append(time.perf_counter() - t)

    window.run.take = timed
    wait_for(lambda: window.run.status is not None)
    window.control.step(WARMUP_STEPS)
    wait_for(lambda: window.run.status.step == WARMUP_STEPS)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    window.tabs.setCurrentIndex(titles.index(tab))
    if loss_log_steps:
        wb.loss_log.start(max_steps=loss_log_steps)
    result = train_flat_out(window, TICK_MS)
    job_steps = sum(h.record.steps for h in wb.runs.histories.values() if h.record.name.startswith("loss log"))
    if loss_log_steps:
        wb.loss_log.cancel()
        wait_for(lambda: not wb.loss_log.running)
    window.close()
    return {**result, "frame_ms": 1e3 * float(np.mean(spent)) if spent else 0.0,
            "job_rate": job_steps / result["elapsed"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--data", default=None, help="word list (default names.txt if found, else built-in)")
    p.add_argument("--tabs", default="Live,Gradients,Update ratio,Distributions,Look back,Runs")
    args = p.parse_args()
    data = args.data or (str(default_names_path()) if default_names_path().is_file() else "builtin")
    torch.set_num_threads(1)
    from PySide6.QtWidgets import QApplication
    app = QApplication([])  # noqa: F841 (kept alive for the windows)
    cfg = Config(data=data)
    dataset = Dataset.load(cfg.data, cfg.block_size)
    print(f"{args.steps:,} steps on {Path(data).name}, platform {os.environ['QT_QPA_PLATFORM']}")
    runs = [(tab, None) for tab in args.tabs.split(",")] + [("Live", 10 ** 7)]
    for tab, job in runs:
        h = headless_rate(cfg, dataset, args.steps)
        w = window_run(cfg, args.steps, tab, job)
        extra = f" | loss log alongside: {w['job_rate']:,.0f} steps/s" if job else ""
        print(f"{tab:>13}: headless {h:,.0f} steps/s | window {w['rate']:,.0f} = {w['rate'] / h:.2f}x | "
              f"p99 {w['p99']:.1f} ms | {w['fps']:.1f} fps | frame {w['frame_ms']:.2f} ms{extra}",
              flush=True)


if __name__ == "__main__":
    main()
