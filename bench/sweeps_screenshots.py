"""Screenshots of the Sweeps tab mid-sweep and finished: a 3x3 grid of lr x n_hidden on names.txt
(`xvfb-run -a python bench/sweeps_screenshots.py [--steps N] [--out DIR]`). The run store and the
journal go to a temporary folder unless MAKEMORE_RUNS_DB says otherwise."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = p.parse_args()
    os.environ.setdefault("MAKEMORE_RUNS_DB", str(Path(tempfile.mkdtemp()) / "runs.sqlite3"))
    os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp())
    from PySide6.QtWidgets import QApplication

    from core.config import Config
    from core.data import default_names_path
    from gui.main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Config(data=str(default_names_path())))
    window.resize(1600, 1000)
    window.show()
    window.splitter.setSizes([0, 1600, 0])       # the tab's room, as a user gives it
    sweeps = window.workbench.sweeps
    window.tabs.setCurrentWidget(sweeps.tab)
    form = sweeps.form
    form.name.setText(f"lr-and-width-{int(time.time())}")
    form.method.setCurrentText("grid")
    form.steps.setValue(args.steps)
    form.report_every.setValue(max(1, args.steps // 10))
    form.workers.setValue(args.workers)
    form.params.setPlainText("lr = [0.03, 0.1, 0.3]\nn_hidden = [50, 100, 200]\n")
    sweeps.start()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mid = False
    while sweeps.running or sweeps.job.events.qsize():
        app.processEvents()
        done = sum(r.state == "complete" for r in sweeps.rows.values())
        if not mid and done >= 4:
            app.processEvents()
            window.grab().save(str(out / "sweeps_mid.png"))
            mid = True
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    sweeps.tab.select_trial(min(sweeps.rows.values(), key=lambda r: r.val if r.val is not None else 9).number)
    app.processEvents()
    window.grab().save(str(out / "sweeps_finished.png"))
    print(f"saved {out / 'sweeps_mid.png'} and {out / 'sweeps_finished.png'}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
