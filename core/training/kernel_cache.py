"""Where numba keeps the fast kernel's compiled code, and what happens when it cannot.

numba's own `cache=True` raises at import ("cannot cache function …: no locator available")
wherever it finds no writable folder (a read-only checkout with HOME=/ or read-only: a
container run with --user, a system account), and a damaged cache file (a crash while numba
wrote it: garbage in an .nbc, an empty .nbi) makes every later compile raise. Here:

- the folder is the first writable one of $NUMBA_CACHE_DIR (the user's choice), the kernel's
  own __pycache__ (numba's usual place), and $XDG_CACHE_HOME or ~/.cache /makemore-playground/numba;
- with none, the kernel compiles without a cache, saying once that every start is slower;
- a cache file that cannot be read is deleted (that function's files only), said once with
  the folder's name, and the kernel compiled afresh; one that cannot be written is skipped.

`jit_factory(**options)` is numba.njit with this cache (the identity without numba).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

APP_FOLDER = ("makemore-playground", "numba")
CACHE_DIR_ENV = "NUMBA_CACHE_DIR"

_said: set[str] = set()
_said_lock = threading.Lock()


def say_once(text: str) -> None:
    """One line on stderr, the first time only (the window's terminal, the CLI's stderr)."""
    with _said_lock:
        if text in _said:
            return
        _said.add(text)
    print(text, file=sys.stderr, flush=True)


def candidate_folders(kernel_file: str | os.PathLike) -> list[Path]:
    """Where the cache may go, best first."""
    found = []
    if os.environ.get(CACHE_DIR_ENV):
        found.append(Path(os.environ[CACHE_DIR_ENV]))
    found.append(Path(kernel_file).resolve().parent / "__pycache__")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    found.append(Path(base, *APP_FOLDER))
    return found


def writable(folder: Path) -> bool:
    """Whether files can be made in `folder` (made if missing): tried, not guessed from modes,
    so a read-only mount or a full disk says no even to root."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except (OSError, ValueError):
        return False


def cache_folder(kernel_file: str | os.PathLike) -> Path | None:
    """The first writable candidate, or None."""
    return next((f for f in candidate_folders(kernel_file) if writable(f)), None)


def no_cache_message(kernel_file) -> str:
    tried = ", ".join(str(f) for f in candidate_folders(kernel_file))
    return (f"The fast engine's compiled kernel cannot be cached (no writable folder: tried {tried}; "
            f"set {CACHE_DIR_ENV} to one): it is compiled again at every start, which takes a few seconds longer.")


def damaged_message(folder: str, error: BaseException) -> str:
    return (f"The fast engine's cache in {folder} was damaged ({type(error).__name__}): its files were "
            f"deleted and the kernel compiled afresh. (Set {CACHE_DIR_ENV} to keep the cache elsewhere.)")


def jit_factory(**options):
    """A decorator: numba.njit(**options) compiling into cache_folder(), or without a cache;
    the function unchanged where numba cannot be imported (the exact engine still runs)."""
    try:
        import numba
    except ImportError:
        return lambda func: func
    caches = _cache_classes()
    folders: dict[str, Path | None] = {}

    def decorate(func):
        dispatcher = numba.njit(**options)(func)    # compiled lazily, at the first call
        source = func.__code__.co_filename
        if source not in folders:
            folders[source] = cache_folder(source)
        dispatcher._cache = caches.make(func, folders[source])   # numba's hook: enable_caching sets it
        return dispatcher
    return decorate


def _cache_classes():
    """numba's per-function cache, redirected to a chosen folder and surviving bad files."""
    from numba.core import caching

    class FolderLocator(caching.InTreeCacheLocator):
        """Source-file stamps as numba's own locators, in the folder chosen (class attribute
        set per subclass)."""
        folder: Path

        def __init__(self, py_func, py_file):
            super().__init__(py_func, py_file)
            own = Path(py_file).resolve().parent / "__pycache__"
            # beside the kernel, exactly numba's usual files; elsewhere one subfolder per source folder
            self._cache_path = str(self.folder if self.folder == own
                                   else self.folder / self.get_suitable_cache_subpath(py_file))

    class RecoveringCache(caching.FunctionCache):
        """FunctionCache whose unreadable files are deleted and recompiled, and whose
        unwritable folder is skipped, instead of raising into the training loop."""

        def load_overload(self, sig, target_context):
            try:
                return super().load_overload(sig, target_context)
            except Exception as e:      # UnpicklingError, EOFError, a truncated library: any damage
                self._delete_own_files()
                say_once(damaged_message(self.cache_path, e))
                return None

        def save_overload(self, sig, data):
            try:
                super().save_overload(sig, data)
            except OSError as e:
                say_once(f"The fast engine's compiled kernel could not be cached in {self.cache_path} "
                         f"({e.strerror or e}): it will be compiled again at the next start.")

        def _delete_own_files(self) -> None:
            base = self._impl.filename_base
            for path in Path(self.cache_path).glob(f"{base}*"):
                try:
                    path.unlink()
                except OSError:
                    pass

    class NoCache(caching.NullCache):
        """No folder to cache in: say so once, when the first function is compiled."""

        def __init__(self, message: str):
            self.message = message

        def load_overload(self, sig, target_context):
            say_once(self.message)

    class Caches:
        @staticmethod
        def make(func, folder: Path | None):
            source = func.__code__.co_filename
            if folder is not None:
                locator = type("Locator", (FolderLocator,), {"folder": folder})
                impl = type("Impl", (caching.CompileResultCacheImpl,), {"_locator_classes": [locator]})
                cache_class = type("Cache", (RecoveringCache,), {"_impl_class": impl})
                try:
                    return cache_class(func)
                except RuntimeError:      # the folder stopped being writable since it was chosen
                    pass
            return NoCache(no_cache_message(source))
    return Caches
