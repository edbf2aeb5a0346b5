"""Guards on the installed stack."""
import sys

import pytest


def test_pyside_does_not_leak_none_references():
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of a C++
    function returning void; the interpreter then aborts (none_dealloc). Keep it out."""
    from PySide6.QtCore import QObject

    obj = QObject()
    obj.setObjectName("warm-up")
    before = sys.getrefcount(None)
    for i in range(1000):
        obj.setObjectName(f"o{i}")
    after = sys.getrefcount(None)
    assert after >= before - 10, f"None lost {before - after} references over 1000 calls"


def test_core_never_imports_qt():
    import subprocess
    code = ("import sys, core.cli, core.checkpoint, core.runs.history, core.presets, core.sweeps.cli, "
            "core.sweeps.cluster_runner, core.sweeps.axes; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("package", ["torch", "PySide6"])
def test_pinned_versions(package):
    from importlib.metadata import version
    if package == "torch":
        assert version("torch").startswith("2.13.0")
    else:
        major, minor = (int(x) for x in version("PySide6-Essentials").split(".")[:2])
        assert (major, minor) == (6, 11)
