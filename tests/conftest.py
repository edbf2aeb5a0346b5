"""Shared test configuration: offscreen Qt, one torch thread, and the names.txt fixture."""
import os

# Set before Qt is imported anywhere: tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

from core.data import NAMES_ENV, default_names_path  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def temporary_run_store(tmp_path_factory, monkeypatch):
    """Every test's run store is a fresh file in a temporary folder: MAKEMORE_RUNS_DB points
    there (child processes inherit it), so no test reads or writes the user's store."""
    path = tmp_path_factory.mktemp("runs") / "runs.sqlite3"
    monkeypatch.setenv("MAKEMORE_RUNS_DB", str(path))
    monkeypatch.setenv("XDG_DATA_HOME", str(path.parent / "xdg-data"))
    return path


@pytest.fixture(scope="session")
def names_path():
    """names.txt from ../shared/data or $MAKEMORE_NAMES. In CI (CI=true) its absence is an
    error, so the reproduction tests can never pass by being skipped."""
    path = default_names_path()
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"names.txt not found at {path}; set {NAMES_ENV}")
        pytest.skip(f"names.txt not found at {path}; set {NAMES_ENV} to run this test")
    return path


@pytest.fixture(scope="session")
def names_dataset(names_path):
    from core.data import Dataset
    return Dataset.load(str(names_path), 3)


@pytest.fixture
def small_filesystem(tmp_path):
    """mount(size="16k", read_only=False) -> a folder on a real tmpfs of that size (as root), so
    full-disk and read-only failures are the kernel's, not a simulation. Skips, saying why,
    where mounting is impossible."""
    import subprocess
    mounted = []

    def mount(size: str = "16k", read_only: bool = False):
        folder = tmp_path / f"fs{len(mounted)}"
        folder.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a {size} tmpfs here (needs root and mount): {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
