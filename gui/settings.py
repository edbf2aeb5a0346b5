"""Where the window remembers things (QSettings, organisation "makemore-playground").

Set MAKEMORE_PLAYGROUND_SETTINGS to a folder to keep them there in an .ini file instead
(the tests do, so they never touch a user's real settings).

The file is the user's to edit (or to damage): every value read back is checked against
core.config.LIMITS, as typed input is, and one that does not pass is ignored, the default
used and the rest restored. The window always opens.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from core.config import LIMITS, Config, ConfigError

ORGANISATION = "makemore-playground"
APPLICATION = "makemore-playground"
SETTINGS_DIR_ENV = "MAKEMORE_PLAYGROUND_SETTINGS"


def open_settings() -> QSettings:
    folder = os.environ.get(SETTINGS_DIR_ENV)
    if folder:
        return QSettings(str(Path(folder) / f"{APPLICATION}.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def load_config(settings: QSettings) -> Config:
    """The panels' values when the window last closed, each one checked: a stored setting
    that is not valid (or a file that is not a setup at all) keeps its default."""
    text = settings.value("setup/config", "")
    try:
        stored = json.loads(text) if isinstance(text, str) and text else {}
    except (ValueError, RecursionError):
        return Config()
    if not isinstance(stored, dict):
        return Config()
    cfg = Config()
    for name, value in stored.items():
        try:
            cfg = Config.from_dict({**cfg.to_dict(), name: value}).validate()
        except (ConfigError, TypeError, ValueError, OverflowError, RecursionError):
            continue
    return cfg


def stored_number(settings: QSettings, key: str, limit: str, default):
    """settings[key] as LIMITS[limit] allows it (parsed as typed text is), else default."""
    raw = settings.value(key)
    if raw is None or isinstance(raw, (bool, list, dict, QByteArray, bytes)):
        return default
    try:
        return LIMITS[limit].parse(str(raw))
    except ConfigError:
        return default


def stored_flag(settings: QSettings, key: str, default: bool) -> bool:
    raw = settings.value(key)
    return {True: True, False: False, "true": True, "false": False}.get(raw, default) \
        if isinstance(raw, (bool, str)) else default


def stored_text(settings: QSettings, key: str, default: str) -> str:
    """A stored folder or name: text, else default (an ini value with a comma reads as a list)."""
    raw = settings.value(key)
    return raw if isinstance(raw, str) and raw and "\0" not in raw else default


def stored_bytes(settings: QSettings, key: str) -> QByteArray | None:
    """Qt's own saved state (geometry, splitter sizes), or None when it is anything else."""
    raw = settings.value(key)
    return raw if isinstance(raw, QByteArray) and not raw.isEmpty() else None


def save_config(settings: QSettings, cfg: Config) -> None:
    settings.setValue("setup/config", json.dumps(cfg.to_dict()))
