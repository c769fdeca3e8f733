"""A member's own record (PIPL): see it with each field's purpose, correct it, export it,
withdraw consent, erase it."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.auth.services import account_of
from service.errors import Conflict, blame
from service.i18n import gettext as _
from service.members import services
from service.members.eligibility import ELIGIBILITY_LABELS, eligibility
from service.members.forms import SelfServiceForm
from service.members.models import FIELD_PURPOSES, STATUS_LABELS, TITLE_LABELS, Member
from service.members.tabular import COLUMNS, export_row, to_xlsx
from service.sso import services as sso
from service.web.confirmations import confirm_first
from service.web.downloads import XLSX, download

bp = Blueprint("me", __name__, url_prefix="/me")


def _own_record() -> Member:
    """The signed-in member's own record; 404 when the account has none."""
    return services.member_of_account(current_principal().id)


def _as_dict(member: Member) -> dict:
    return {
        field: (value.isoformat() if hasattr(value, "isoformat") else value)
        for field in (*services.MEMBER_FIELDS, "status", "consent_version", "consent_at")
        for value in [getattr(member, field)]
    }


@bp.route("/", methods=["GET", "POST"])
@require(Permission.OWN_MEMBER_RECORD)
def record_page():
    member = _own_record()
    form = SelfServiceForm(obj=member)
    if form.validate_on_submit():
        try:
            services.update_member(member, form.data)
        except services.MembershipError as refused:  # checked before anything is changed
            form.phone.errors.append(str(refused))
        except Conflict as taken:  # a key given to another member since the check
            blame(form, taken)
        else:
            flash(_("Your record is corrected."), "success")
            return redirect(url_for(".record_page"))
    status = eligibility(member.in_cast_society, member.title, member.exception_reason)
    return render_template(
        "members/me.html",
        member=member,
        form=form,
        purposes=FIELD_PURPOSES,
        titles=TITLE_LABELS,
        statuses=STATUS_LABELS,
        eligibility=ELIGIBILITY_LABELS[status],
        policy=services.policy(),
        sso_link=sso.link_of(current_user),
    ), (400 if form.errors else 200)


@bp.get("/export.<fmt>")
@require(Permission.OWN_MEMBER_RECORD)
def export(fmt: str):
    if fmt not in ("json", "xlsx"):
        abort(404)
    member = _own_record()
    services.export_own_record(member)
    if fmt == "json":
        body = json.dumps(_as_dict(member), ensure_ascii=False, indent=2)
        return download(body.encode(), "my-record.json", "application/json")
    return download(
        to_xlsx([c.header for c in COLUMNS], [export_row(member, {})]), "my-record.xlsx", XLSX
    )


@bp.post("/consent/withdraw")
@require(Permission.OWN_MEMBER_RECORD)
@confirm_first
def withdraw_consent():
    services.withdraw_consent(_own_record())
    flash(_("Your consent is withdrawn. Your name is no longer passed upward."), "success")
    return redirect(url_for(".record_page"))


@bp.post("/erase")
@require(Permission.OWN_MEMBER_RECORD)
@confirm_first
def erase():
    services.erase_own_record(_own_record(), account_of(current_principal()))
    logout_user()
    flash(_("Your personal data is erased and your account is closed."), "success")
    return redirect(url_for("auth.login"))
