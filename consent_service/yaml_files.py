"""Reading a YAML settings file (the data map, the preferences catalogue) with one-line reasons a
person can act on when it cannot be read."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """The file is missing, unreadable or not YAML; the message names the file and why."""


def read(path: str | os.PathLike[str]) -> Any:
    """The document at ``path`` (``yaml.safe_load``: plain data only)."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise YamlFileError(f"{path}: the file does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise YamlFileError(f"{path}: cannot be read ({type(err).__name__})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlFileError(f"{path}: not valid YAML{where}") from None
