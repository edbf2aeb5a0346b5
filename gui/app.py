"""`python main.py [--data PATH]`: open the window."""
from __future__ import annotations

import argparse
import signal
import sys

from PySide6.QtCore import QSettings

from core.config import Config, ConfigError


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    p = argparse.ArgumentParser(prog="main.py", description="makemore playground: the window. "
                                "Use --headless to train in the terminal instead.")
    p.add_argument("--data", metavar="PATH", help="open with this word list (one name per line), "
                   "or 'builtin' for the built-in US names")
    p.add_argument("--config", metavar="FILE", help="open with a setup file (.toml or .json) saved by the app")
    return p.parse_known_args(argv)  # what is left is Qt's (-platform, -style, ...)


def initial_config(args: argparse.Namespace, settings: QSettings) -> Config:
    """The panels as they were left, with --data on top."""
    from .settings import load_config
    config = load_config(settings)
    if args.config:
        from core.config import load_config_file
        config = load_config_file(args.config, base=config)
    return config.replace(data=args.data) if args.data else config


def main(argv: list[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .settings import APPLICATION, ORGANISATION, open_settings

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
