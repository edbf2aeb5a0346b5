"""Fixtures for the window tests: settings in a temp dir, a small word list, and windows
that are always closed (and their training thread stopped) at the end of a test."""
from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QSettings

from core.config import Config
from gui.settings import SETTINGS_DIR_ENV, open_settings
from gui.workbench.speed import SLOW_START_KEY

pytest.register_assert_rewrite("window_helpers", "fault_helpers", "stand_ins")   # their waits say what they saw
from window_helpers import WAIT_MS  # noqa: E402


@pytest.fixture(autouse=True)
def temp_settings(tmp_path, monkeypatch):
    """Every test gets its own settings folder; a user's real settings are never touched."""
    folder = tmp_path / "settings"
    folder.mkdir()
    monkeypatch.setenv(SETTINGS_DIR_ENV, str(folder))
    # a fresh window's first run would take its first steps in slow motion (gui/workbench/speed.py);
    # the tests of that turn it back on, the others train flat out from the start
    settings = open_settings()
    settings.setValue(SLOW_START_KEY, False)
    settings.sync()
    return folder


@pytest.fixture(scope="session")
def words_path(tmp_path_factory):
    """300 made-up words over 10 letters: loads in milliseconds, trains like the real thing."""
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 7))) for _ in range(300)]
    path = tmp_path_factory.mktemp("data") / "words.txt"
    path.write_text("\n".join(words) + "\n")
    return path


@pytest.fixture
def make_window(qtbot, words_path, temp_settings):
    from gui.main_window import MainWindow
    windows = []

    def make(settings: QSettings | None = None, saved: bool = False, **changes):
        """A window on the small word list with `changes`, or (saved=True) as the settings left it."""
        cfg = None if saved else Config(**{"data": str(words_path), **changes})
        window = MainWindow(cfg, settings)
        windows.append(window)
        window.show()
        def check():
            assert window.run.info is not None and window.run.status is not None, "the first Reset has not come back"
        qtbot.waitUntil(check, timeout=WAIT_MS)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.session.is_stopped, "closing the window must stop the training thread"
        window.deleteLater()


@pytest.fixture
def window(make_window):
    return make_window()
