"""The README's « Préférences » section: the rules in French, and an API example that the
service really answers as shown (run here, call by call, on the days the text names)."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from preferences import paperless

from .conftest import paris
from .helpers import on_day

README = Path(__file__).resolve().parents[2] / "README.md"
BASE = "https://consent.example.fr"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## Préférences\n(.*?)(?=^## )", text, re.S | re.M)
    assert found, "README.md has no « Préférences » section"
    return found.group(1)


def _blocks(section: str) -> list[tuple[str, str]]:
    return re.findall(r"```(sh|json)\n(.*?)```", section, re.S)


def _calls(script: str) -> list[tuple[str, str, dict | None]]:
    """Each curl of a shell block: (method, path with query, JSON body or None)."""
    calls = []
    for command in script.replace("\\\n", " ").splitlines():
        words = shlex.split(command)
        if not words or words[0] != "curl":
            continue
        method = words[words.index("-X") + 1]
        url = next(w for w in words if w.startswith(BASE))
        body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
        calls.append((method, url.removeprefix(BASE), body))
    return calls


@pytest.mark.parametrize("rule", [
    "seuls deux sont activés : les alertes de sécurité",
    "les alertes de sécurité peuvent l'être",
    "ne peut pas être désactivé : 422",
    "réservés aux locataires qui paient par prélèvement",
    "refusée (409)",
    "au moins 10 jours ouvrés avant",
    "hors jours fériés français",
    "un dernier avis électronique",
    "La fin du\n  prélèvement automatique met fin aux avis électroniques de la même façon",
    "avec la date",
    "historique en ajout seul",
    "fin de bail + 3 mois",
    "Une limitation ne les change pas",
    "une\n  opposition à un thème le désactive",
])
def test_the_readme_states_the_rules_in_french(rule):
    assert rule in _section()


def test_the_readme_example_is_what_the_service_answers(app_with, api_key):
    app = app_with(PREFERENCES_PATH=None)  # the built-in catalogue, as the example shows
    client, headers = app.test_client(), api_key("accounts:write")
    blocks = _blocks(_section())
    assert [kind for kind, _ in blocks] == ["sh", "json", "sh", "json"]
    days = [(2027, 4, 23), (2027, 5, 3)]  # « le vendredi 23 avril 2027 », « le lundi 3 mai »
    for day, ((_, script), (_, shown)) in zip(days, zip(blocks[::2], blocks[1::2], strict=True), strict=True):
        on_day(*day)
        for method, path, body in _calls(script):
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code == 200, (method, path, response.get_json())
        assert response.get_json() == json.loads(shown), path


def test_the_readme_example_day_is_the_last_one_in_time():
    assert paris(2027, 4, 23, 10).date() == paperless.working_days_before(
        paris(2027, 5, 10).date(), paperless.NOTICE_WORKING_DAYS)
