"""The audit log's words for reporting's and sso's records, registered here for this round
only: those packages are being changed by others. Each moves to its package's own
`audit_words` module (as every other package has), and this module goes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from service.audit import words
from service.reporting.models import STATUS_LABELS as REPORT_STATUS_LABELS

words.register(
    entities={
        "annual_report": _l("annual report"),
        "federation_rollup": _l("provincial roll-up"),
        "statistical_form_header": _l("national form header"),
        "reporting_period": _l("reporting period"),
        "push_outbox": _l("national submission"),
        "reopen_request": _l("request to reopen a report"),
        "sso_link": _l("university sign-in link"),
        "identity_provider": _l("university sign-in settings"),
    },
    record_values={("annual_report", "status"): REPORT_STATUS_LABELS},
)
