"""How the audit log names the federation's records and its indicators (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.federation.metrics import METRICS
from service.i18n import lazy_gettext as _l

words.register(
    entities={
        "category_change": _l("category change"),
        "metric_rollup": _l("statistics roll-up"),
        "guidance": _l("guidance"),
        "guidance_receipt": _l("guidance receipt"),
        "federation_problem": _l("problem"),
        "federation_problem_finding": _l("problem finding"),
        "federation_problem_event": _l("problem step"),
        "federation_comment": _l("comment"),
        "association_table": _l("associations table"),
    },
    fields={"selection": _l("Rows exported"), "association": _l("Association")},
    values={"metric": {m.code: m.label for m in METRICS}},
    record_values={
        ("association_table", "selection"): {
            "chosen": _l("the associations chosen in the table"),
            "filter": _l("every association of the table's filter"),
        }
    },
)
