"""The yearly statistics, the record of processing activities (art. 30) and the registers as
French Excel reads them."""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user

from consent_service.extensions import db
from dsar import services as dsar_services

from ..services import registers
from ..services.audit import audit
from .base import bp, lang
from .cases import _register_filters


def _csv(body: str, name: str) -> Response:
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/statistics")
def statistics():
    years = registers.years()
    year = request.args.get("year", type=int, default=years[0])
    if year not in years:
        abort(404)
    return render_template("backoffice/statistics.html", s=registers.year_statistics(year), years=years)


@bp.get("/records")
def records():
    return render_template("backoffice/records.html", activities=registers.activities(lang()))


@bp.get("/records.csv")
def records_csv():
    audit(current_user.email, "records_downloaded")
    db.session.commit()
    return _csv(registers.activities_excel_csv(lang()), "registre-des-traitements.csv")


@bp.get("/register-excel.csv")
def register_excel_csv():
    """The register of requests for French Excel (the plain CSV stays at register.csv)."""
    body = registers.requests_excel_csv(dsar_services.list_requests(**_register_filters(), limit=None))
    audit(current_user.email, "register_downloaded")
    db.session.commit()
    return _csv(body, "registre-des-demandes.csv")
