"""Screenshots of the lectures' tools on names.txt, as a user sees them (issue 22):
resources/lr_finder.png (the finder on a fresh seed net), resources/embedding_2d.png and
resources/embedding_10d.png (the Embedding tab after 30,000 steps with n_embed 2 and 10, the
samples tagged), resources/grad_check.png (both engines after 1,000 steps).
Under Xvfb: xvfb-run -a -s "-screen 0 1280x800x24" python bench/lecture_tools_screenshots.py"""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp())   # never a user's settings

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.window_helpers import wait_for  # noqa: E402
from core.config import Config  # noqa: E402
from core.data import default_names_path  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "resources"
EMBEDDING_STEPS = 30_000


def wait(condition) -> None:
    """Until condition() holds, at most 300 s."""
    wait_for(condition, timeout_s=300)


def settle(app) -> None:
    for _ in range(30):
        app.processEvents()


def window_for(app, **changes):
    from gui.main_window import MainWindow
    window = MainWindow(Config(data=str(default_names_path()), **changes))
    window.resize(1280, 800)
    window.show()
    wait(lambda: window.run.status is not None and window.run.info is not None)
    window.tools.speed.set_pace(None)
    return window


def step_to(app, window, steps: int) -> None:
    window.control.step(steps - window.run.status.step)
    wait(lambda: window.run.status.step >= steps)


def close(app, window) -> None:
    window.close()
    wait(lambda: window.session.is_stopped)


def finder(app) -> None:
    window = window_for(app)
    dialog = window.tools.open_finder()
    wait(lambda: dialog.apply_button.isEnabled())
    settle(app)
    dialog.grab().save(str(OUT / "lr_finder.png"))
    print("finder:", dialog.verdict.text())
    close(app, window)


def embedding(app, n_embed: int) -> None:
    window = window_for(app, n_embed=n_embed)
    step_to(app, window, EMBEDDING_STEPS)
    view = window.tools.embedding
    window.tabs.setCurrentWidget(view)
    wait(lambda: view.step == EMBEDDING_STEPS)
    view.neighbours.setText(view.neighbours_of(window.run.info.vocab.index("a")) + " (hover shows this)")
    window.samples.request()
    wait(lambda: window.samples.names.count() == 20 and window.tools.novelty.summary.text() != "")
    settle(app)
    window.grab().save(str(OUT / f"embedding_{n_embed}d.png"))
    print(f"embedding {n_embed}:", window.tools.novelty.summary.text())
    close(app, window)


def grad_check(app) -> None:
    window = window_for(app)
    step_to(app, window, 1000)
    dialog = window.tools.open_grad_check()
    wait(lambda: len(dialog.checks) >= 1)
    settle(app)
    dialog.grab().save(str(OUT / "grad_check.png"))
    print("\n".join(line for c in dialog.checks for line in c.lines))
    close(app, window)


def main() -> None:
    app = QApplication(sys.argv[:1])
    finder(app)
    embedding(app, 2)
    embedding(app, 10)
    grad_check(app)


if __name__ == "__main__":
    main()
