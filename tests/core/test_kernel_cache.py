"""The fast kernel's numba cache never stops the app: without a writable folder it compiles
without one, and a damaged cache file is deleted and compiled afresh (issue 19, items 1 and 7).
Each case runs main.py in a fresh process, as a user would start it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADLESS = ["--headless", "--steps", "300", "--batch-size", "8", "--n-hidden", "20", "--samples", "2"]


def run_main(args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def clean_env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update(changes)
    return env


def read_only_copy(tmp_path: Path, small_filesystem) -> Path:
    """main.py and core/ in a folder nobody can write to, root included (a read-only mount)."""
    folder = small_filesystem("32m") if os.geteuid() == 0 else tmp_path / "ro"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "main.py", folder / "main.py")
    shutil.copytree(ROOT / "core", folder / "core", ignore=shutil.ignore_patterns("__pycache__"))
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    else:
        for path in sorted(folder.rglob("*"), reverse=True) + [folder]:
            path.chmod(path.stat().st_mode & ~0o222)
    assert not os.access(folder, os.W_OK) or os.geteuid() == 0
    return folder


def test_everything_starts_without_a_writable_cache_folder(tmp_path, small_filesystem):
    checkout = read_only_copy(tmp_path, small_filesystem)
    env = clean_env(HOME=str(checkout), PYTHONPATH=str(checkout))   # HOME read-only too
    helped = run_main(["--help"], checkout, env)
    assert helped.returncode == 0, helped.stderr
    assert "usage" in helped.stdout
    exact = run_main([*HEADLESS, "--engine", "exact"], checkout, env)
    assert exact.returncode == 0, exact.stderr
    assert "val " in exact.stdout
    fast = run_main(HEADLESS, checkout, env)
    assert fast.returncode == 0, fast.stderr
    assert "val " in fast.stdout
    # said once, naming where it looked and how to choose a folder
    said = [line for line in fast.stderr.splitlines() if "cannot be cached" in line]
    assert len(said) == 1 and "NUMBA_CACHE_DIR" in said[0] and str(checkout) in said[0]


def test_a_damaged_cache_file_is_deleted_and_compiled_afresh(tmp_path):
    cache = tmp_path / "cache"
    env = clean_env(NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    first = run_main(HEADLESS, ROOT, env)
    assert first.returncode == 0, first.stderr
    indexes = sorted(cache.rglob("fast_kernel.*.nbi"))
    data = sorted(cache.rglob("fast_kernel.*.nbc"))
    assert indexes and data
    # what a crash while numba writes can leave: an empty index, a data file of garbage
    indexes[0].write_bytes(b"")
    for path in data:
        path.write_bytes(os.urandom(200))
    again = run_main(HEADLESS, ROOT, env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout             # the same run, nothing lost
    assert "damaged" in again.stderr and str(cache) in again.stderr
    third = run_main(HEADLESS, ROOT, env)          # the cache was written afresh: silent now
    assert third.returncode == 0 and "damaged" not in third.stderr, third.stderr
