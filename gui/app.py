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


# Qt's own command-line options (single dash), and those of them that take a value
QT_OPTIONS_WITH_VALUE = frozenset({"-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-style",
                                   "-stylesheet", "-qwindowgeometry", "-qwindowtitle", "-qwindowicon", "-display",
                                   "-geometry", "-title", "-name", "-session", "-qmljsdebugger"})
WINDOW_ONLY_HEADLESS = (("save", "--save"), ("layer_stats", "--layer-stats"), ("load_run", "--load-run"),
                        ("no_record", "--no-record"))


def split_qt_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(ours, Qt's): Qt's options start with one dash (-platform offscreen, -style=fusion)."""
    ours, qt = [], []
    args = iter(argv)
    for arg in args:
        if arg.startswith("-") and not arg.startswith("--") and arg != "-h" and len(arg) > 2:
            qt.append(arg)
            value = next(args, None) if arg in QT_OPTIONS_WITH_VALUE else None
            if value is not None:
                qt.append(value)
        else:
            ours.append(arg)
    return ours, qt


def no_display(qt_args: list[str], env=os.environ) -> bool:
    """True where Qt would look for an X11 or Wayland display and there is none (over SSH
    without -X): Qt would abort with a misleading message about xcb libraries."""
    platform = qt_platform(qt_args, env).split(":")[0]
    if not sys.platform.startswith("linux") or platform not in ("", "xcb", "wayland"):
        return False
    if platform == "xcb":
        return not env.get("DISPLAY")
    if platform == "wayland":
        return not env.get("WAYLAND_DISPLAY")
    return not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY")


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command line's options, read by the one parser --headless uses (core.cli), and
    what is left for Qt. An unknown option ends the program with argparse's message."""
    from core.cli import build_parser
    ours, qt_args = split_qt_args(argv)
    parser = build_parser()
    parser.set_defaults(samples=None, sample_seed=None, temperature=None)   # given, or the panel's as left
    args = parser.parse_args(ours)
    for name, flag in WINDOW_ONLY_HEADLESS:
        if getattr(args, name) not in (None, False):
            parser.error(f"{flag} is for --headless; in the window use the File menu")
    return args, qt_args


def initial_config(args: argparse.Namespace, settings: QSettings) -> Config:
    """The panels as they were left, with the command line's setup on top (the same options
    as --headless, in the same order: --config, --preset, then each option given)."""
    from core.cli import config_from_args
    from gui.settings import load_config
    return config_from_args(args, base=load_config(settings))


def main(argv: list[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    if no_display(qt_args):
        print("main.py: error: there is no display to open the window on ($DISPLAY is not set); "
              "train in the terminal with  python main.py --headless  (the same options)", file=sys.stderr)
        return 2
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
    except (ConfigError, ValueError) as e:
        print(f"main.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"main.py: error: {e.strerror or e}: {e.filename or ''}".rstrip(": ") + ".", file=sys.stderr)
        return 2
    window = MainWindow(config, settings)
    apply_window_options(window, args)
    window.show()
    # Ctrl+C in the terminal closes the window properly (the handler runs at the next frame)
    signal.signal(signal.SIGINT, lambda *_: window.close())
    return app.exec()


def apply_window_options(window, args: argparse.Namespace) -> None:
    """What the command line asks of the window beyond the setup: the sampling fields, and a
    checkpoint to continue from (--load) as its first run."""
    samples = window.samples
    for box, value in ((samples.count, args.samples), (samples.temperature, args.temperature),
                       (samples.seed, args.sample_seed)):
        if value is not None:
            box.setValue(value)
    if args.sample_seed is not None:
        samples.random.setChecked(False)
    if args.load:
        window.workbench.files.load_checkpoint(args.load)
