"""Sweeps on both cores, in one command:

    python bench/bench_sweeps.py [--steps 20000] [--trials 4] [--data PATH] [--skip-window]

1. throughput: the same grid of `trials` trials x `steps` steps (the seed's net on names.txt,
   learning rates varied) run with --workers 1, then --workers 2; the ratio of their wall times
   (goal: 2 workers >= 1.6x as fast as 1, on a machine with 2 free cores);
2. the window: the same sweep with 2 workers from the Sweeps tab, while a 5 ms timer measures
   how long the event loop is kept from answering (goal: p99 < 30 ms).
Run store and journal in a temporary folder. Offscreen unless QT_QPA_PLATFORM says otherwise.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp(prefix="bench-sweeps-"))
os.environ["MAKEMORE_RUNS_DB"] = str(Path(tempfile.mkdtemp(prefix="bench-sweeps-")) / "runs.sqlite3")

import numpy as np  # noqa: E402

from core.data import default_names_path  # noqa: E402
from core.sweeps.session import open_sweep  # noqa: E402
from core.sweeps.spec import spec_from_dict  # noqa: E402

RATES = [0.05, 0.1, 0.2, 0.3, 0.03, 0.15, 0.25, 0.07]
TICK_MS = 5


def spec(name: str, data: str, steps: int, trials: int):
    return spec_from_dict({"name": name, "method": "grid", "steps": steps, "report_every": max(1, steps // 4),
                           "base": {"data": data}, "params": {"lr": RATES[:trials]}})


def sweep_seconds(name: str, data: str, steps: int, trials: int, workers: int) -> float:
    opened = open_sweep(spec(name, data, steps, trials), workers)
    try:
        t0 = time.perf_counter()
        rows = opened.sweep.run(threading.Event())
        seconds = time.perf_counter() - t0
    finally:
        opened.close()
    assert len(rows) == trials and all(r.state == "complete" for r in rows), rows
    return seconds


def window_p99(data: str, steps: int, trials: int) -> dict:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from bench.window_helpers import wait_for
    from core.config import Config
    from gui.main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Config(data=data))
    window.show()
    wait_for(lambda: window.run.info is not None)
    sweeps = window.workbench.sweeps
    window.tabs.setCurrentWidget(sweeps.tab)
    f = sweeps.form
    f.name.setText("bench-window")
    f.steps.setValue(steps)
    f.report_every.setValue(max(1, steps // 4))
    f.workers.setValue(2)
    f.params.setPlainText(f"lr = {RATES[:trials]}")
    gaps: list[float] = []
    clock, tick = QElapsedTimer(), QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.setInterval(TICK_MS)

    def on_tick():
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    tick.timeout.connect(on_tick)
    drains: list[float] = []          # the window's own work: taking the sweep's events and redrawing
    drain = sweeps.drain

    def timed_drain():
        t = time.thread_time()           # this thread's CPU time: its own work, not waiting for a core
        drain()
        drains.append((time.thread_time() - t) * 1000)

    sweeps.timer.timeout.disconnect()
    sweeps.timer.timeout.connect(timed_drain)
    ended = []
    sweeps.finished.connect(ended.append)
    t0 = time.perf_counter()
    sweeps.start()
    clock.start()
    tick.start()
    wait_for(lambda: bool(ended), timeout_s=3600)
    tick.stop()
    elapsed = time.perf_counter() - t0
    window.close()
    app.processEvents()
    g = np.array(gaps[1:])
    return {"p99": float(np.percentile(g, 99)), "max": float(g.max()), "ticks": len(g), "seconds": elapsed,
            "completed": ended[0], "drain_max": max(drains), "drain_p99": float(np.percentile(drains, 99))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--trials", type=int, default=4, choices=range(2, len(RATES) + 1))
    p.add_argument("--data", default=str(default_names_path()))
    p.add_argument("--skip-window", action="store_true")
    args = p.parse_args()
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    print(f"{os.cpu_count()} CPUs here; load average {os.getloadavg()[0]:.1f}", flush=True)
    sweep_seconds("warm-up", args.data, 200, 2, 2)     # the kernel loaded and the words split once, untimed
    one = sweep_seconds("one-worker", args.data, args.steps, args.trials, 1)
    two = sweep_seconds("two-workers", args.data, args.steps, args.trials, 2)
    steps = args.trials * args.steps
    print(f"{args.trials} trials x {args.steps:,} steps: 1 worker {one:.1f} s ({steps / one:,.0f} steps/s), "
          f"2 workers {two:.1f} s ({steps / two:,.0f} steps/s): {one / two:.2f}x ({ok(one / two >= 1.6)}, goal 1.6x)")
    if not args.skip_window:
        w = window_p99(args.data, args.steps, args.trials)
        print(f"window, 2-worker sweep from the Sweeps tab ({w['seconds']:.1f} s, {w['ticks']:,} ticks): event loop "
              f"p99 {w['p99']:.1f} ms ({ok(w['p99'] < 30)}, goal < 30 ms), max {w['max']:.1f} ms; the tab's own "
              f"CPU time per 100 ms: p99 {w['drain_p99']:.1f} ms, max {w['drain_max']:.1f} ms")


if __name__ == "__main__":
    main()
