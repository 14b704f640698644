"""Every documented setting, set through the environment (``create_app(environ=…)``), changes
what the service does. test_settings.py proves each one reaches app.config; here each one is
seen at work: a test below, or (``PROVEN_ELSEWHERE``) the feature's own test that sets it and
watches the behaviour it governs."""
from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import time
from pathlib import Path

import pytest
from itsdangerous import BadSignature
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from consent_service import apikeys, clock, config, create_app, hooks, tokens
from consent_service.extensions import db
from consent_service.mail import OutboxMessage, queue_mail, send_due

from ..cookies.helpers import make_site
from ..dsar.helpers import SmtpSink, free_port

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)

# Settings whose effect a feature's own test already shows (it sets the variable and checks
# the behaviour); test_the_tests_named_here_exist_and_set_their_variable keeps this honest.
PROVEN_ELSEWHERE = {
    "DATABASE_URL": "tests/deploy/test_package.py::test_the_installed_service_migrates_a_fresh_database_and_is_ready",
    "SECRET_KEY_FALLBACKS": "tests/cookies/test_consent_state.py::test_rotated_keys_still_verify_through_the_fallbacks",
    "PUBLIC_BASE_URL": "tests/cookies/test_consent_api.py::test_secure_cookie_and_domain_follow_configuration",
    "TRUSTED_PROXY_HOPS": "tests/core/test_app.py::test_proxy_hops_decide_the_client_address",
    "RATELIMIT_STORAGE_URI": "tests/cookies/test_consent_api.py::test_rate_limit_counters_can_live_in_redis",
    "CONSENT_RATE_LIMIT": "tests/cookies/test_consent_api.py::test_consents_are_rate_limited_per_client_address",
    "LOG_FORMAT": "tests/core/test_logs.py::test_log_format_json_from_the_environment_configures_the_process",
    "SMTP_HOST": "tests/core/test_mail.py::test_without_smtp_host_mail_stays_in_the_outbox_and_is_logged_by_id",
    "SMTP_PORT": "tests/core/test_mail.py::test_the_message_goes_out_once_the_server_is_back",
    "SMTP_USERNAME": "tests/core/test_mail.py::test_smtp_login_with_the_configured_credentials",
    "SMTP_PASSWORD": "tests/core/test_mail.py::test_smtp_login_with_the_configured_credentials",
    "SMTP_TIMEOUT": "tests/core/test_mail.py::test_smtp_down_retries_with_exponential_back_off_then_fails",
    "MAIL_MAX_ATTEMPTS": "tests/core/test_mail.py::test_smtp_down_retries_with_exponential_back_off_then_fails",
    "WORKER_IDLE_SECONDS":
        "tests/core/test_worker.py::test_sigterm_finishes_the_mail_in_hand_hands_back_the_others_and_exits_0",
    "WORKER_SCHEDULE": "tests/core/test_worker.py::test_the_schedule_setting_overrides_a_job_period",
    "DSAR_RATE_LIMIT": "tests/dsar/test_security.py::test_the_form_is_limited_per_client_address",
    "DSAR_EMAIL_RATE_LIMIT": "tests/core/test_settings.py::test_the_email_rate_limit_off_from_the_environment_lifts_it",
    "DSAR_DIGEST_HOUR": "tests/core/test_settings.py::test_the_digest_hour_from_the_environment_moves_the_digest",
    "DSAR_RETENTION_MONTHS":
        "tests/dsar/test_retention.py::test_the_retention_sweep_keeps_requests_dsar_retention_months_after_closing",
    "DATAMAP_PATH": "tests/datamap/test_loader.py::test_the_app_does_not_start_with_a_bad_map",
    "PURGE_BATCH_SIZE": "tests/trust/test_receipts.py::test_batched_steps_count_what_was_there",
    "PURGE_STEP_LEASE_SECONDS":
        "tests/datamap/test_resilience.py::test_a_crash_mid_step_leaves_a_step_the_next_worker_finishes",
    "PURGE_BATCH_PAUSE_SECONDS":
        "tests/datamap/test_worker_stop.py::test_sigterm_mid_purge_ends_the_step_in_hand_and_leaves_nothing_claimed",
    "RETENTION_BATCH_SIZE":
        "tests/datamap/test_leases_retention.py::test_retention_goes_in_bounded_batches_each_committed",
    "RETENTION_BATCHES_PER_PASS":
        "tests/datamap/test_leases_retention.py::test_retention_goes_in_bounded_batches_each_committed",
    "CONSENT_PROOF_RETENTION_MONTHS":
        "tests/datamap/test_leases_retention.py::test_consent_proofs_older_than_the_retention_are_swept",
    "ERASURE_JOURNAL":
        "tests/datamap/test_erasure_journal.py::test_replay_after_a_restore_leaves_no_residue_and_keeps_receipts",
    "PSEUDONYM_KEY": "tests/trust/test_pseudonym_key.py::test_pseudonym_key_set_wins_and_is_not_secret_key",
    "BACKOFFICE_LOGIN_RATE_LIMIT": "tests/backoffice/test_security.py::test_the_sign_in_post_is_rate_limited",
    "BACKOFFICE_PAGE_SIZE": "tests/backoffice/test_dashboard.py::"
                            "test_with_more_than_500_open_requests_the_one_overdue_case_is_counted_and_shown_first",
    "BACKOFFICE_REQUIRE_2FA":
        "tests/backoffice/test_accounts_2fa.py::test_with_2fa_required_a_dpo_enrols_then_always_gives_a_code",
    "PREFERENCES_PATH": "tests/preferences/test_catalogue.py::test_the_environment_variable_is_read_too",
    "SEAL_INTERVAL_SECONDS": "tests/proofs/test_sealing.py::test_the_worker_seals_every_seal_interval_seconds",
    "SEAL_JOURNAL": "tests/proofs/test_sealing.py::test_each_seal_is_appended_to_the_seal_journal",
}
# Settings whose effect is shown in this file (the test's name says which).
SHOWN_HERE = {
    "SECRET_KEY", "CONSENT_READ_RATE_LIMIT", "POLICY_CACHE_SECONDS", "PROMETHEUS_MULTIPROC_DIR", "SMTP_STARTTLS",
    "MAIL_FROM", "DPO_EMAIL", "MAIL_RETRY_BASE_SECONDS", "PURGE_STEPS_PER_PASS", "PURGE_MAX_ATTEMPTS",
    "PURGE_RETRY_SECONDS", "CONSENT_OBJECTIONS_CACHE_SECONDS",
    "BACKOFFICE_LOCK_AFTER", "BACKOFFICE_LOCK_MINUTES", "BACKOFFICE_IDLE_MINUTES",
}


def test_every_documented_setting_is_seen_at_work():
    assert set(PROVEN_ELSEWHERE) | SHOWN_HERE == set(config.BY_NAME)
    assert not set(PROVEN_ELSEWHERE) & SHOWN_HERE
    names = {node.name for node in ast.parse(Path(__file__).read_text()).body if isinstance(node, ast.FunctionDef)}
    for name in SHOWN_HERE:
        assert any(name.lower() in test for test in names), f"no test here is named for {name}"


@pytest.mark.parametrize("name", sorted(PROVEN_ELSEWHERE))
def test_the_tests_named_here_exist_and_set_their_variable(name):
    path, test = PROVEN_ELSEWHERE[name].split("::")
    source = (ROOT / path).read_text(encoding="utf-8")
    function, = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef) and node.name == test]
    assert name in ast.get_source_segment(source, function), f"{test} does not set {name}"


def test_secret_key_from_the_environment_signs_what_every_process_with_it_verifies(tmp_path):
    one, other, stranger = (create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"},
                                       environ={"SECRET_KEY": key})
                            for key in ("shared-key-1", "shared-key-1", "another-key"))
    with one.app_context():
        token = tokens.timed("effect-test").dumps({"n": 1})
    with other.app_context():
        assert tokens.timed("effect-test").loads(token) == {"n": 1}
    with stranger.app_context(), pytest.raises(BadSignature):
        tokens.timed("effect-test").loads(token)


def test_consent_read_rate_limit_from_the_environment_limits_policy_reads(app_with):
    app = app_with(environ={"CONSENT_READ_RATE_LIMIT": "2 per minute"})
    client = app.test_client()
    admin = {"Authorization": f"Bearer {apikeys.create_key('admin', ['sites:admin'])}"}
    db.session.commit()
    make_site(client, admin)
    codes = [client.get("/v1/sites/espace-locataire/policy").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize(("seconds", "kept"), [("60", True), ("0", False)])
def test_policy_cache_seconds_from_the_environment_is_how_long_a_policy_is_kept(app_with, seconds, kept):
    from cookies import policies

    app = app_with(environ={"POLICY_CACHE_SECONDS": seconds})
    admin = {"Authorization": f"Bearer {apikeys.create_key('admin', ['sites:admin'])}"}
    db.session.commit()
    make_site(app.test_client(), admin)
    policies.forget_cached_policy()
    policies.current_policy("espace-locataire")
    assert (policies.cached_policy("espace-locataire") is not None) is kept


def test_prometheus_multiproc_dir_from_the_environment_is_where_metrics_are_read(app_with, tmp_path):
    counts = MmapedDict(str(tmp_path / "counter_4242.db"))
    counts.write_value(mmap_key("consent_decisions", "consent_decisions_total", ["site", "action"],
                                ["elsewhere", "accept_all"], "Consent decisions."), 7.0, 0.0)
    counts.close()
    app = app_with(environ={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    text = app.test_client().get("/metrics").get_data(as_text=True)
    samples = {(s.name, s.labels.get("site")): s.value for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples[("consent_decisions_total", "elsewhere")] == 7.0


def queued(**changes) -> OutboxMessage:
    message = queue_mail(**{"to": "tenant@example.fr", "subject": "Sujet", "text": "Bonjour", **changes})
    db.session.commit()
    return message


def test_mail_from_from_the_environment_is_the_sender(app_with):
    with SmtpSink() as sink:
        app_with(environ={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port), "MAIL_FROM": "rgpd@bailleur.example"})
        queued()
        assert send_due() == 1
    assert sink.messages[0]["From"] == "rgpd@bailleur.example"


@pytest.mark.parametrize(("starttls", "sent"), [("false", 1), ("true", 0)])
def test_smtp_starttls_from_the_environment_asks_the_server_for_tls(app_with, starttls, sent):
    with SmtpSink() as sink:  # a server without STARTTLS: asking for it must fail the try
        app_with(environ={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port), "SMTP_STARTTLS": starttls,
                          "SMTP_TIMEOUT": "3"})
        clock.set_now(T0)
        message = queued()
        assert send_due() == sent and len(sink.messages) == sent
    if not sent:
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message.id).last_error == "SMTPNotSupportedError"  # no STARTTLS there


def test_mail_retry_base_seconds_from_the_environment_sets_the_first_delay(app_with):
    app_with(environ={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()), "SMTP_TIMEOUT": "2",
                      "MAIL_RETRY_BASE_SECONDS": "7"})
    clock.set_now(T0)
    message = queued()
    assert send_due() == 0
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).next_attempt_at == T0 + dt.timedelta(seconds=7)


def test_dpo_email_from_the_environment_receives_new_request_notices(app_with):
    client = app_with(environ={"DPO_EMAIL": "equipe-rgpd@bailleur.example"}).test_client()
    clock.set_now(T0)
    assert client.post("/v1/dsar/requests", json={"type": "access", "email": "a@example.fr",
                                                  "full_name": "A"}).status_code == 202
    recipients = set(db.session.execute(db.select(OutboxMessage.to)).scalars())
    assert "equipe-rgpd@bailleur.example" in recipients and "dpo@localhost" not in recipients


def test_purge_steps_per_pass_from_the_environment_bounds_one_pass(app_with):
    from datamap import engine

    app = app_with(environ={"PURGE_STEPS_PER_PASS": "1", "CONSENT_RATE_LIMIT": "off"})
    client = app.test_client()
    writer = {"Authorization": f"Bearer {apikeys.create_key('writer', ['accounts:write'])}"}
    db.session.commit()
    for account in ("A1", "A2", "A3"):
        assert client.post(f"/v1/accounts/{account}/deletion", headers=writer).status_code in (200, 201, 202)
    assert [engine.run_purges() for _ in range(3)] == [1, 1, 1]


def test_purge_retry_seconds_and_purge_max_attempts_from_the_environment(app_with, monkeypatch):
    from datamap import engine
    from datamap.models import PurgeStep

    app = app_with(environ={"PURGE_RETRY_SECONDS": "11", "PURGE_MAX_ATTEMPTS": "2"})
    writer = {"Authorization": f"Bearer {apikeys.create_key('writer', ['accounts:write'])}"}
    db.session.commit()
    clock.set_now(T0)
    assert app.test_client().post("/v1/accounts/A1/deletion", headers=writer).status_code in (200, 201, 202)

    def store_down(*args):
        raise ConnectionError("the store is down")

    monkeypatch.setattr(engine, "erase_builtin", store_down)
    engine.run_purges()
    step = db.session.execute(db.select(PurgeStep)).scalar_one()
    assert (step.status, step.attempts, step.next_attempt_at) == ("pending", 1, T0 + dt.timedelta(seconds=11))
    clock.set_now(step.next_attempt_at)
    engine.run_purges()
    db.session.expire_all()
    step = db.session.execute(db.select(PurgeStep)).scalar_one()
    assert (step.status, step.attempts) == ("failed", 2)  # the second try was the last, not the fifth


@pytest.mark.parametrize("seconds", ["120", "0"])
def test_consent_objections_cache_seconds_from_the_environment_is_how_long_objections_are_kept(app_with, seconds):
    app_with(environ={"CONSENT_OBJECTIONS_CACHE_SECONDS": seconds})
    cache = hooks.CONSENT_OBJECTIONS.get()
    cache.forget()
    before = time.monotonic()
    cache("some-visitor")
    assert before + float(seconds) <= cache._expires < time.monotonic() + float(seconds) + 1


def backoffice_app(app_with, **environ):
    from backoffice.models import BackofficeUser

    from ..backoffice.conftest import PASSWORD, _hash

    app = app_with(environ={"BACKOFFICE_LOGIN_RATE_LIMIT": "off", **environ}, WTF_CSRF_ENABLED=False)
    clock.set_now(T0)
    db.session.add(BackofficeUser(email="dpo@bailleur.example.fr", password_hash=_hash(PASSWORD), role="dpo",
                                  failed_logins=0, created_at=clock.now()))
    db.session.commit()
    return app


def test_backoffice_lock_after_and_backoffice_lock_minutes_from_the_environment(app_with):
    from ..backoffice.conftest import sign_in

    client = backoffice_app(app_with, BACKOFFICE_LOCK_AFTER="2", BACKOFFICE_LOCK_MINUTES="3").test_client()
    for _ in range(2):
        assert sign_in(client, password="wrong password here").status_code == 200
    assert sign_in(client).status_code == 200  # locked after 2, not the default 5
    clock.set_now(T0 + dt.timedelta(minutes=3, seconds=1))  # unlocked after 3 minutes, not 15
    assert sign_in(client).status_code == 302


def test_backoffice_idle_minutes_from_the_environment_signs_out_sooner(app_with):
    from ..backoffice.conftest import sign_in

    client = backoffice_app(app_with, BACKOFFICE_IDLE_MINUTES="5").test_client()
    html = {"Accept": "text/html"}
    assert sign_in(client).status_code == 302
    clock.set_now(T0 + dt.timedelta(minutes=4))
    assert client.get("/backoffice/", headers=html).status_code == 200
    clock.set_now(T0 + dt.timedelta(minutes=9, seconds=1))
    assert client.get("/backoffice/", headers=html).status_code == 302


def load_gunicorn_settings(monkeypatch, **environ):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_web_servers_own_variables_are_read_by_gunicorn_conf(monkeypatch):
    """PORT, WEB_CONCURRENCY, GUNICORN_WORKER_CLASS and GUNICORN_THREADS are gunicorn's, read by
    gunicorn.conf.py before the service exists (docs/deployment.md)."""
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    default = load_gunicorn_settings(monkeypatch)
    assert (default.bind, default.workers, default.worker_class, default.threads) == ("127.0.0.1:8000", 2, "sync", 1)
    set_ = load_gunicorn_settings(monkeypatch, PORT="9000", WEB_CONCURRENCY="4", GUNICORN_WORKER_CLASS="gthread",
                                  GUNICORN_THREADS="8")
    assert (set_.bind, set_.workers, set_.worker_class, set_.threads) == ("0.0.0.0:9000", 4, "gthread", 8)
