"""Private helpers shared by the runner's modules: JSON files, file names, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: Environment variable through which the runner tells a kernel where
#: :func:`textures_nb.runner.recording.record` writes its JSON file.
RESULTS_ENV = "TEXTURES_NB_RESULTS"
RESULTS_FILE = "results.json"
STATUS_FILE = "status.json"
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"
PARAMETERS_TAG = "parameters"
MAX_ERROR_CHARS = 200


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """The JSON content of ``path``, or None if it is missing or incomplete."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def short_error(ename: str, evalue: str) -> str:
    """``"ename: first line of evalue"``, shortened to a status line's width."""
    lines = str(evalue).strip().splitlines()
    first = lines[0] if lines else ""
    text = f"{ename}: {first}" if first else str(ename)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    return text


def tags(cell) -> list[str]:
    """The tags of a notebook cell (empty list if none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def source(cell) -> str:
    """The source of a notebook cell as one string."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text
