"""`main.py sweep SPEC.toml [--workers N] [--cluster ADDR] [--resume] [--json]`.

Progress (a bar with trials done / total and the ETA) goes to stderr; a line per finished trial and
then the table sorted by the metric go to stdout, or with --json only the trials as a JSON array.
"""
from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from contextlib import contextmanager

from core.sweeps.local_runner import default_workers
from core.sweeps.search import sweep_id
from core.sweeps.session import open_sweep
from core.sweeps.spec import load_spec
from core.sweeps.sweep import Sweep, TrialRow

BAR = 30


def build_parser() -> argparse.ArgumentParser:
    from core.cli import OneLineParser
    p = OneLineParser(prog="main.py sweep", description="Run a sweep: many trainings of one setup with some "
                      "settings varied, searched by Optuna; each trial is a run in the run store.")
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep spec (see docs/sweeps.md)")
    p.add_argument("--workers", type=_workers, default=None,
                   help=f"trials at once on this machine (default: the number of cores, {default_workers()})")
    p.add_argument("--cluster", metavar="ADDR", help="run the trials on a Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--resume", action="store_true", help="go on with the sweep of this name where it stopped")
    p.add_argument("--json", action="store_true", help="print only the trials, as a JSON array, on stdout")
    p.add_argument("--runs-db", metavar="PATH", help="the run store (default: $MAKEMORE_RUNS_DB or the "
                   "app's data folder); the sweep's journal sits beside it")
    return p


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 256:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 256, not {text!r}")
    return n


class Progress:
    """The bar on stderr (redrawn in place on a terminal) and a line per finished trial."""

    def __init__(self, sweep: Sweep, out, quiet: bool):
        self.sweep, self.out, self.quiet = sweep, out, quiet
        self.began, self.done_at_start = time.monotonic(), sweep.done()
        self.tty = sys.stderr.isatty()

    def __call__(self, kind: str, row: TrialRow) -> None:
        if kind != "finished":
            return
        val = "" if row.val is None else f" {self.sweep.spec.metric} {row.val:.4f}"
        why = f" ({row.reason.split('. ')[0]})" if row.reason and row.state != "complete" else ""
        run = f" (run {row.run_id})" if row.run_id is not None else ""
        line = f"trial {row.number:3d} {row.state:<11s}{val} after {row.steps:,} steps{run}: {_params(row.params)}{why}"
        if self.tty:
            print("\r\033[K", end="", file=sys.stderr)
        print(line, file=sys.stderr if self.quiet else self.out, flush=True)
        self.bar()

    def bar(self) -> None:
        done, total = self.sweep.done(), self.sweep.total
        fill = BAR * done // max(1, total)
        ran = done - self.done_at_start
        elapsed = time.monotonic() - self.began
        eta = f"ETA {_duration(elapsed / ran * (total - done))}" if ran and done < total else \
            ("done" if done >= total else "ETA …")
        text = f"[{'#' * fill}{'.' * (BAR - fill)}] {done}/{total} trials, {eta}"
        print(("\r\033[K" + text) if self.tty else text, end="" if self.tty else "\n", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    s = int(math.ceil(seconds))
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _params(params: dict) -> str:
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def table(rows: list[TrialRow], metric: str) -> list[str]:
    """The trials sorted by the metric (those without one last)."""
    rows = sorted(rows, key=lambda r: (r.val is None, r.val if r.val is not None else 0, r.number))
    names = sorted({k for r in rows for k in r.params}, key=lambda k: list(rows[0].params).index(k)
                   if rows and k in rows[0].params else 99)
    head = f"{'trial':>5s} {'state':<11s} {metric:>8s} {'steps':>8s} {'run':>5s}  " + "  ".join(
        f"{n:>10s}" for n in names)
    lines = [head]
    for r in rows:
        val = f"{r.val:8.4f}" if r.val is not None else f"{'-':>8s}"
        cells = "  ".join(f"{_cell(r.params.get(n)):>10s}" for n in names)
        lines.append(f"{r.number:5d} {r.state:<11s} {val} {r.steps:8,d} {r.run_id or '-':>5}  {cells}")
    return lines


def _cell(v) -> str:
    return "" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


@contextmanager
def ctrl_c_stops(stop: threading.Event):
    """Ctrl+C sets `stop`, so the sweep ends between two of its writes (trials that were running
    recorded as interrupted) instead of a KeyboardInterrupt landing inside one; a second Ctrl+C
    interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    spec = load_spec(args.spec)
    opened = open_sweep(spec, args.workers, args.cluster, args.resume, args.runs_db)
    stop = threading.Event()
    try:
        sweep, runner = opened.sweep, opened.runner
        progress = Progress(sweep, out, quiet=args.json)
        sweep.on_event = progress
        print(f"sweep {spec.name!r} (id {sweep_id(sweep.study)}: main.py runs list --sweep ID): {spec.method}, "
              f"{spec.trials} trials of {spec.steps:,} steps on {runner.where} ({runner.slots()} at once)",
              file=sys.stderr)
        progress.bar()
        with ctrl_c_stops(stop):
            rows = sweep.run(stop)
        if stop.is_set():
            print("\nstopped: the finished trials are kept; go on with --resume", file=sys.stderr)
            return 130
    finally:
        opened.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=1), file=out)
    else:
        print("\n".join(table(rows, spec.metric)), file=out)
    return 0

