"""Web pages: submitting a suggestion (named or anonymous), one's own items and answers, the
association's inbox and handling, and the federation's escalated items by theme."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from service.associations import services as associations
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.errors import DomainError, blame, flash_refusal
from service.extensions import limiter
from service.i18n import gettext as _
from service.suggestions import services
from service.suggestions.forms import (
    EscalateForm,
    HandleForm,
    ReceiptForm,
    ReplyForm,
    SuggestionForm,
)
from service.suggestions.models import STATE_LABELS, THEME_LABELS
from service.web.pagination import page_of

bp = Blueprint("suggestions", __name__, url_prefix="/suggestions")


# The session key that carries a submission's outcome to the page after it.
RECEIVED = "suggestion_received"


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.SUBMIT_SUGGESTION)
def new():
    # Whoever opens this form may submit anonymously, so neither its GET nor any POST names
    # the account in the request log, named or not: the lines all look alike.
    g.conceal_actor = True
    form = SuggestionForm()
    if form.validate_on_submit():
        try:
            suggestion, code = services.file(form.data, current_principal().id)
        except DomainError as refused:
            blame(form, refused)  # nothing of it was kept
        else:
            # Named or anonymous, one answer: a 303 to the same page, with a session of the
            # same shape (a named item carries a code that is thrown away, so even the
            # cookie's size does not tell them apart).
            session[RECEIVED] = [int(suggestion.anonymous), code or services.new_receipt_code()]
            return redirect(url_for(".received"), 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("suggestions/new.html", form=form), status


@bp.get("/received")
@require(Permission.SUBMIT_SUGGESTION)
def received():
    """After a submission: the receipt code for an anonymous item (shown once), a word for a
    named one. Logged without the account, like the form."""
    g.conceal_actor = True
    outcome = session.pop(RECEIVED, None)
    if not outcome:
        return redirect(url_for(".mine"))
    anonymous, code = outcome
    return render_template("suggestions/receipt.html", code=code if anonymous else None)


@bp.get("/mine")
@require(Permission.SUBMIT_SUGGESTION)
def mine():
    return render_template(
        "suggestions/mine.html",
        suggestions=services.mine(current_principal().id),
        receipt_form=ReceiptForm(),
    )


@bp.post("/receipt")
@require(Permission.SUBMIT_SUGGESTION)
@limiter.limit("20 per minute")
def receipt():
    """An anonymous submitter reads the answer with the code they kept."""
    g.conceal_actor = True  # the log line must not tie this account to an anonymous item
    form = ReceiptForm()
    found = services.by_receipt(form.code.data) if form.validate_on_submit() else None
    if found is None:
        flash(_("No suggestion has this receipt code."), "error")
        return redirect(url_for(".mine"))
    return render_template("suggestions/answer.html", suggestion=found)


@bp.get("/")
@require(Permission.VIEW_SUGGESTIONS)
def inbox():
    state = request.args.get("state") if request.args.get("state") in STATE_LABELS else None
    theme = request.args.get("theme") if request.args.get("theme") in THEME_LABELS else None
    page = page_of(services.inbox_query(state, theme))
    return render_template(
        "suggestions/inbox.html",
        page=page,
        state=state,
        theme=theme,
        states=STATE_LABELS,
        themes=THEME_LABELS,
        counts=services.state_counts(),
    )


@bp.get("/<int:suggestion_id>")
@require(Permission.VIEW_SUGGESTIONS)
def detail(suggestion_id: int):
    found = services.access_suggestion(suggestion_id)
    return render_template(
        "suggestions/detail.html",
        suggestion=found,
        submitter=services.submitter_name(found),
        handle_form=HandleForm(),
        escalate_form=EscalateForm(),
    )


def _back(suggestion_id: int, message: str | None = None, error: DomainError | None = None):
    back = url_for(".detail", suggestion_id=suggestion_id)
    if error is not None:
        return flash_refusal(error, back)
    flash(message, "success")
    return redirect(back)


@bp.post("/<int:suggestion_id>/handle")
@require(Permission.HANDLE_SUGGESTIONS)
def handle(suggestion_id: int):
    found = services.access_suggestion(suggestion_id)
    form = HandleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.action.data == "start":
            services.start(found)
        elif form.action.data == "answer":
            services.answer(found, form.answer.data or "", current_principal().audit_label)
        else:
            services.close(found)
    except services.SuggestionError as refused:
        return _back(suggestion_id, error=refused)
    return _back(suggestion_id, _("The item is now: %(state)s.", state=found.state_label))


@bp.post("/<int:suggestion_id>/escalate")
@require(Permission.HANDLE_SUGGESTIONS)
def escalate(suggestion_id: int):
    found = services.access_suggestion(suggestion_id)
    form = EscalateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.escalate(found, form.note.data, current_principal().audit_label)
    except services.SuggestionError as refused:
        return _back(suggestion_id, error=refused)
    return _back(suggestion_id, _("The item is passed to the federation."))


# --- the federation ----------------------------------------------------------------------


@bp.get("/escalated/")
@require(Permission.VIEW_ESCALATED_SUGGESTIONS)
def escalated():
    theme = request.args.get("theme") if request.args.get("theme") in THEME_LABELS else None
    return render_template(
        "suggestions/escalated.html",
        groups=services.escalated_by_theme(theme),
        counts=services.escalated_counts(),
        themes=THEME_LABELS,
        theme=theme,
        names=associations.names_in_scope(),
    )


@bp.get("/escalated/<int:suggestion_id>")
@require(Permission.VIEW_ESCALATED_SUGGESTIONS)
def escalated_detail(suggestion_id: int):
    found = services.access_escalated(suggestion_id)
    return render_template(
        "suggestions/escalated_detail.html",
        suggestion=found,
        association=associations.name_of(found.tenant_id),
        reply_form=ReplyForm(data={"reply": found.federation_reply}),
    )


@bp.post("/escalated/<int:suggestion_id>/reply")
@require(Permission.REPLY_ESCALATED_SUGGESTIONS)
def reply(suggestion_id: int):
    found = services.access_escalated(suggestion_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for(".escalated_detail", suggestion_id=suggestion_id)
    try:
        services.reply_from_federation(found, form.reply.data, current_principal().audit_label)
    except services.SuggestionError as refused:
        return flash_refusal(refused, back)
    flash(_("The reply is sent to the association."), "success")
    return redirect(back)
