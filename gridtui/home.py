"""The app's home folder: where the real store, the training stores and the config live.

    <home>/config.json         this laptop's settings (worker, grid, language, cycle, sync)
    <home>/store/              the real store
    <home>/training/<worker>/  one training store per demo worker; never synced
    <home>/office/             the community office's merged store (office PC only)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .atomic import ensure_private_dir, write_atomic

ENV_HOME = "GRIDTUI_HOME"


def home_dir(override: str | Path | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    import platformdirs  # only when needed: it costs start-up time

    return Path(platformdirs.user_data_dir("gridtui", appauthor=False))


def real_store(home: Path) -> Path:
    return home / "store"


def office_store(home: Path) -> Path:
    return home / "office"


def training_store(home: Path, worker: str) -> Path:
    return home / "training" / worker


def load_config(home: Path) -> dict:
    try:
        return json.loads((home / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def save_config(home: Path, config: dict) -> None:
    ensure_private_dir(home)
    data = json.dumps(config, ensure_ascii=False, indent=2).encode("utf-8")
    write_atomic(home / "config.json", data)
