"""Files the app reads and writes: only regular files of a sane size are read, and every file
is written whole or not at all, with the permissions the user's umask asks for."""
from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    try:
        with open("/proc/self/status") as f:       # reading it leaves the process's umask alone
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def not_regular(path: Path) -> str | None:
    """Why path is no file to read whole (a FIFO, a device, a socket), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None          # the caller's open says what is wrong, in its words
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"{path} is {kind}, not a file; choose a regular text file."


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. ValueError (with a sentence for a
    person) for anything else; OSError as open and read raise it."""
    if (problem := not_regular(path)) is not None:
        raise ValueError(problem)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise ValueError(f"{path.name} is {size / 2**20:,.0f} MiB; files of at most "
                             f"{limit / 2**20:,.0f} MiB can be opened.")
        raw = f.read(limit + 1)         # a file still growing is cut off here, not read for ever
    if len(raw) > limit:
        raise ValueError(f"{path.name} is larger than {limit / 2**20:,.0f} MiB; files of at most "
                         f"{limit / 2**20:,.0f} MiB can be opened.")
    return raw


class _Recording:
    """A file object that remembers the OSError a write raised: torch's zip writer turns it
    into a RuntimeError that no longer says why ("No space left on device")."""

    def __init__(self, f: BinaryIO):
        self.f, self.error = f, None

    def write(self, data) -> int:
        try:
            return self.f.write(data)
        except OSError as e:
            self.error = e
            raise

    def flush(self) -> None:
        self.f.flush()

    def __getattr__(self, name):
        return getattr(self.f, name)


def check_writable(path: str | os.PathLike, what: str = "file") -> None:
    """Raise OSError (with its reason) now if `path` cannot be written: a folder, a missing
    or read-only folder. Tries a real file beside it, since permissions alone do not tell
    (root, read-only mounts)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, f"Cannot save the {what}: it is a folder", str(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, f"Cannot save the {what}: the folder {folder.resolve()} does not exist",
                                str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as e:
        raise OSError(e.errno, f"Cannot save the {what} there: {e.strerror}", str(path)) from None
    os.close(fd)
    os.unlink(tmp)


TEMP_SUFFIX = ".makemore-tmp"      # the app's own temporaries: .NAME.XXXXXXXX.makemore-tmp
STALE_AFTER_S = 24 * 3600          # where files cannot be locked: a temporary this old is stale


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """write(f) into a temporary file beside `path`, then rename it over `path`: any failure
    leaves the previous file as it was and no temporary file behind. The new file gets the
    permissions a plain open() would (0o666 less the umask), not mkstemp's 0o600.

    The temporary is locked while it is written; a kill -9 mid-save leaves it behind, unlocked,
    and the next save to that folder deletes it (and any other stale one of the app's)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        _lock(fd)
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb", closefd=False) as f:
            recording = _Recording(f)
            try:
                write(recording)
            except RuntimeError:
                if recording.error is not None:
                    raise recording.error from None
                raise
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)         # still locked: no other save can take it for stale
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    try:
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass                          # no locks here (Windows): stale means old instead


def _abandoned(path: Path) -> bool:
    """Whether no process is writing the temporary at path (it holds no lock on it)."""
    try:
        import fcntl
    except ImportError:
        try:
            return time.time() - path.stat().st_mtime > STALE_AFTER_S
        except OSError:
            return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False                  # being written right now
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries an interrupted save of this app left in folder; return them.
    Only files of its own naming (.NAME.XXXXXXXX.makemore-tmp) that nobody is writing."""
    removed = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return removed
    for p in candidates:
        if p.is_file() and not p.is_symlink() and _abandoned(p):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed
