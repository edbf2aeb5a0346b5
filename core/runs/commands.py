"""`main.py runs list|show|export|delete`: the run store from the terminal."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

from core.files import atomic_write
from core.runs.store import RunStore, StoredRun, StoreError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-db", metavar="PATH", help="the run store (default $MAKEMORE_RUNS_DB, else "
                   "$XDG_DATA_HOME/makemore-playground/runs.sqlite3)")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = sub.add_parser("list", help="every run, newest first, the lectures' reference rows last")
    ls.add_argument("--json", action="store_true", help="a JSON array, nothing else on stdout")
    ls.add_argument("--kind", help="window, headless, loss-log, sweep-trial or reference")
    ls.add_argument("--status", help="running, paused, finished, diverged or interrupted")
    ls.add_argument("--name", help="runs whose name holds this")
    ls.add_argument("--sweep", metavar="ID", help="the trials of one sweep")
    show = sub.add_parser("show", help="one run: settings, losses, live changes, samples")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="as JSON, nothing else on stdout")
    export = sub.add_parser("export", help="a run as JSON (FILE.json) or its loss curve as CSV (FILE.csv)")
    export.add_argument("id", type=int)
    export.add_argument("file")
    delete = sub.add_parser("delete", help="a run with its losses and weights")
    delete.add_argument("id", type=int)


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    store = RunStore.open_default(args.runs_db)
    if store.notice:
        print(f"main.py: {store.notice}", file=sys.stderr)
    try:
        return ACTIONS[args.action](store, args, out)
    finally:
        store.close()


def _get(store: RunStore, run_id: int) -> StoredRun:
    run = store.get_run(run_id)
    if run is None:
        raise StoreError(f"There is no run {run_id} in the run store {store.path}.")
    return run


def _loss(value) -> str:
    return "" if value is None else f"{value:.4f}"


def list_runs(store: RunStore, args, out) -> int:
    runs = store.list_runs(kind=args.kind, status=args.status, name=args.name, sweep_id=args.sweep)
    if args.json:
        json.dump([r.summary() for r in runs], out, indent=1)
        out.write("\n")
        return 0
    width = max([len(r.name) for r in runs] + [4])
    print(f"{'id':>5}  {'name':<{width}}  {'kind':<11}  {'status':<11}  {'steps':>9}  {'train':>6}  "
          f"{'val':>6}  started", file=out)
    for r in runs:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started))
        print(f"{r.id:>5}  {r.name:<{width}}  {r.kind:<11}  {r.status:<11}  {r.steps:>9,}  {_loss(r.train):>6}  "
              f"{_loss(r.val):>6}  {started}", file=out)
    return 0


def details(store: RunStore, run: StoredRun) -> dict:
    out = run.summary()
    out["split_losses"] = [{"split": s, "loss": loss, "step": step} for s, loss, step in store.split_losses(run.id)]
    out["live_changes"] = [{"step": step, "setting": k, "old": old, "new": new}
                           for step, k, old, new in store.live_changes(run.id)]
    out["samples"] = store.samples(run.id)
    out["has_weights"] = store.load_weights(run.id) is not None
    out["note"] = run.note
    return out


def show(store: RunStore, args, out) -> int:
    run = _get(store, args.id)
    d = details(store, run)
    if args.json:
        json.dump(d, out, indent=1)
        out.write("\n")
        return 0
    print(f"run {run.id}: {run.name} ({run.kind}, {run.status}, {run.steps:,} steps)", file=out)
    if run.note:
        print(run.note, file=out)
    for key in ("engine", "device", "lr", "sweep_name"):
        if d[key] is not None:
            print(f"{key}: {d[key]}", file=out)
    for s in d["split_losses"]:
        print(f"{s['split']} {s['loss']!r} (at step {s['step']:,})", file=out)
    for c in d["live_changes"]:
        print(f"step {c['step']:,}: {c['setting']} {c['old']} -> {c['new']}", file=out)
    if run.dataset:
        print("dataset: " + ", ".join(f"{k} {v}" for k, v in run.dataset.items()), file=out)
    if run.config:
        print("settings: " + ", ".join(f"{k} {v}" for k, v in run.config.items()), file=out)
    if d["samples"]:
        print("samples: " + " ".join(d["samples"]), file=out)
    print("weights: " + (f"kept (main.py --headless --load-run {run.id} continues it)"
                         if d["has_weights"] else "none"), file=out)
    return 0


def export(store: RunStore, args, out) -> int:
    run = _get(store, args.id)
    path = Path(args.file)
    losses = store.losses(run.id)
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["step", "log10_loss"])
        w.writerows((i, repr(float(v))) for i, v in enumerate(losses.tolist()))
        text = buf.getvalue()
    elif path.suffix.lower() == ".json":
        d = details(store, run)
        # the window's run JSON (RunRecord.to_json), with every step of the curve
        text = json.dumps({"run": run.id, "name": run.name, "started": run.started, "steps": run.steps,
                           "train_loss": run.train, "val_loss": run.val, "test_loss": run.test,
                           "config": run.config, **{k: d[k] for k in ("kind", "status", "dataset", "engine",
                                                                      "device", "live_changes", "samples")},
                           "loss_curve": {"step": list(range(len(losses))),
                                          "log10_loss": [None if v != v else round(v, 6) for v in losses.tolist()]}},
                          indent=1) + "\n"
    else:
        raise StoreError(f"Cannot tell what to write from {path.name!r}: name the file .json or .csv.")
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    print(f"run {run.id} written to {path}", file=sys.stderr)
    return 0


def delete(store: RunStore, args, out) -> int:
    run = _get(store, args.id)
    store.delete_run(run.id)
    print(f"run {run.id} ({run.name}) deleted", file=sys.stderr)
    return 0


ACTIONS = {"list": list_runs, "show": show, "export": export, "delete": delete}
