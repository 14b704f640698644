"""The catalogue (PREFERENCES_PATH): checked at start, every problem named at once."""
from __future__ import annotations

import pytest

from consent_service import create_app
from preferences import catalogue
from preferences.catalogue import CatalogueError

VALID = """\
email: {default: true, label: {fr: "Par e-mail", en: "By e-mail"}}
themes:
  - key: security_alerts
    default: true
    mandatory: true
    label: {fr: "Alertes", en: "Alerts"}
    description: {fr: "Sécurité", en: "Security"}
  - key: works
    default: false
    label: {fr: "Travaux", en: "Works"}
    description: {fr: "Travaux", en: "Works"}
"""


def _write(tmp_path, text: str):
    path = tmp_path / "themes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_built_in_catalogue_has_the_two_default_themes():
    built_in = catalogue.load(None)
    assert built_in.keys == ("security_alerts", "appointment_confirmations")
    assert all(t.default and not t.mandatory for t in built_in.themes)
    assert built_in.email_default is False


def test_the_demo_catalogue_adds_three_themes_off_by_default():
    demo = catalogue.load(catalogue.DEMO_PATH)
    extra = demo.themes[2:]
    assert len(extra) == 3 and not any(t.default for t in extra)
    assert demo.theme("security_alerts").mandatory


def test_a_valid_file_is_read_with_its_labels(tmp_path):
    loaded = catalogue.load(_write(tmp_path, VALID))
    assert loaded.keys == ("security_alerts", "works") and loaded.email_default is True
    assert loaded.theme("works").label == {"fr": "Travaux", "en": "Works"}
    assert loaded.themes_of({"works": True, "security_alerts": False, "gone": True}) == {
        "security_alerts": True, "works": True}


@pytest.mark.parametrize(("text", "problem"), [
    (VALID.replace("mandatory: true", "mandatory: true\n    default: false").replace(
        "    default: true\n    mandatory", "    mandatory"),
     "themes.0 (security_alerts).default: A mandatory theme is on"),
    (VALID.replace('label: {fr: "Travaux", en: "Works"}', 'label: {fr: "Travaux", de: "Arbeiten"}'),
     "themes.1 (works).label.en: Missing data for required field."),
    (VALID.replace('description: {fr: "Travaux", en: "Works"}', 'description: {fr: "Travaux"}'),
     "themes.1 (works).description.en: Missing data for required field."),
    (VALID.replace('    description: {fr: "Sécurité", en: "Security"}\n', ''),
     "themes.0 (security_alerts).description: Missing data for required field."),
    (VALID.replace('label: {fr: "Alertes", en: "Alerts"}', 'label: {fr: "", en: "Alerts"}'),
     "themes.0 (security_alerts).label.fr: "),
    (VALID.replace("key: works", "key: Works!"), "themes.1 (Works!).key: Use lower-case letters"),
    (VALID.replace("key: works", "key: security_alerts"), "themes: Theme keys must be unique: security_alerts"),
    (VALID.replace("default: false", "default: 'no'"), "themes.1 (works).default: Not a valid boolean."),
    (VALID + "colour: blue\n", "colour: Unknown field."),
    ("email: {default: true, label: {fr: a, en: b}}\nthemes: []\n", "themes: Length must be between 1 and 50."),
    ("- just\n- a list\n", "expected a mapping"),
    ("themes: [\n", "not valid YAML at line"),
])
def test_problems_are_named_with_the_file_and_the_field(tmp_path, text, problem):
    path = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as raised:
        catalogue.load(path)
    assert any(str(path) in p and problem in p for p in raised.value.problems), raised.value.problems


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CatalogueError, match="does not exist"):
        catalogue.load(tmp_path / "nowhere.yaml")


def test_the_service_refuses_to_start_with_a_bad_catalogue(tmp_path):
    path = _write(tmp_path, VALID.replace("key: works", "key: security_alerts"))
    with pytest.raises(CatalogueError, match="PREFERENCES_PATH"):
        create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "PREFERENCES_PATH": str(path)}, environ={"SECRET_KEY": "k"})


def test_the_environment_variable_is_read_too(tmp_path):
    path = _write(tmp_path, VALID)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     environ={"SECRET_KEY": "k", "PREFERENCES_PATH": str(path)})
    assert app.extensions["preferences_catalogue"].keys == ("security_alerts", "works")
