"""Web pages for the secretariat: members, group members, imports, exports, the policy."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import Conflict, blame, flash_refusal
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.imports.writing import to_csv
from service.members import (
    applications,
    group_import,
    import_review,
    services,
)
from service.members.eligibility import ELIGIBILITY_LABELS, eligibility
from service.members.forms import (
    BulkStatusForm,
    DecisionForm,
    GroupMemberForm,
    MemberForm,
    MergeForm,
    PolicyForm,
    StatusForm,
    TitleWordForm,
    list_filters,
)
from service.members.models import (
    KIND_LABELS,
    STATUS_LABELS,
    TITLE_LABELS,
    ApplicationStatus,
    MemberStatus,
)
from service.members.tabular import COLUMNS, STATUS_HEADER, template_xlsx, to_xlsx
from service.privacy import mask_email, mask_phone, mask_staff_number
from service.unit_of_work import discard
from service.validation import ID_MAX
from service.web import import_screens
from service.web.confirmations import confirm_first
from service.web.downloads import CSV, XLSX, download
from service.web.pagination import page_of

bp = Blueprint("members", __name__, url_prefix="/members")


def _filters() -> dict:
    """The list's filters from the query string: the page, its exports and its bulk form
    read the same ones, so an export holds exactly the rows on show."""
    return list_filters(request.args)


@bp.get("/")
@require(Permission.VIEW_MEMBERS)
def index():
    filters = _filters()
    page = page_of(services.members_query(**filters))
    query_args = {
        "q": filters["search"],
        "status": filters["status"],
        "title": filters["title"],
    }
    return render_template(
        "members/index.html",
        page=page,
        query_args={k: v for k, v in query_args.items() if v},
        **filters,
        statuses=STATUS_LABELS,
        titles=TITLE_LABELS,
        counts=services.member_counts(),
    )


def _list_page() -> str:
    """The list as the clerk left it: the filter travels in the query string."""
    return url_for(".index", **{k: v for k, v in request.args.items() if k != "page" and v})


@bp.post("/status")
@require(Permission.EDIT_MEMBERS)
@confirm_first
def change_statuses():
    """Set the status of every chosen member in one step, all or none (after the
    confirmation, which is asked only when every chosen member can take the change)."""
    form = BulkStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        chosen = services.selected_members(*form.chosen(request.args))
        changed = services.set_status_of_many(chosen, MemberStatus(form.status.data), form.on.data)
    except services.MembershipError as refused:
        return flash_refusal(refused, _list_page())
    flash(_("The status of %(n)d members is changed.", n=changed), "success")
    return redirect(_list_page())


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.EDIT_MEMBERS)
def new():
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member = services.create_member(form.data)
        except services.DuplicateMember as duplicate:
            flash(str(duplicate), "error")
            return redirect(url_for(".detail", member_id=duplicate.existing.id))
        except services.MembershipError as refused:
            form.name.errors.append(str(refused))
        except Conflict as taken:  # a key given to another member since the check
            blame(form, taken)
        else:
            flash(_("The member is added."), "success")
            return redirect(url_for(".detail", member_id=member.id))
    return render_template("members/form.html", form=form, member=None), 400 if form.errors else 200


@bp.get("/<int:member_id>")
@require(Permission.VIEW_MEMBERS)
def detail(member_id: int):
    member = services.access_member(member_id)
    status = eligibility(member.in_cast_society, member.title, member.exception_reason)
    return render_template(
        "members/detail.html",
        member=member,
        eligibility=ELIGIBILITY_LABELS[status],
        titles=TITLE_LABELS,
        statuses=STATUS_LABELS,
        status_form=StatusForm(status=member.status),
    )


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@require(Permission.EDIT_MEMBERS)
def edit(member_id: int):
    member = services.access_member(member_id)
    form = MemberForm(obj=member)
    if form.validate_on_submit():
        try:
            services.update_member(member, form.data)
        except services.MembershipError as refused:  # checked before anything is changed
            form.name.errors.append(str(refused))
        except Conflict as taken:  # a key given to another member since the check
            blame(form, taken)
        else:
            flash(_("The member is saved."), "success")
            return redirect(url_for(".detail", member_id=member.id))
    status = 400 if form.errors else 200
    return render_template("members/form.html", form=form, member=member), status


@bp.post("/<int:member_id>/status")
@require(Permission.EDIT_MEMBERS)
def change_status(member_id: int):
    member = services.access_member(member_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_member_status(member, MemberStatus(form.status.data), form.on.data)
    except services.MembershipError as refused:
        return flash_refusal(refused, url_for(".detail", member_id=member.id))
    flash(_("The status is changed."), "success")
    return redirect(url_for(".detail", member_id=member.id))


# --- export and import ----------------------------------------------------------------


@bp.get("/export.<fmt>")
@require(Permission.VIEW_MEMBERS)
def export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    principal = current_principal()
    clear = principal.can(Permission.EXPORT_MEMBER_CONTACTS)
    masks = (
        {}
        if clear
        else {"phone": mask_phone, "email": mask_email, "staff_number": mask_staff_number}
    )
    rows = services.exported_rows(masks, principal.association_id, fmt, **_filters())
    header = [c.header for c in COLUMNS] + [STATUS_HEADER]
    if fmt == "xlsx":
        return download(to_xlsx(header, rows), "members.xlsx", XLSX)
    return download(to_csv(header, rows), "members.csv", CSV)


@bp.get("/template.xlsx")
@require(Permission.EDIT_MEMBERS)
def template():
    return download(template_xlsx(), "member-template.xlsx", XLSX)


MEMBERS = import_screens.Pages(
    blueprint="members", kind="members", template="members.template", back="members.index"
)
GROUPS = import_screens.Pages(
    blueprint="members",
    kind="groups",
    template="members.group_template",
    back="members.groups",
    label=_l("Group member file (.xlsx or .csv)"),
    upload_rule="/groups/imports",
    upload_endpoint="group_imports",
)
# The upload pages of members (/imports) and group members (/groups/imports), on the same
# engine, status and review pages.
import_screens.add_routes(bp, Permission.EDIT_MEMBERS, MEMBERS, GROUPS)


@bp.get("/groups/template.xlsx")
@require(Permission.EDIT_MEMBERS)
def group_template():
    return download(group_import.template_xlsx(), "group-member-template.xlsx", XLSX)


@bp.route("/imports/titles", methods=["GET", "POST"])
@require(Permission.EDIT_MEMBERS)
def import_titles():
    """The association's job titles and their levels, over the seeded ones."""
    form = TitleWordForm()
    if form.validate_on_submit():
        import_review.set_title_word(form.word.data, form.level.data)
        flash(_("The job title is saved."), "success")
        return redirect(url_for(".import_titles"))
    words, seeded = import_review.title_words()
    return render_template(
        "members/import_titles.html", form=form, words=words, seeded=seeded, titles=TITLE_LABELS
    ), (400 if form.errors else 200)


# --- applications ---------------------------------------------------------------------


@bp.get("/applications/")
@require(Permission.EDIT_MEMBERS)
def applications_index():
    return render_template(
        "members/applications.html",
        applications=applications.pending(),
        titles=TITLE_LABELS,
        policy=services.policy(),
    )


@bp.route("/applications/<int:member_application_id>", methods=["GET", "POST"])
@require(Permission.EDIT_MEMBERS)
def application(member_application_id: int):
    found = applications.access_application(member_application_id)
    form = DecisionForm()
    names_differ = None
    if form.validate_on_submit():
        decided_by = current_principal().audit_label
        try:
            if request.form.get("decision") == "approve":
                member = applications.approve(found, decided_by, form.reason.data)
                flash(_("The applicant is a member now."), "success")
                return redirect(url_for(".detail", member_id=member.id))
            applications.reject(found, decided_by, form.reason.data or "")
        except (services.MembershipError, Conflict) as refused:
            discard()  # a merge may have filled the member's fields before its refusal
            form.reason.errors.append(str(refused))
            if isinstance(refused, applications.NamesDiffer):
                names_differ = refused.member.id
        else:
            flash(_("The application is rejected."), "success")
            return redirect(url_for(".applications_index"))
    status = eligibility(found.in_cast_society, found.title, found.statement)
    pending = found.status == ApplicationStatus.PENDING
    return render_template(
        "members/application.html",
        application=found,
        form=form,
        titles=TITLE_LABELS,
        eligibility=ELIGIBILITY_LABELS[status],
        likely=applications.likely_duplicates(found) if pending else [],
        shared_labels=applications.SHARED_LABELS,
        names_differ=names_differ,
    ), (400 if form.errors else 200)


@bp.route("/applications/<int:member_application_id>/merge", methods=["GET", "POST"])
@require(Permission.EDIT_MEMBERS)
def application_merge(member_application_id: int):
    """The application and a member side by side; staff merge, create a new member or
    reject. Without a member to compare with, back to the application."""
    found = applications.access_application(member_application_id)
    member_id = request.args.get("member_id", type=int) or request.form.get("member_id", type=int)
    if not member_id:
        return redirect(url_for(".application", member_application_id=found.id))
    if not 0 < member_id <= ID_MAX:  # no such row: as for any id that is not ours
        abort(404)
    member = services.access_member(member_id)
    form = MergeForm(member.name, found.name)
    if form.validate_on_submit():
        outcome = _decide_merge(found, member, form)
        if outcome is not None:
            return outcome
    return render_template(
        "members/application_merge.html",
        application=found,
        member=member,
        rows=applications.compare(found, member),
        names_differ=applications.names_differ(member, found),
        form=form,
        titles=TITLE_LABELS,
        statuses=STATUS_LABELS,
        field_labels=applications.COMPARED_LABELS,
    ), (400 if form.errors else 200)


def _decide_merge(found, member, form: MergeForm):
    """Carry out the staff's choice; on a refusal nothing is kept and the form says why."""
    decided_by = current_principal().audit_label
    decision = form.decision.data
    try:
        if decision == "merge":
            kept = applications.merge(
                found, member, decided_by, form.reason.data, form.keep_name.data or None
            )
        elif decision == "new":
            kept = applications.create_new(found, decided_by, form.reason.data)
        else:
            applications.reject(found, decided_by, form.reason.data or "")
            kept = None
    except (services.MembershipError, Conflict) as refused:
        discard()  # a merge may have filled the member's fields before its refusal
        target = form.keep_name if isinstance(refused, applications.NameNotChosen) else form.reason
        target.errors = [*target.errors, str(refused)]
        return None
    if kept is None:
        flash(_("The application is rejected."), "success")
        return redirect(url_for(".applications_index"))
    flash(_("The applicant is a member now."), "success")
    return redirect(url_for(".detail", member_id=kept.id))


# --- the joining policy ---------------------------------------------------------------


@bp.route("/policy", methods=["GET", "POST"])
@require(Permission.MANAGE_MEMBERSHIP_POLICY)
def policy():
    current = services.policy()
    form = PolicyForm(obj=current)
    if form.validate_on_submit():
        services.update_policy(current, form.procedure.data, form.rights_and_duties.data)
        flash(_("The membership policy is saved."), "success")
        return redirect(url_for(".policy"))
    return render_template("members/policy.html", form=form, policy=current), (
        400 if form.errors else 200
    )


# --- group members --------------------------------------------------------------------


@bp.get("/groups/")
@require(Permission.VIEW_MEMBERS)
def groups():
    return render_template(
        "members/groups.html", groups=services.group_members(), kinds=KIND_LABELS
    )


@bp.route("/groups/new", methods=["GET", "POST"])
@require(Permission.EDIT_MEMBERS)
def new_group():
    form = GroupMemberForm()
    if form.validate_on_submit():
        group = services.create_group_member(form.data)
        flash(_("The group member is added."), "success")
        return redirect(url_for(".group", group_id=group.id))
    status = 400 if form.errors else 200
    return render_template("members/group.html", form=form, group=None, history=[]), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@require(Permission.VIEW_MEMBERS)
def group(group_id: int):
    group = services.access_group_member(group_id)
    form = GroupMemberForm(obj=group)
    if request.method == "POST":
        if not current_principal().can(Permission.EDIT_MEMBERS):
            abort(403)
        if form.validate_on_submit():
            services.update_group_member(
                group, form.data, form.reason.data or None, form.status_on.data
            )
            flash(_("The group member is saved."), "success")
            return redirect(url_for(".group", group_id=group.id))
    history = services.group_history(group)
    status = 400 if form.errors else 200
    return render_template("members/group.html", form=form, group=group, history=history), status
