"""makemore playground. `python main.py` opens the window; `python main.py --headless` trains in the terminal."""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sweep"]:
        from core.sweeps.cli import main as sweep_main
        return sweep_main(argv[1:])
    if "--headless" in argv or "-h" in argv or "--help" in argv:
        from core.cli import main as cli_main
        return cli_main(argv)
    from gui.app import main as gui_main
    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
