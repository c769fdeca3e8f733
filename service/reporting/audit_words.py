"""How the audit log names reporting's records and their coded values (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l
from service.reporting.models import STATUS_LABELS

words.register(
    entities={
        "annual_report": _l("annual report"),
        "federation_rollup": _l("provincial roll-up"),
        "statistical_form_header": _l("national form header"),
        "reporting_period": _l("reporting period"),
        "push_outbox": _l("national submission"),
        "reopen_request": _l("request to reopen a report"),
    },
    record_values={("annual_report", "status"): STATUS_LABELS},
)
