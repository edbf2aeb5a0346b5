"""The lecture's deep net in the window: steps/s with the Live tab shown and with the Layers tab
shown (every frame's snapshot carries every layer's statistics), as ratios to the lecture's own
loop (bench/lecture_loop.py) and to the headless Trainer, all in this one command, rounds
interleaved, best of each.

    python bench/bench_deep_window.py [--steps 3000] [--rounds 2] [--data PATH] [--no-batchnorm]

Offscreen unless QT_QPA_PLATFORM says otherwise (under xvfb-run, set QT_QPA_PLATFORM=xcb).
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
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp(prefix="bench-deep-window-"))

import torch  # noqa: E402

from bench.lecture_loop import lecture_run  # noqa: E402
from bench.window_helpers import WARMUP_STEPS, headless_rate, train_flat_out, wait_for  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import Dataset, default_names_path  # noqa: E402
from core.presets import preset_config  # noqa: E402


def window_rate(cfg: Config, steps: int, tab: str) -> dict:
    from gui.main_window import MainWindow
    window = MainWindow(cfg.replace(max_steps=WARMUP_STEPS + steps))
    window.resize(1280, 800)
    window.show()
    wait_for(lambda: window.run.status is not None)
    if tab == "Layers":
        window.tabs.setCurrentWidget(window.workbench.layers.view)
    window.control.step(WARMUP_STEPS)
    wait_for(lambda: window.run.status.step == WARMUP_STEPS)
    result = train_flat_out(window)
    window.close()
    wait_for(lambda: window.session.is_stopped)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--data", default=None)
    p.add_argument("--no-batchnorm", action="store_true", help="the lecture's commented-out net, gain 5/3")
    args = p.parse_args()
    torch.set_num_threads(1)
    from PySide6.QtWidgets import QApplication
    app = QApplication([])  # noqa: F841 (kept alive for the windows)
    path = args.data or default_names_path()
    source = str(path) if Path(path).is_file() else "builtin"
    cfg = preset_config("lecture-deep").replace(data=source)
    if args.no_batchnorm:
        cfg = cfg.replace(batchnorm=False, w1_gain=5 / 3)
    ds = Dataset.load(source, cfg.block_size)
    Xtr, Ytr = ds.splits["train"]
    best = {"lecture": 0.0, "headless": 0.0, "Live": 0.0, "Layers": 0.0}
    fps = {"Live": 0.0, "Layers": 0.0}
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        lecture_run(Xtr, Ytr, len(ds.vocab), args.steps, batchnorm=cfg.batchnorm, gain=cfg.w1_gain)
        best["lecture"] = max(best["lecture"], args.steps / (time.perf_counter() - t0))
        best["headless"] = max(best["headless"], headless_rate(cfg, ds, args.steps))
        for tab in ("Live", "Layers"):
            r = window_rate(cfg, args.steps, tab)
            if r["rate"] > best[tab]:
                best[tab], fps[tab] = r["rate"], r["fps"]
    ref = best["lecture"]
    net = "no BatchNorm, gain 5/3" if args.no_batchnorm else "5 x [Linear, BatchNorm1d, Tanh] of 100"
    print(f"lecture's deep net ({net}) on {Path(source).name}, {args.steps:,} steps x {args.rounds} rounds, "
          f"platform {os.environ['QT_QPA_PLATFORM']}, best of each")
    print(f"lecture's own loop         {ref:7.0f} steps/s  1.00x")
    print(f"Trainer headless           {best['headless']:7.0f} steps/s  {best['headless'] / ref:.2f}x")
    for tab in ("Live", "Layers"):
        print(f"window, {tab + ' tab shown':18s} {best[tab]:7.0f} steps/s  {best[tab] / ref:.2f}x "
              f"({best[tab] / best['headless']:.2f}x headless, {fps[tab]:.0f} frames/s)")


if __name__ == "__main__":
    main()
