"""Where the window remembers things (QSettings, organisation "makemore-playground").

Set MAKEMORE_PLAYGROUND_SETTINGS to a folder to keep them there in an .ini file instead
(the tests do, so they never touch a user's real settings).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QSettings

from core.config import Config, ConfigError

ORGANISATION = "makemore-playground"
APPLICATION = "makemore-playground"
SETTINGS_DIR_ENV = "MAKEMORE_PLAYGROUND_SETTINGS"


def open_settings() -> QSettings:
    folder = os.environ.get(SETTINGS_DIR_ENV)
    if folder:
        return QSettings(str(Path(folder) / f"{APPLICATION}.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def load_config(settings: QSettings) -> Config:
    """The panels' values when the window last closed; defaults if none or unreadable."""
    text = settings.value("setup/config", "")
    try:
        return Config.from_dict({**Config().to_dict(), **json.loads(text)}).validate() if text else Config()
    except (ConfigError, ValueError, TypeError):
        return Config()


def save_config(settings: QSettings, cfg: Config) -> None:
    settings.setValue("setup/config", json.dumps(cfg.to_dict()))
