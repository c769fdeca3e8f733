"""The weighty and irreversible actions of the web pages, in one place: each one asks before
it acts, on a page that says what will happen (the GOV.UK pattern: a "确认…" button and a
"返回" link; it works without JavaScript).

How it works: the view is decorated with `@confirm_first` (under its `@require`, so that the
role is checked first). A POST without the confirmation field does nothing and answers with
the confirmation page, which posts the same fields again with the confirmation added. The
consequence is worked out from the row the action is about, loaded in the caller's scope, so
another tenant's id is a 404 here as in the view. tests/service/test_confirmations.py walks
CONFIRMATIONS and fails when a listed action can be completed without confirming it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import render_template, request, url_for

from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l

# The field the confirmation page adds; the word a typed confirmation is compared with.
CONFIRMED = "confirmed"
TYPED = "confirmation_word"


@dataclass(frozen=True)
class Confirmation:
    """What one action says before it acts."""

    title: object
    button: object
    # From the view's URL values: the sentences that state the consequence, and where
    # "返回" leads. Both load what they need in the caller's scope (404 when not theirs).
    consequence: Callable[..., list[str]]
    back: Callable[..., str]
    # Whether this POST is the weighty kind (a review that approves, not one that returns).
    applies: Callable[[], bool] = field(default=lambda: True)
    # A word the user must type (erasure); None for a button alone.
    typed_word: object | None = None


# --- the consequences -------------------------------------------------------------------


def _report_names(report_id: int) -> tuple[str, int]:
    from service.reporting import services

    report = services.access_report(report_id)
    return services.association_of(report).name, services.period_of(report).year


def _report_page(report_id: int) -> str:
    return url_for("reporting.report", report_id=report_id)


def _submit_says(report_id: int) -> list[str]:
    name, year = _report_names(report_id)
    return [
        _(
            "The %(year)d report of %(name)s goes to the federation for review.",
            year=year,
            name=name,
        ),
        _(
            "Until the federation returns it, nobody can change its figures or explanations; "
            "once it is approved, only the federation can reopen it."
        ),
    ]


def _approve_says(report_id: int) -> list[str]:
    name, year = _report_names(report_id)
    return [
        _(
            "The %(year)d report of %(name)s will be approved and locked with its figures "
            "as they are now.",
            year=year,
            name=name,
        ),
        _(
            "It counts in the roll-up, and it can only be changed by reopening it as a new "
            "version, with a reason."
        ),
    ]


def _lock_says(rollup_id: int) -> list[str]:
    from service.reporting import push, services

    rollup = services.access_rollup(rollup_id)
    included, missing = len(rollup.included or []), len(rollup.missing or [])
    total = included + missing
    says = []
    if missing:
        says.append(
            _(
                "%(missing)d of %(total)d associations' reports are not approved; locking now "
                "freezes the %(year)d roll-up with %(included)d associations.",
                missing=missing,
                total=total,
                year=rollup.year,
                included=included,
            )
        )
        names = "、".join(str(m.get("name", "")) for m in rollup.missing[:10])
        more = _(" and %(n)d more", n=missing - 10) if missing > 10 else ""
        says.append(_("Not included: %(names)s%(more)s.", names=names, more=more))
    else:
        says.append(
            _(
                "All %(total)d associations' approved reports are in the %(year)d roll-up.",
                total=total,
                year=rollup.year,
            )
        )
    says.append(
        _(
            "A locked roll-up cannot be changed: a later compile makes a new version, and the "
            "locked one stays as it was."
        )
    )
    if push.endpoint_of(rollup.federation_id) is not None:
        says.append(_("It is sent to national reporting as soon as it is locked."))
    return says


def _rollup_page(rollup_id: int) -> str:
    from service.reporting import services

    period = services.period_of_rollup(services.access_rollup(rollup_id))
    return url_for("reporting.rollup", period_id=period.id)


def _activity(activity_id: int):
    from service.activities import services

    return services.access_activity(activity_id)


def _could_submit() -> bool:
    """A report with figures still to explain is refused at once, naming them: there is
    nothing to confirm yet."""
    from service.reporting import services

    report = services.access_report(request.view_args["report_id"])
    return not (report.figures and services.unexplained(report))


def _reports_activity() -> bool:
    """Only the step to 已上报 is final; planned → held is an ordinary step."""
    from service.activities import services

    return services.is_held(_activity(request.view_args["activity_id"]))


def _report_activity_says(activity_id: int) -> list[str]:
    activity = _activity(activity_id)
    return [
        _("“%(title)s” will be marked as reported.", title=activity.title),
        _(
            "A reported activity is final: it can no longer be edited, and its figures count "
            "in the association's statistics and annual report."
        ),
    ]


def _chosen_activities() -> list | None:
    """The activities of a bulk form, or None when the choice itself is refused (none
    chosen, too many): the view then says why. A foreign id is a 404 here already."""
    from service.activities import forms, services

    try:
        return services.selected_activities(*forms.bulk_choice(request.form, request.args))
    except services.ActivityError:
        return None


def _all_reportable() -> bool:
    """Asked only when every chosen activity can be marked: otherwise the view refuses at
    once, naming those that cannot, and nothing is changed."""
    from service.activities import services

    chosen = _chosen_activities()
    return bool(chosen) and not services.not_reportable(chosen)


def _report_many_says() -> list[str]:
    from service.activities import services

    chosen = _chosen_activities() or []
    return [
        _(
            "%(n)d activities will be marked as reported: %(names)s.",
            n=len(chosen),
            names=services.named(chosen),
        ),
        _(
            "A reported activity is final: it can no longer be edited, and its figures count "
            "in the association's statistics and annual report."
        ),
    ]


def _activity_list() -> str:
    return url_for(
        "activities.index", **{k: v for k, v in request.args.items() if k != "page" and v}
    )


def _status_change():
    """(the chosen members, the status, the day) of the members' bulk form, or None when
    the form or the choice is refused: the view then says why."""
    from datetime import date

    from service.members import services
    from service.members.forms import BulkStatusForm

    form = BulkStatusForm()
    if not form.validate():
        return None
    try:
        chosen = services.selected_members(*form.chosen(request.args))
    except services.MembershipError:
        return None
    return chosen, services.MemberStatus(form.status.data), form.on.data or date.today()


def _statuses_can_change() -> bool:
    from service.members import services

    change = _status_change()
    return change is not None and not services.status_blocked(change[0], change[2])


def _change_statuses_says() -> list[str]:
    from service import naming
    from service.members.services import STATUS_LABELS

    chosen, status, on = _status_change()
    unchanged = [m for m in chosen if m.status == status.value]
    says = [
        _(
            "%(n)d members will be “%(status)s” from %(day)s: %(names)s.",
            n=len(chosen) - len(unchanged),
            status=STATUS_LABELS[status],
            day=on.isoformat(),
            names=naming.named([m.name for m in chosen if m.status != status.value]),
        ),
        _("The change is recorded in each member's history, dated as above."),
    ]
    if unchanged:
        says.append(
            _(
                "%(n)d of those chosen are “%(status)s” already and stay as they are.",
                n=len(unchanged),
                status=STATUS_LABELS[status],
            )
        )
    return says


def _member_list() -> str:
    return url_for("members.index", **{k: v for k, v in request.args.items() if k != "page" and v})


def _withdraw_says() -> list[str]:
    return [
        _("Your name will no longer be passed upward to the federation or national reporting."),
        _("Your record stays with the association, and only anonymous counts go further."),
    ]


def _erase_says() -> list[str]:
    return [
        _(
            "Your name, contacts and other personal data will be erased for good, and your "
            "account will be closed: you will be signed out and cannot sign in again."
        ),
        _("The association keeps only anonymous counts. This cannot be undone."),
    ]


def _own_record_page() -> str:
    return url_for("me.record_page")


def _every_matching() -> bool:
    """Only "every association of this filter" asks first: the officer does not see those
    rows ticked one by one, so the confirmation says how many and which."""
    from service.web.bulk import all_matching

    return all_matching(request.form)


def _every_matching_says() -> list[str]:
    from service.federation import table_choice

    return table_choice.chosen_says()


def _association_table() -> str:
    from service.federation import table_choice

    return table_choice.table_page()


CONFIRMATIONS: dict[str, Confirmation] = {
    "reporting.submit": Confirmation(
        _l("Submit the report to the federation?"),
        _l("Confirm and submit"),
        _submit_says,
        _report_page,
        applies=_could_submit,
    ),
    "reporting.review": Confirmation(
        _l("Approve and lock the report?"),
        _l("Confirm: approve and lock"),
        _approve_says,
        _report_page,
        applies=lambda: request.form.get("decision") == "approve",
    ),
    "reporting.lock_rollup": Confirmation(
        _l("Lock the provincial roll-up?"),
        _l("Confirm and lock the roll-up"),
        _lock_says,
        _rollup_page,
    ),
    "activities.advance": Confirmation(
        _l("Mark the activity as reported?"),
        _l("Confirm: mark as reported"),
        _report_activity_says,
        lambda activity_id: url_for("activities.detail", activity_id=activity_id),
        applies=_reports_activity,
    ),
    "activities.report_many": Confirmation(
        _l("Mark the chosen activities as reported?"),
        _l("Confirm: mark them as reported"),
        _report_many_says,
        _activity_list,
        applies=_all_reportable,
    ),
    "members.change_statuses": Confirmation(
        _l("Change the status of the chosen members?"),
        _l("Confirm: change their status"),
        _change_statuses_says,
        _member_list,
        applies=_statuses_can_change,
    ),
    "federation.act_on_chosen": Confirmation(
        _l("Act on every association of this filter?"),
        _l("Confirm and continue"),
        _every_matching_says,
        _association_table,
        applies=_every_matching,
    ),
    "me.withdraw_consent": Confirmation(
        _l("Withdraw your consent?"),
        _l("Confirm and withdraw consent"),
        _withdraw_says,
        _own_record_page,
    ),
    "me.erase": Confirmation(
        _l("Erase your personal data?"),
        _l("Erase my personal data for good"),
        _erase_says,
        _own_record_page,
        typed_word=_l("erase"),
    ),
}


# --- the step itself --------------------------------------------------------------------


def _typed_right(entry: Confirmation) -> bool:
    typed = request.form.get(TYPED, "").strip().casefold()
    return typed == str(entry.typed_word).casefold()


def _confirmation_page(entry: Confirmation, view_args: dict, wrong_word: bool):
    echoed = [
        (name, value)
        for name, values in request.form.lists()
        if name not in ("csrf_token", CONFIRMED, TYPED)
        for value in values
    ]
    page = render_template(
        "confirm.html",
        entry=entry,
        consequence=entry.consequence(**view_args),
        back=entry.back(**view_args),
        echoed=echoed,
        confirmed_field=CONFIRMED,
        typed_field=TYPED,
        wrong_word=wrong_word,
    )
    return page, (400 if wrong_word else 200)


def confirm_first(view):
    """Decorator: the listed action goes ahead only with its confirmation (and the typed
    word, when it asks for one); otherwise nothing is done and the confirmation is shown."""

    @wraps(view)
    def wrapped(**view_args):
        entry = CONFIRMATIONS[request.endpoint]
        if request.method == "POST" and entry.applies():
            confirmed = request.form.get(CONFIRMED) == "yes"
            if not confirmed or (entry.typed_word is not None and not _typed_right(entry)):
                return _confirmation_page(entry, view_args, wrong_word=confirmed)
        return view(**view_args)

    return wrapped
