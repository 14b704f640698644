"""The worker's two jobs: seal new records, run the verifications the DPO asked for."""
from __future__ import annotations

from consent_service.extensions import db

from . import sealer, services


def seal_job() -> int:
    return sealer.seal_pending()


def verification_job() -> int:
    run = services.claim_verification()
    if run is None:
        return 0
    db.session.commit()  # "running" is seen by the back-office while the check goes on
    services.run_verification(run)
    db.session.commit()
    return 1
