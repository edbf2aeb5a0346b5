"""`python main.py [--data PATH]`: open the window."""
from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys

from PySide6.QtCore import QSettings

from core.config import Config, ConfigError

# What Qt's xcb platform plugin (libqxcb.so, libQt6XcbQpa.so) loads beyond a bare X11 system,
# by soname, with the Debian/Ubuntu package that ships it. Without one of them Qt prints
# 'Could not load the Qt platform plugin "xcb"' and aborts, which says nothing of what to install.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
}


def can_load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def qt_platform(qt_args: list[str], env=os.environ) -> str:
    """The platform plugin Qt will be asked for: -platform NAME, else $QT_QPA_PLATFORM ('' for Qt's default)."""
    if "-platform" in qt_args[:-1]:
        return qt_args[qt_args.index("-platform") + 1]
    return env.get("QT_QPA_PLATFORM", "")


def missing_xcb_packages(qt_args: list[str], env=os.environ, loads=None) -> list[str]:
    """The packages to install before Qt can open a window here through xcb (X11); [] when it
    can, or when Qt will not use xcb (another platform, no $DISPLAY, not Linux)."""
    platform = qt_platform(qt_args, env).split(":")[0]
    if not sys.platform.startswith("linux") or platform not in ("", "xcb") or not env.get("DISPLAY"):
        return []
    if not platform and env.get("WAYLAND_DISPLAY"):
        return []       # Qt tries its Wayland plugin first
    loads = loads or can_load
    return [package for soname, package in XCB_LIBRARIES.items() if not loads(soname)]


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    p = argparse.ArgumentParser(prog="main.py", description="makemore playground: the window. "
                                "Use --headless to train in the terminal instead.")
    p.add_argument("--data", metavar="PATH", help="open with this word list (one name per line), "
                   "or 'builtin' for the built-in US names")
    p.add_argument("--config", metavar="FILE", help="open with a setup file (.toml or .json) saved by the app")
    p.add_argument("--runs-db", metavar="PATH", help="the run store (default $MAKEMORE_RUNS_DB, else the "
                   "app's data folder)")
    return p.parse_known_args(argv)  # what is left is Qt's (-platform, -style, ...)


def initial_config(args: argparse.Namespace, settings: QSettings) -> Config:
    """The panels as they were left, with --data on top."""
    from gui.settings import load_config
    config = load_config(settings)
    if args.config:
        from core.config import load_config_file
        config = load_config_file(args.config, base=config)
    return config.replace(data=args.data) if args.data else config


def main(argv: list[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.runs_db:
        from core.runs.store import RUNS_DB_ENV
        os.environ[RUNS_DB_ENV] = args.runs_db      # the window's run store opens it
    if missing := missing_xcb_packages(qt_args):
        print(f"main.py: error: Qt cannot open a window on this X11 desktop without {', '.join(missing)}: "
              f"install them with  sudo apt install {' '.join(missing)}", file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from gui.settings import APPLICATION, ORGANISATION, open_settings

    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    settings = open_settings()
    try:
        config = initial_config(args, settings)
    except ConfigError as e:
        print(f"main.py: error: {e}", file=sys.stderr)
        return 2
    window = MainWindow(config, settings)
    window.show()
    # Ctrl+C in the terminal closes the window properly (the handler runs at the next frame)
    signal.signal(signal.SIGINT, lambda *_: window.close())
    return app.exec()
