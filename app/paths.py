"""Where the app keeps its files (platformdirs, so each OS gets its own place)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "workbench"


def data_dir() -> Path:
    """Override with WORKBENCH_HOME (tests and portable installs use it)."""
    override = os.environ.get("WORKBENCH_HOME")
    return Path(override) if override else user_data_path(APP_NAME, appauthor=False)


def models_dir() -> Path:
    return data_dir() / "models"


def demo_models_dir() -> Path:
    return data_dir() / "demo-models"


def download_journal_path() -> Path:
    """The Library's and `workbench pull`'s list of unfinished downloads (models.download.journal)."""
    return data_dir() / "downloads.json"


def config_dir() -> Path:
    override = os.environ.get("WORKBENCH_HOME")
    return Path(override) / "config" if override else user_config_path(APP_NAME, appauthor=False)


def conversations_db() -> Path:
    return data_dir() / "conversations.sqlite3"
