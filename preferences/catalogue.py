"""The catalogue of notification themes (``PREFERENCES_PATH``, YAML; docs/preferences.md).

Read and checked once at start: a bad catalogue stops the service with every problem named
(file, theme, field), never a surprise at the first request.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from consent_service import yaml_files
from consent_service.fields import CleanString, StrictBoolean

BUILTIN_PATH = Path(__file__).resolve().parent / "catalogues" / "builtin.yaml"
DEMO_PATH = Path(__file__).resolve().parent / "catalogues" / "demo.yaml"
THEME_KEY = r"^[a-z][a-z0-9_]{0,47}$"
MAX_THEMES = 50


class CatalogueError(RuntimeError):
    """The catalogue is unusable; ``problems`` names each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The preferences catalogue (PREFERENCES_PATH) is not valid:\n  " + "\n  ".join(problems))


@dataclasses.dataclass(frozen=True)
class Theme:
    key: str
    label: dict[str, str]
    description: dict[str, str]
    default: bool
    mandatory: bool


@dataclasses.dataclass(frozen=True)
class Catalogue:
    path: str
    themes: tuple[Theme, ...]
    email_default: bool
    email_label: dict[str, str]

    def theme(self, key: str) -> Theme | None:
        return next((theme for theme in self.themes if theme.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(theme.key for theme in self.themes)

    def themes_of(self, chosen: dict[str, bool]) -> dict[str, bool]:
        """Every theme of the catalogue, in its order: the account's choice where it made one,
        else the default; a mandatory theme is always on. Choices about themes no longer in the
        catalogue are kept in the store (they are proof) but not shown."""
        return {theme.key: True if theme.mandatory else bool(chosen.get(theme.key, theme.default))
                for theme in self.themes}


class _Texts(Schema):
    class Meta:
        unknown = RAISE

    fr = CleanString(required=True, min_length=1, max_length=500, multiline=True)
    en = CleanString(required=True, min_length=1, max_length=500, multiline=True)


class _ThemeSchema(Schema):
    class Meta:
        unknown = RAISE

    key = CleanString(required=True, max_length=48,
                      validate=[validate.Regexp(THEME_KEY, error="Use lower-case letters, digits and '_'.")])
    label = fields.Nested(_Texts, required=True)
    description = fields.Nested(_Texts, required=True)
    default = StrictBoolean(required=True)
    mandatory = StrictBoolean(load_default=False)

    @validates_schema
    def _mandatory_is_on(self, data, **kwargs):
        if data.get("mandatory") and data.get("default") is False:
            raise ValidationError("A mandatory theme is on by default.", "default")


class _EmailSchema(Schema):
    class Meta:
        unknown = RAISE

    default = StrictBoolean(required=True)
    label = fields.Nested(_Texts, required=True)


class _CatalogueSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Nested(_EmailSchema, required=True)
    themes = fields.List(fields.Nested(_ThemeSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_THEMES))

    @validates_schema
    def _unique_keys(self, data, **kwargs):
        keys = [theme["key"] for theme in data.get("themes", [])]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValidationError(f"Theme keys must be unique: {', '.join(repeated)} appear(s) twice.", "themes")


def _flatten(messages, where: str = "") -> list[str]:
    if isinstance(messages, dict):
        found = []
        for key, inner in messages.items():
            found += _flatten(inner, f"{where}.{key}" if where else str(key))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{where}: {message}" for message in messages]
    return [f"{where}: {messages}"]


def _named(raw, messages: dict) -> dict:
    """Errors about ``themes.N`` are reported as ``themes[key]`` when the theme has a key."""
    themes = messages.get("themes")
    if not isinstance(themes, dict) or not isinstance(raw, dict) or not isinstance(raw.get("themes"), list):
        return messages
    renamed = {}
    for index, inner in themes.items():
        entry = raw["themes"][index] if isinstance(index, int) and index < len(raw["themes"]) else None
        key = entry.get("key") if isinstance(entry, dict) else None
        renamed[f"{index} ({key})" if isinstance(key, str) else index] = inner
    return {**messages, "themes": renamed}


def load(path: str | os.PathLike | None) -> Catalogue:
    """Read and check the catalogue at ``path`` (None: the built-in one). Raises CatalogueError."""
    source = Path(path) if path else BUILTIN_PATH
    try:
        raw = yaml_files.read(source)
    except yaml_files.YamlFileError as err:
        raise CatalogueError([str(err)]) from None
    if not isinstance(raw, dict):
        raise CatalogueError([f"{source}: expected a mapping with 'email' and 'themes'"])
    try:
        data = _CatalogueSchema().load(raw)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise CatalogueError([f"{source}: {problem}" for problem in _flatten(_named(raw, messages))]) from None
    themes = tuple(Theme(key=t["key"], label=t["label"], description=t["description"], default=t["default"],
                         mandatory=t["mandatory"]) for t in data["themes"])
    return Catalogue(path=str(source), themes=themes, email_default=data["email"]["default"],
                     email_label=data["email"]["label"])
