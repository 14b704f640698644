"""A bad data map stops the service at start, with an error naming file, store and field."""
from __future__ import annotations

import pytest

from consent_service import create_app
from datamap import loader

from .conftest import DATAMAP


def good_map(portal) -> str:
    return DATAMAP.format(url=portal.url, root=portal.root)


def problems_of(portal, text: str) -> str:
    path = portal.write_map(text)
    with pytest.raises(loader.DataMapError) as err:
        loader.load(path)
    message = str(err.value)
    assert str(path) in message
    return message


def test_the_test_map_is_valid_and_reflects_its_tables(portal):
    datamap = loader.load(portal.map_path)
    try:
        assert [s.name for s in datamap.stores] == ["portal", "documents-files"]
        tenants = datamap.stores[0].table("tenants")
        assert (datamap.identity.store, datamap.identity.table, datamap.identity.email_column,
                datamap.identity.birth_date_column) == ("portal", "tenants", "email", "birth_date")
        assert datamap.identity.sa_table is not None
        assert "birth_date" in tenants.date_columns and tenants.primary_key == ("account_id",)
    finally:
        datamap.dispose()


@pytest.mark.parametrize("change,expected", [
    (("kind: sql", "kind: oracle"), "store 'portal': field 'kind' must be 'sql' or 'files'"),
    (("    about: {source", "    colour: blue\n    about: {source"), "store 'portal': unknown field 'colour'"),
    (("        on_erasure: delete\n        rectifiable",
      "        on_erasure: delete\n        colour: x\n        rectifiable"),
     "table 'tenants': unknown field 'colour'"),
    (("- name: tenants", "- name: tenantz"), "table 'tenantz': field 'name': no such table in the database"),
    (("subject_column: account_id\n        on_erasure: delete\n        rectifiable",
      "subject_column: tenant_id\n        on_erasure: delete\n        rectifiable"),
     "table 'tenants': field 'subject_column': no column 'tenant_id'"),
    (("on_erasure: delete\n        retention", "on_erasure: shred\n        retention"),
     "table 'documents': field 'on_erasure' must be one of delete, anonymize, retain"),
    (("anonymize_columns: [payer_name, iban]", "anonymize_columns: [payer_name, amount_cents]"),
     "table 'payments': field 'anonymize_columns': column 'amount_cents' is NOT NULL"),
    (("anonymize_columns: [payer_name, iban]", "anonymize_columns: []"),
     "table 'payments': field 'anonymize_columns' is required when on_erasure is anonymize"),
    (("anonymize_columns: [payer_name, iban]", "anonymize_columns: [payer_name, account_id]"),
     "table 'payments': field 'anonymize_columns': the subject column is handled by itself"),
    (('        legal_basis: "Obligation comptable (art. L123-22 code de commerce)"\n', ""),
     "table 'leases': field 'legal_basis' is required"),
    (("{column: issued_on, keep_months: 36}", "{column: title, keep_months: 36}"),
     "table 'documents': field 'retention.column': column 'title' is not a date"),
    (("{column: issued_on, keep_months: 36}", "{column: issued_on, keep_months: -1}"),
     "table 'documents', retention: field 'keep_months' must be a whole number"),
    (("email_column: email,", "email_column: mail,"),
     "identity, table 'tenants': field 'email_column': no column 'mail'"),
    (("birth_date_column: birth_date}", "birth_date_column: born}"),
     "identity, table 'tenants': field 'birth_date_column': no column 'born'"),
    (("identity: {store: portal", "identity: {store: portail"),
     "identity: field 'store': no sql store named 'portail'"),
    (("table: tenants, subject", "table: tenantz, subject"), "identity, table 'tenantz': field 'table': no such table"),
    (("email_column: email,", "shoe_size: 42,"), "identity: unknown field 'shoe_size'"),
    (("email_column: email,", ""), "identity: field 'email_column' is required"),
    (("        on_erasure: delete\n        rectifiable", "        on_erasure: delete\n"
      "        identity_columns: {email: email}\n        rectifiable"),
     "table 'tenants': field 'identity_columns' is replaced by the top-level 'identity' block"),
    (("[full_name, email, phone, birth_date]", "[full_name, nickname]"),
     "table 'tenants': field 'rectifiable_columns': no column 'nickname'"),
    (("[full_name, email, phone, birth_date]", "[account_id]"),
     "'account_id' identifies the row and cannot change"),
    (('path: "{account_id}"', 'path: "../{account_id}"'),
     "store 'documents-files': field 'path' must be a relative path"),
    (('path: "{account_id}"', 'path: "docs"'), "store 'documents-files': field 'path' must be a relative path"),
    (("- name: documents-files", "- name: portal"), "store 'portal': field 'name': this name is already used"),
    (("- name: documents-files", "- name: consent-service"), "already used by the service's own data"),
    (("controller: {", "colour: red\ncontroller: {"), "top level: unknown field 'colour'"),
])
def test_bad_maps_name_the_store_and_the_field(portal, change, expected):
    old, new = change
    text = good_map(portal)
    assert old in text
    assert expected in problems_of(portal, text.replace(old, new, 1))


def test_a_missing_sqlite_database_is_unreachable(portal, tmp_path):
    text = good_map(portal).replace(portal.url, f"sqlite:///{tmp_path / 'nowhere.db'}")
    assert "store 'portal': field 'url': the SQLite database" in problems_of(portal, text)
    assert not (tmp_path / "nowhere.db").exists()  # checking did not create it


def test_an_unreachable_server_is_reported_without_its_password(portal):
    text = good_map(portal).replace(portal.url, "postgresql+psycopg://u:s3cret@127.0.0.1:1/portal")
    message = problems_of(portal, text)
    assert "store 'portal': field 'url': cannot connect to postgresql+psycopg://u:***@127.0.0.1:1/portal" in message
    assert "s3cret" not in message


def test_a_missing_files_root_is_reported(portal, tmp_path):
    text = good_map(portal).replace(str(portal.root), str(tmp_path / "gone"))
    assert "store 'documents-files': field 'root': the folder" in problems_of(portal, text)


@pytest.mark.parametrize("text,expected", [
    ("stores: [\n", "not valid YAML at line"),
    ("- a\n- b\n", "the top level must be a mapping"),
    ("stores: 3\n", "field 'stores' is required and must be a list"),
    ("stores:\n  - kind: sql\n    url: 'sqlite://'\n    tables: []\n", "store #1: field 'name' is required"),
    ("stores:\n  - name: x\n    kind: sql\n", "store 'x': field 'url' is required"),
])
def test_malformed_files_are_reported(portal, text, expected):
    assert expected in problems_of(portal, text)


def test_every_problem_is_reported_at_once(portal):
    text = good_map(portal).replace("kind: files", "kind: tape").replace("- name: tenants", "- name: nope")
    message = problems_of(portal, text)
    assert "'kind' must be 'sql' or 'files'" in message and "table 'nope'" in message


def test_a_missing_map_file_is_named(tmp_path):
    with pytest.raises(loader.DataMapError, match="does not exist"):
        loader.load(tmp_path / "missing.yaml")


def test_the_app_does_not_start_with_a_bad_map(portal, database_url):
    path = portal.write_map(good_map(portal).replace("- name: tenants", "- name: tenantz"))
    with pytest.raises(loader.DataMapError, match="tenantz"):
        create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": database_url,
                    "DATAMAP_PATH": str(path)}, environ={"SECRET_KEY": "k"})


def test_no_map_means_only_the_service_own_data():
    assert loader.load(None).stores == []


def test_datamap_check_prints_each_store_and_table(app):
    result = app.test_cli_runner().invoke(args=["datamap", "check"])
    assert result.exit_code == 0, result.output
    assert "store portal (sql" in result.output
    assert "table tenants: exists, subject column account_id present, on erasure delete" in result.output
    assert "legal basis: Obligation comptable" in result.output
    assert "store documents-files (files): folder" in result.output
    assert result.output.strip().endswith("OK")


def test_datamap_check_of_another_file_reports_its_problems(app, portal, tmp_path):
    bad = tmp_path / "next.yaml"
    bad.write_text(good_map(portal).replace("on_erasure: retain", "on_erasure: keep"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["datamap", "check", "--path", str(bad)])
    assert result.exit_code == 1
    assert "table 'leases': field 'on_erasure' must be one of" in result.output
