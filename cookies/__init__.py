"""Cookie consent: sites, versioned policies, proof of consent, signed cookies, the banner."""
from __future__ import annotations

import datetime as dt

from flask import Flask


def init_app(app: Flask) -> None:
    from consent_service.cli import register_demo_loader
    from consent_service.extensions import api, db
    from consent_service.worker import register_job

    from . import cli, demo, partitions, views
    from .group_commit import GroupCommit

    api.register_blueprint(views.sites_blp)
    api.register_blueprint(views.consent_blp)
    from .pages import pages_blp; app.register_blueprint(pages_blp)  # noqa: E702 (one line: shared file)
    from .integration import kit_blp; app.register_blueprint(kit_blp)  # noqa: E702 (one line: shared file)
    from .examples import examples_blp; app.register_blueprint(examples_blp)  # noqa: E702 (one line: shared file)
    app.cli.add_command(cli.policy_cli)
    app.cli.add_command(cli.sites_cli)
    from .hot import install; install(app)  # noqa: E702 (one line: shared file)
    register_demo_loader(app, "cookies", demo.load_demo_site)
    register_job(app, "proof_partitions", partitions.ensure_months, every=dt.timedelta(hours=1))
    app.extensions["proof_writer"] = GroupCommit(lambda: db.engine.begin())
