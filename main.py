"""makemore playground. `python main.py` opens the window; `python main.py --headless` trains in the terminal."""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from core.cli import main as cli_main
    from core.cli import wants_cli
    if wants_cli(argv):
        return cli_main(argv)
    from gui.app import main as gui_main
    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
