"""The federation's association table as its query string describes it (the filter, the
sort and the year), for the table's page, its exports and its bulk form: "every association
of this filter" is worked out here again on the server, never taken from a list of ids that
the page sends, and its confirmation (service/web/confirmations.py) says how many."""

from __future__ import annotations

from flask import abort, request, url_for

from service.associations import services as associations
from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.federation import categories, dashboards
from service.federation.metrics import SORTS
from service.federation.scope import federation_id
from service.governance import compliance
from service.i18n import gettext as _


def year() -> int:
    """The year of the table's figures (`?year=`), this year unless a plausible one is asked."""
    asked = request.args.get("year", type=int)
    return asked if asked and 2000 <= asked <= 2100 else dashboards.this_year()


def table_args(taxonomy: dict[str, str]) -> dict:
    """The table's filters and sort from the query string; unknown values are ignored."""
    args = request.args
    category = args.get("category") if args.get("category") in taxonomy else None
    status = args.get("status") if args.get("status") in associations.status_labels() else None
    finding = args.get("compliance") if args.get("compliance") in compliance.STATUS_LABELS else None
    sort = args.get("sort") if args.get("sort") in SORTS else "name"
    return {
        "category": category,
        "status": status,
        "finding": finding,
        "sort": sort,
        "descending": args.get("order") == "desc",
    }


def filter_args() -> dict:
    """The table's query string as it is, to come back to the same filter and sort."""
    return {k: v for k, v in request.args.items() if v}


def guiding() -> bool:
    """Whether the bulk form asks for guidance (the officer's right alone: 403 otherwise);
    False for an export."""
    if request.form.get("action") != "guidance":
        return False
    if not current_principal().can(Permission.MANAGE_FEDERATION):
        abort(403)
    return True


def matching_rows() -> list[dashboards.Row]:
    """Every row of the table under the filter of the request's query string (the bulk
    form posts to the table's own query string), as the table draws them, in the caller's
    federation: worked out on the server, never taken from a list the page sends."""
    fed = federation_id()
    return dashboards.table(fed, year(), **table_args(categories.labels(fed)))


def filter_in_words() -> list[str]:
    """The table's filter in force, as its labels ("University category: 研究型")."""
    fed = federation_id()
    args = table_args(categories.labels(fed))
    shown = [
        (_("University category"), categories.labels(fed).get(args["category"] or "")),
        (_("Status"), associations.status_labels().get(args["status"] or "")),
        (_("Compliance"), compliance.STATUS_LABELS.get(args["finding"] or "")),
    ]
    return [f"{label}：{value}" for label, value in shown if value]


def chosen_says() -> list[str]:
    """What "every association of this filter" will do, with how many: the confirmation."""
    to_guide = guiding()
    rows = matching_rows()
    names = "、".join(r.name for r in rows[:10])
    more = _(" and %(n)d more", n=len(rows) - 10) if len(rows) > 10 else ""
    words = filter_in_words()
    says = [
        _("The table's filter: %(filter)s.", filter="；".join(words))
        if words
        else _("No filter: every association of the federation.")
    ]
    if to_guide:
        says.append(
            _(
                "The guidance form opens addressed to all %(n)d associations of this filter: "
                "%(names)s%(more)s.",
                n=len(rows),
                names=names,
                more=more,
            )
        )
        says.append(_("Nothing is sent until you write the guidance and send it."))
    else:
        says.append(
            _(
                "All %(n)d associations of this filter will be exported to Excel: "
                "%(names)s%(more)s.",
                n=len(rows),
                names=names,
                more=more,
            )
        )
        says.append(_("The export is recorded in the audit log."))
    return says


def table_page() -> str:
    """The table as it was (its filter and sort): where "返回" leads."""
    return url_for("federation.table", **filter_args())
