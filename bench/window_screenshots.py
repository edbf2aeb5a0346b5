"""Screenshots of the real window, Layers tab shown, mid-run on names.txt: for each preset named,
1,500 steps taken as Step ×100 presses, then the window as a user sees it at 1280x800.
Run it on a screen (or under Xvfb: xvfb-run -s "-screen 0 1280x800x24" python bench/window_screenshots.py
lecture-deep no-bn-gain-3); writes resources/window_layers_<preset>.png, and with --live also
resources/window_live_<preset>.png (the Live tab following the last hidden layer), and for part 5's
presets resources/window_tree_<preset>.png (the left column scrolled to the net's tree, below the
Model panel)."""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MAKEMORE_PLAYGROUND_SETTINGS", tempfile.mkdtemp())   # never a user's settings

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.window_helpers import wait_for  # noqa: E402
from core.data import default_names_path  # noqa: E402
from core.presets import preset_config  # noqa: E402

STEPS = 1500


def wait(condition) -> None:
    """Until condition() holds, at most 120 s."""
    wait_for(condition, timeout_s=120)


def shoot(app, name: str, live: bool, out: Path) -> None:
    from gui.main_window import MainWindow
    cfg = preset_config(name).replace(data=str(default_names_path()))
    window = MainWindow(cfg)
    window.resize(1280, 800)
    window.show()
    wait(lambda: window.run.status is not None and window.run.info is not None)
    window.tabs.setCurrentWidget(window.workbench.layers.view)
    while window.run.status.step < STEPS:
        target = window.run.status.step + 100
        window.step100_action.trigger()
        wait(lambda t=target: window.run.status.step >= t and window.run.snapshot is not None
             and window.run.snapshot.step == t - 1)
    wait(lambda: window.workbench.layers.view.snapshot.step == window.run.status.step - 1)
    for _ in range(20):
        app.processEvents()
    stem = name.replace("-", "_")
    window.grab().save(str(out / f"window_layers_{stem}.png"))
    if live:
        window.tabs.setCurrentWidget(window.live)
        last = window.run.info.cfg.n_layers - 1
        window.live.choose_layer(last)
        wait(lambda: window.run.snapshot.layer == last)
        for _ in range(20):
            app.processEvents()
        window.grab().save(str(out / f"window_live_{stem}.png"))
    if window.run.info.cfg.layer_style == "wavenet":
        tree = window.setup.tree
        area = window.setup.parentWidget().parentWidget()    # the left column's scroll area
        area.ensureWidgetVisible(tree, 0, 40)
        for _ in range(20):
            app.processEvents()
        window.grab().save(str(out / f"window_tree_{stem}.png"))
    print(name, "step", window.run.status.step)
    window.close()
    wait(lambda: window.session.is_stopped)


def main(names: list[str]) -> None:
    live = "--live" in names
    app = QApplication(sys.argv[:1])
    out = Path(__file__).resolve().parent.parent / "resources"
    for name in (n for n in names if n != "--live"):
        shoot(app, name, live, out)


if __name__ == "__main__":
    main(sys.argv[1:])
