"""The Runs tab after a restart, as a user sees it: a first window trains three short runs on
names.txt (the seed notebook's settings, a higher learning rate, no BatchNorm) and closes; a
second window on the same run store shows them with the lectures' reference rows, two of them
overlaid. Under Xvfb:

    xvfb-run -a -s "-screen 0 1280x800x24" python bench/runs_screenshot.py [--steps 5000]

writes resources/window_runs_after_restart.png (a fresh store in a temporary folder: never
the user's)."""
import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp())   # never a user's settings
os.environ["MAKEMORE_RUNS_DB"] = str(Path(tempfile.mkdtemp()) / "runs.sqlite3")

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.window_helpers import wait_for  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import default_names_path  # noqa: E402


def wait(condition) -> None:
    """Until condition() holds, at most 300 s."""
    wait_for(condition, timeout_s=300)


def first_session(app, steps: int) -> None:
    from gui.main_window import MainWindow
    base = Config(data=str(default_names_path()), max_steps=steps)
    window = MainWindow(base)
    window.show()
    wait(lambda: window.run.status is not None and window.run.info is not None)
    evaluated = []
    window.workbench.runs.evaluated.connect(evaluated.append)
    for cfg in (base, base.replace(lr=0.2), base.replace(batchnorm=False)):
        if cfg is not base:
            window.control.reset(cfg)
            wait(lambda c=cfg: window.run.info.cfg == c and window.run.status.step == 0)
        evaluated.clear()
        window.start_action.trigger()
        wait(lambda: window.run.status.done and evaluated)
    window.close()
    wait(lambda: window.session.is_stopped)


def second_session(app, out: Path) -> None:
    from gui.main_window import MainWindow
    window = MainWindow(Config(data=str(default_names_path())))
    window.resize(1280, 800)
    window.show()
    wait(lambda: window.run.status is not None and window.run.info is not None)
    wb = window.workbench
    window.tabs.setCurrentWidget(wb.runs.runs_tab)
    past = [r for r in wb.runs.run_log.runs if r.past]
    wb.runs.runs_tab.select([past[0].run_id, past[1].run_id, past[2].run_id])
    for _ in range(30):
        app.processEvents()
    window.grab().save(str(out))
    print("past runs:", [(r.number, r.name, r.steps, r.val_loss) for r in past])
    window.close()
    wait(lambda: window.session.is_stopped)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=5000)
    args = p.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    first_session(app, args.steps)
    out = Path(__file__).resolve().parent.parent / "resources" / "window_runs_after_restart.png"
    second_session(app, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
