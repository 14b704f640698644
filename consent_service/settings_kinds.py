"""How one setting's value is read: its kind parses the environment's text and checks a typed
value given to ``create_app(config)``, raising ValueError with the reason; :class:`Setting`
declares one variable. The table of variables is ``consent_service.config.SETTINGS``."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Kind:
    """Parses the environment's text and checks a typed value; raises ValueError with the reason."""

    def parse(self, raw: str) -> Any:
        return self.check(raw)

    def check(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(self._expected()) from None
        return self.check(value)

    def check(self, value: Any) -> int:
        if type(value) is not int:
            raise ValueError(self._expected())
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise ValueError(self._expected())
        return value

    def _expected(self) -> str:
        if self.maximum is not None:
            return f"must be a whole number between {self.minimum} and {self.maximum}"
        return "must be a whole number" + (f", at least {self.minimum}" if self.minimum is not None else "")


@dataclass(frozen=True)
class Number(Kind):
    minimum: float = 0.0

    def parse(self, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(self._expected()) from None
        return self.check(value)

    def check(self, value: Any) -> float:
        if type(value) not in (int, float) or value != value or value < self.minimum:
            raise ValueError(self._expected())
        return float(value)

    def _expected(self) -> str:
        return f"must be a number, at least {self.minimum:g}"


@dataclass(frozen=True)
class Duration(Number):
    """Seconds, written ``90``, ``90s``, ``15m``, ``1h`` or ``1d`` in the environment."""

    def parse(self, raw: str) -> float:
        text = raw.strip().lower()
        unit = DURATION_UNITS.get(text[-1:], 0)
        try:
            value = float(text[:-1]) * unit if unit else float(text)
        except ValueError:
            raise ValueError(self._expected()) from None
        return self.check(value)

    def _expected(self) -> str:
        return "must be a duration in seconds, or with a unit (90s, 15m, 1h, 1d)"


class Boolean(Kind):
    TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}

    def parse(self, raw: str) -> bool:
        text = raw.strip().lower()
        if text not in self.TRUE | self.FALSE:
            raise ValueError("must be true or false")
        return text in self.TRUE

    def check(self, value: Any) -> bool:
        if type(value) is not bool:
            raise ValueError("must be true or false")
        return value


@dataclass(frozen=True)
class Text(Kind):
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    description: str = ""

    def parse(self, raw: str) -> str:
        return self.check(raw.strip())

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        if self.choices and value not in self.choices:
            raise ValueError("must be one of " + ", ".join(self.choices))
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"must be {self.description}")
        return value


class Words(Kind):
    """A comma-separated list."""

    def parse(self, raw: str) -> list[str]:
        return [word.strip() for word in raw.split(",") if word.strip()]

    def check(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
            raise ValueError("must be a list of text")
        return value


class RateLimit(Kind):
    """A Flask-Limiter string (``30 per hour``, ``5/minute;100/day``) or ``off``."""

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a rate limit such as '30 per hour', or off")
        if value.strip().lower() != "off":
            try:
                parse_many(value)
            except ValueError:
                raise ValueError("must be a rate limit such as '30 per hour', or off") from None
        return value

    def parse(self, raw: str) -> str:
        return self.check(raw.strip())


class DatabaseUrl(Kind):
    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a database URL")
        for legacy in ("postgres://", "postgresql://"):
            if value.startswith(legacy):
                value = "postgresql+psycopg://" + value[len(legacy):]
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("must be a database URL such as postgresql+psycopg://user@host/db") from None
        return str(value)

    def parse(self, raw: str) -> str:
        return self.check(raw.strip())


class Schedule(Kind):
    """Worker job periods: ``job=duration`` pairs, comma-separated (``datamap_retention=1d``)."""

    def parse(self, raw: str) -> dict[str, float]:
        periods: dict[str, float] = {}
        for pair in Words().parse(raw):
            name, equals, period = pair.partition("=")
            if not equals or not re.fullmatch(r"[a-z0-9_]+", name.strip()):
                raise ValueError("must be job=duration pairs, e.g. datamap_retention=1d,dsar_reminders=1h")
            periods[name.strip()] = Duration().parse(period)
        return periods

    def check(self, value: Any) -> dict[str, float]:
        if not isinstance(value, dict):
            raise ValueError("must map job names to seconds")
        return {str(name): Duration().check(period) for name, period in value.items()}


URL = Text(pattern=r"https?://[^\s/]+(/[^\s]*)?", description="an http:// or https:// URL")
EMAIL = Text(pattern=r"[^@\s]+@[^@\s]+", description="an e-mail address")
STORAGE = Text(pattern=r"(memory|redis|rediss|redis\+sentinel|redis\+cluster|memcached|mongodb)://.*",
               description="a storage URI: memory:// or redis://host:6379/0")
PATH = Text(pattern=r".+", description="a file path")


@dataclass(frozen=True)
class Setting:
    name: str
    kind: Kind
    default: Any
    help: str
    secret: bool = False
