"""Run by test_window_close: open the window, train, close it mid-run, exit with Qt's code.
The test checks the exit code and that Qt never says "QThread: Destroyed"."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.config import Config  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402


def main() -> int:
    app = QApplication([])
    window = MainWindow(Config(data=sys.argv[1]))
    window.show()

    def close_when_training():
        s = window.run.status
        if s is not None and s.running and s.step > 200:
            print(f"closing at step {s.step}", flush=True)
            window.close()
        else:
            QTimer.singleShot(20, close_when_training)

    QTimer.singleShot(0, window.control.start)
    QTimer.singleShot(0, close_when_training)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
