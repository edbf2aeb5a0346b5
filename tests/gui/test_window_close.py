"""Closing the window while it trains stops the worker cleanly."""
import os
import subprocess
import sys
from pathlib import Path

from window_helpers import wait_status

SCRIPT = Path(__file__).with_name("close_mid_run.py")


def test_closing_mid_run_in_a_fresh_process(words_path, temp_settings):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, str(SCRIPT), str(words_path)], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "closing at step" in out.stdout
    assert "QThread" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_closing_mid_run_stops_the_thread(qtbot, window):
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.running and s.step > 50)
    window.close()
    assert window.session.is_stopped and not window.isVisible()
