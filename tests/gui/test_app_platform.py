"""`make run` on a Linux desktop without the libraries Qt's xcb plugin needs: one line that says
which packages to install, before Qt gets the chance to abort with 'Could not load the Qt
platform plugin "xcb"'."""
import sys

import pytest

import gui.app
from gui.app import XCB_LIBRARIES, missing_xcb_packages

X11 = {"DISPLAY": ":0"}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux's")


def lacking(*sonames):
    return lambda soname: soname not in sonames


@linux_only
def test_the_missing_libraries_are_named_by_their_package():
    assert missing_xcb_packages([], X11, loads=lacking("libxcb-cursor.so.0")) == ["libxcb-cursor0"]
    assert missing_xcb_packages([], X11, loads=lacking("libxcb-icccm.so.4", "libxkbcommon-x11.so.0")) == \
        ["libxcb-icccm4", "libxkbcommon-x11-0"]
    assert missing_xcb_packages([], {**X11, "QT_QPA_PLATFORM": "xcb"}, loads=lacking("libxcb-xkb.so.1")) == \
        ["libxcb-xkb1"]
    assert missing_xcb_packages([], X11, loads=lacking()) == []


@linux_only
@pytest.mark.parametrize("qt_args, env", [
    ([], {}),                                                   # no X server: Qt will not use xcb
    ([], {**X11, "QT_QPA_PLATFORM": "offscreen"}),
    (["-platform", "offscreen"], {**X11, "QT_QPA_PLATFORM": "xcb"}),   # the argument wins
    ([], {**X11, "QT_QPA_PLATFORM": "wayland"}),
    ([], {**X11, "WAYLAND_DISPLAY": "wayland-0"}),              # a Wayland session: Qt's wayland plugin first
])
def test_no_check_when_qt_will_not_use_xcb(qt_args, env):
    assert missing_xcb_packages(qt_args, env, loads=lacking(*XCB_LIBRARIES)) == []


@linux_only
def test_the_window_refuses_to_start_with_one_line_naming_the_packages(monkeypatch, capsys):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(gui.app, "can_load", lacking("libxcb-cursor.so.0", "libxcb-keysyms.so.1"))
    assert gui.app.main([]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "libxcb-cursor0, libxcb-keysyms1" in err and "sudo apt install libxcb-cursor0 libxcb-keysyms1" in err
