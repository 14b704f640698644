"""Two changes at the same time: applied one after the other, both in the history, none lost.
On PostgreSQL the account's row is locked; on SQLite (a file, one writer at a time) the second
writer waits for the first one's transaction: the same guarantees on both."""
from __future__ import annotations

import itertools
import threading
import time

from consent_service.extensions import db
from preferences import services
from preferences.schemas import ChangeOut
from preferences.services import Actor

from .helpers import Portal


def _chain_holds(items: list[dict]) -> None:
    """Oldest first, each change starts from the preferences the previous one left."""
    for previous, current in itertools.pairwise(items):
        assert current["before"] == previous["after"]


def test_a_change_waits_for_the_one_holding_the_account_and_builds_on_it(app):
    services.update("A1001", Actor.portal("earlier"), email=True)  # the row exists: only its lock can hold
    db.session.commit()
    first_holds, release = threading.Event(), threading.Event()
    seen: dict = {}

    def first():
        with app.app_context():
            services.update("A1001", Actor.portal("first"), {"building_works": True})
            first_holds.set()
            release.wait(10)
            db.session.commit()

    def second():
        with app.app_context():
            first_holds.wait(10)
            seen["after"] = services.update("A1001", Actor.portal("second"), {"payment_reminders": True})
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds.wait(10)
    time.sleep(0.5)
    assert threads[1].is_alive()  # waiting for the first change's lock, not writing over it
    release.set()
    for thread in threads:
        thread.join(20)
    db.session.expire_all()
    assert seen["after"]["themes"]["building_works"] is True and seen["after"]["themes"]["payment_reminders"] is True
    items = [ChangeOut().dump(c) for c in reversed(services.history("A1001"))]
    assert [i["actor_name"] for i in items] == ["earlier", "first", "second"]
    _chain_holds(items)


def test_many_requests_at_once_on_a_new_account_lose_nothing(app, client, writer):
    bodies = [{"themes": {"building_works": True}}, {"themes": {"payment_reminders": True}},
              {"themes": {"satisfaction_surveys": True}}, {"themes": {"appointment_confirmations": False}},
              {"email": True}]
    barrier = threading.Barrier(len(bodies))
    codes = []

    def send(body):
        with app.test_client() as own:
            barrier.wait(10)
            codes.append(own.patch("/v1/accounts/A2000/preferences", json=body, headers=writer).status_code)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert codes == [200] * len(bodies)
    portal = Portal(client, writer, "A2000")
    final = portal.get().get_json()
    assert final["themes"] == {"security_alerts": True, "appointment_confirmations": False, "building_works": True,
                               "payment_reminders": True, "satisfaction_surveys": True}
    assert final["email"] is True
    items = list(reversed(portal.history().get_json()["items"]))
    assert len(items) == len(bodies)
    _chain_holds(items)


def test_paperless_asked_and_cancelled_at_once_leaves_a_coherent_history(app, client, writer):
    portal = Portal(client, writer, "A3000")
    portal.direct_debit(True)
    barrier = threading.Barrier(2)
    codes = []

    def call(method):
        with app.test_client() as own:
            barrier.wait(10)
            other = Portal(own, writer, "A3000")
            codes.append(getattr(other, method)("2027-05-10").status_code)

    threads = [threading.Thread(target=call, args=(m,)) for m in ("paperless", "stop")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert codes == [200, 200]
    items = list(reversed(portal.history().get_json()["items"]))
    _chain_holds(items)
    assert portal.get().get_json()["paperless"] == items[-1]["after"]["paperless"]


def test_two_opposite_choices_at_once_one_wins_and_both_are_in_the_history(app, client, writer):
    portal = Portal(client, writer, "A4000")
    portal.patch({"email": True})
    barrier = threading.Barrier(2)
    answers: dict[bool, dict] = {}

    def choose(on: bool):
        with app.test_client() as own:
            barrier.wait(10)
            response = own.patch("/v1/accounts/A4000/preferences", json={"themes": {"building_works": on}},
                                 headers=writer)
            answers[on] = {"code": response.status_code, "body": response.get_json()}

    threads = [threading.Thread(target=choose, args=(on,)) for on in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [answers[on]["code"] for on in (True, False)] == [200, 200]
    items = list(reversed(portal.history().get_json()["items"]))
    assert [i["asked"] for i in items[1:]] in (
        [{"themes": {"building_works": True}}, {"themes": {"building_works": False}}],
        [{"themes": {"building_works": False}}, {"themes": {"building_works": True}}])
    _chain_holds(items)
    winner = items[-1]["asked"]["themes"]["building_works"]  # the one applied last
    final = portal.get().get_json()
    assert final["themes"]["building_works"] is winner and final == items[-1]["after"]
    assert final["email"] is True  # the earlier choice survives both
    assert answers[winner]["body"] == final
