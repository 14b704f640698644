"""The DPO's register: list, filters, overdue, the CSV export."""
import csv
import datetime as dt
import io

from consent_service import clock

from .helpers import intake, submit

T0 = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


def test_the_list_is_newest_first_and_filters_by_status_type_and_channel(client, admin):
    clock.set_now(T0)
    old = intake(client, admin, received_at="2027-01-20T09:00:00Z", channel="phone").get_json()["reference"]
    new = submit(client).get_json()["reference"]
    response = client.get("/v1/dsar/requests", headers=admin)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["reference"] for i in items] == [new, old]
    assert set(items[0]) >= {"reference", "type", "status", "channel", "received_at", "due_on", "due_at", "extended"}
    assert "events" not in items[0] and "email" not in items[0]
    assert [i["reference"] for i in client.get("/v1/dsar/requests?channel=phone", headers=admin)
            .get_json()["items"]] == [old]
    assert [i["reference"] for i in client.get("/v1/dsar/requests?type=access", headers=admin)
            .get_json()["items"]] == [new]
    assert client.get("/v1/dsar/requests?status=completed", headers=admin).get_json()["items"] == []
    for bad in ("status=done", "overdue=maybe", "type=x", "limit=0", "channel=fax"):
        assert client.get(f"/v1/dsar/requests?{bad}", headers=admin).status_code == 422, bad


def test_overdue_lists_open_requests_past_their_deadline(client, admin):
    clock.set_now(T0)
    late = intake(client, admin, received_at="2027-01-04T09:00:00Z").get_json()["reference"]  # due 4 Feb
    on_time = intake(client, admin, received_at="2027-01-30T09:00:00Z",
                     email="b@example.fr").get_json()["reference"]
    closed = intake(client, admin, received_at="2027-01-05T09:00:00Z", email="c@example.fr").get_json()["reference"]
    client.post(f"/v1/dsar/requests/{closed}/withdraw", json={}, headers=admin)
    clock.set_now(dt.datetime(2027, 2, 5, 9, 0, tzinfo=dt.UTC))
    overdue = client.get("/v1/dsar/requests?overdue=true", headers=admin).get_json()["items"]
    assert [i["reference"] for i in overdue] == [late] and overdue[0]["overdue"] is True
    rest = {i["reference"] for i in client.get("/v1/dsar/requests?overdue=false", headers=admin).get_json()["items"]}
    assert rest == {on_time, closed}


def test_the_csv_register_lists_every_request_with_its_deadline(client, admin):
    clock.set_now(T0)
    reference = submit(client).get_json()["reference"]
    response = client.get("/v1/dsar/requests.csv", headers=admin)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert row["reference"] == reference and row["type"] == "access" and row["status"] == "awaiting_verification"
    assert row["due_on"] == "2027-03-01" and row["received_at"] == "2027-01-31T09:00:00Z"
    assert row["extended"] == "false" and row["email"] == "locataire@example.fr"


def test_the_csv_neutralises_formulas_and_escapes_quotes_and_newlines(client, admin):
    clock.set_now(T0)
    names = ['=HYPERLINK("http://evil","x")', "+33 6 00", "-2+3", "@SUM(A1)", 'Jean "Jo", Dupont']
    for i, name in enumerate(names):
        intake(client, admin, full_name=name, email=f"p{i}@example.fr", message="ligne 1\nligne 2")
    text = client.get("/v1/dsar/requests.csv", headers=admin).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["full_name"] for r in rows) == sorted(
        ["'=HYPERLINK(\"http://evil\",\"x\")", "'+33 6 00", "'-2+3", "'@SUM(A1)", 'Jean "Jo", Dupont'])
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@"))


def test_the_demo_requests_load_once_and_send_nothing(app, client, admin):
    from consent_service.extensions import db
    from dsar.demo import load_demo_requests

    from .helpers import outbox

    assert load_demo_requests() == "4 demo requests"
    db.session.commit()  # as `flask demo` does after each loader
    assert load_demo_requests() == "demo requests already loaded"
    items = client.get("/v1/dsar/requests", headers=admin).get_json()["items"]
    assert len(items) == 4 and {i["status"] for i in items} == {"awaiting_verification", "verified"}
    assert client.get("/v1/dsar/requests?overdue=true", headers=admin).get_json()["items"]
    assert outbox() == []
