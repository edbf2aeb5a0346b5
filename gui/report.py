"""How a controller tells the user something, without knowing the window."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.checkpoint import CheckpointError
from core.config import ConfigError
from core.data import DataError

# Errors that are the user's to fix: shown as their message, never as a traceback.
USER_ERRORS = (DataError, ConfigError, CheckpointError, ValueError)


@dataclass(frozen=True)
class Report:
    error: Callable[[str], None]          # the message bar (red) and the status bar
    info: Callable[[str], None]           # the message bar (blue)
    status: Callable[..., None]           # status bar: (text, timeout_ms=0)
    clear_status: Callable[[], None]
