"""Soak: a long run with the window open, to see that memory stays flat and frames stay fast.

    python bench/soak.py [--steps 1000000] [--data PATH] [--report-every 0.1] [--no-load-check]

First (unless --no-load-check) it opens a 500,000-line, 5 MB word list in the window and
reports how long the load took and the longest gap in the GUI's event loop meanwhile (a
5 ms timer's ticks), i.e. whether the window froze. Then it trains --steps steps on names.txt
(or the built-in names) with the window open, offscreen unless QT_QPA_PLATFORM says
otherwise, and prints along the way and at the end:

  - RSS now and its peak (VmRSS / VmHWM of /proc/self/status), MiB;
  - the frame time: how long the window's frame (taking the worker's numbers and drawing
    them) takes, median and p99 over the last stretch, and a full repaint of the plots
    (grab of the centre widget), at the start and at the end;
  - the event loop's p99 gap and the steps per second.

1,000,000 steps take ~15 min at ~1,200 steps/s on 2 cores.
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
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp(prefix="soak-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.window_helpers import wait_for  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import default_names_path  # noqa: E402

TICK_MS = 5


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MiB."""
    now = peak = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return now, peak


class Probe:
    """Times every frame the window draws and the gaps between ticks of a 5 ms timer."""

    def __init__(self, window):
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer
        self.window = window
        self.frames: list[float] = []      # ms per draw_frame
        self.gaps: list[float] = []        # ms between ticks
        window.timer.timeout.disconnect(window.draw_frame)
        window.timer.timeout.connect(self._timed_frame)
        self.clock = QElapsedTimer()
        self.clock.start()
        self.tick = QTimer()
        self.tick.setTimerType(Qt.TimerType.PreciseTimer)
        self.tick.timeout.connect(self._on_tick)
        self.tick.start(TICK_MS)

    def _timed_frame(self) -> None:
        t0 = time.perf_counter()
        self.window.draw_frame()
        self.frames.append((time.perf_counter() - t0) * 1000)

    def _on_tick(self) -> None:
        self.gaps.append(self.clock.restart())

    def take(self) -> dict:
        """Statistics since the last take."""
        frames, gaps = np.array(self.frames or [0.0]), np.array(self.gaps[1:] or [0.0])
        self.frames, self.gaps = [], []
        return {"frame_median": float(np.median(frames)), "frame_p99": float(np.percentile(frames, 99)),
                "frames": len(frames), "gap_p99": float(np.percentile(gaps, 99)), "gap_max": float(gaps.max())}

    def stop(self) -> None:
        self.tick.stop()


def repaint_ms(window, times: int = 5) -> float:
    """Median time to paint the live plots in full (what a frame costs Qt, with the GIL free)."""
    out = []
    for _ in range(times):
        t0 = time.perf_counter()
        window.tabs.currentWidget().grab()
        out.append((time.perf_counter() - t0) * 1000)
    return float(np.median(out))


def load_check(window, folder: Path) -> None:
    """Open a 5 MB, 500,000-line list in the window; report the load time and the event loop."""
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    body = letters[rng.integers(0, 26, size=(500_000, 9))]
    path = folder / "big.txt"
    path.write_bytes(np.concatenate([body, np.full((500_000, 1), 10, dtype=np.uint8)], axis=1).tobytes())
    probe = Probe(window)
    progress = []
    window.statusBar().messageChanged.connect(lambda m: progress.append(m) if m.endswith("%") else None)
    run = window.run.info.run_id
    t0 = time.perf_counter()
    window.control.use_dataset(str(path))
    wait_for(lambda: window.run.info.run_id != run, 120)
    took = time.perf_counter() - t0
    stats = probe.take()
    probe.stop()
    window.timer.timeout.disconnect(probe._timed_frame)
    window.timer.timeout.connect(window.draw_frame)
    print(f"load 500,000 lines (5 MB): {took:.2f} s, {len(progress)} progress messages, event loop while "
          f"loading: p99 gap {stats['gap_p99']:.0f} ms, max {stats['gap_max']:.0f} ms", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--data", default=None, help="word list (default names.txt if found, else built-in)")
    p.add_argument("--report-every", type=float, default=0.1, help="report after each this fraction of the run")
    p.add_argument("--no-load-check", action="store_true", help="skip opening the 5 MB word list first")
    args = p.parse_args()
    data = args.data or (str(default_names_path()) if default_names_path().is_file() else "builtin")
    torch.set_num_threads(1)
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    app = QApplication([])  # noqa: F841 (kept alive for the window)
    print(f"soak: {args.steps:,} steps on {Path(data).name}, platform {os.environ['QT_QPA_PLATFORM']}", flush=True)
    rss0, _ = rss_mib()
    print(f"RSS before the window: {rss0:.0f} MiB", flush=True)

    window = MainWindow(Config(data=data, max_steps=args.steps))
    window.resize(1280, 800)
    window.show()
    wait_for(lambda: window.run.status is not None, 120)
    if not args.no_load_check:
        with tempfile.TemporaryDirectory() as folder:
            load_check(window, Path(folder))
        run = window.run.info.run_id
        window.control.use_dataset(data)
        wait_for(lambda: window.run.info.run_id != run and window.run.status.run_id != run, 120)

    probe = Probe(window)
    marks = [int(args.steps * f) for f in np.arange(args.report_every, 1.0 + 1e-9, args.report_every)]
    first_mark = min(10_000, args.steps)
    t_start = time.perf_counter()
    window.control.start()
    wait_for(lambda: window.run.status.step >= first_mark, 600)
    start = probe.take()
    start["repaint"] = repaint_ms(window)
    rss_start, _ = rss_mib()
    print(f"start (first {first_mark:,} steps): frame median {start['frame_median']:.1f} ms, "
          f"p99 {start['frame_p99']:.1f} ms, full repaint {start['repaint']:.1f} ms, event loop p99 "
          f"{start['gap_p99']:.0f} ms; RSS {rss_start:.0f} MiB", flush=True)
    last_step, last_t = window.run.status.step, time.perf_counter()
    history, stats = [], start
    for mark in marks:
        wait_for(lambda m=mark: window.run.status.step >= m or window.run.status.done, 3600)
        if window.run.status.done:
            break   # the last stretch is reported below, before the end-of-run evaluation grows the heap
        stats = probe.take()
        now, peak = rss_mib()
        t = time.perf_counter()
        rate, fps = (window.run.status.step - last_step) / (t - last_t), stats["frames"] / (t - last_t)
        last_step, last_t = window.run.status.step, t
        history.append(now)
        print(f"step {window.run.status.step:>9,}: RSS {now:6.0f} MiB (peak {peak:.0f}), frame median "
              f"{stats['frame_median']:.1f} ms p99 {stats['frame_p99']:.1f} ms, {fps:.0f} frames/s, event loop "
              f"p99 {stats['gap_p99']:.0f} ms max {stats['gap_max']:.0f} ms, {rate:,.0f} steps/s", flush=True)
    elapsed = time.perf_counter() - t_start
    end = probe.take() if probe.frames else stats   # the frames of the last stretch of training
    if end["frames"] < 10:
        end = stats
    end_rss, end_peak = rss_mib()
    end["repaint"] = repaint_ms(window)
    n_points = len(window.live.loss_plot.curve.step_xy()[0])
    print(f"end ({window.run.status.step:,} steps in {elapsed / 60:.1f} min, {window.run.status.step / elapsed:,.0f} "
          f"steps/s): frame median {end['frame_median']:.1f} ms, p99 {end['frame_p99']:.1f} ms, full repaint "
          f"{end['repaint']:.1f} ms; loss curve {n_points:,} points; RSS {end_rss:.0f} MiB", flush=True)
    # the runs table evaluates a finished run on the whole train and val splits (in one piece, as the notebook)
    wait_for(lambda: not window.session.pending, 600)
    runs = window.workbench.runs
    wait_for(lambda: runs.current is not None and runs.current.record.val_loss is not None, 600)
    probe.stop()
    final, peak = rss_mib()
    growth = history[-1] - history[0] if len(history) > 1 else 0.0
    print(f"RSS: start of run {rss_start:.0f} MiB, while training {min(history, default=end_rss):.0f}-"
          f"{max(history, default=end_rss):.0f} MiB (+{growth:.0f} MiB from the first report to the last), at the "
          f"end {end_rss:.0f} MiB; peak {end_peak:.0f} MiB by the end of training (the 5 MB list's load, unless "
          f"skipped), {peak:.0f} MiB with the end-of-run evaluation; final {final:.0f} MiB", flush=True)
    print(f"frame time: start median {start['frame_median']:.1f} ms (p99 {start['frame_p99']:.1f}), repaint "
          f"{start['repaint']:.1f} ms -> end median {end['frame_median']:.1f} ms (p99 {end['frame_p99']:.1f}), "
          f"repaint {end['repaint']:.1f} ms", flush=True)
    window.close()


if __name__ == "__main__":
    main()
