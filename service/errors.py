"""The domain's refusals: one base, three kinds, each with a message for the user.

Services raise these; they never build responses. One place maps them to HTTP: on the API,
`service.rest.Blueprint` answers every refusal raised in its views as JSON with the kind's
status (404, 409, 422) and rolls the request's work back; on the web, views show the
message as a form error (`blame`) or a flash (`flash_refusal`), as each page always has.

The package errors (`GovernanceError`, `MembershipError`, ...) are subclasses, so a page that
catches its package's error keeps working and the API needs no shim per package.
"""

from __future__ import annotations

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from service.i18n import lazy_gettext as _l
from service.unit_of_work import discard


class DomainError(ValueError):
    """A refusal the user can act on. `message` may be a lazy string: it is rendered in the
    reader's language when shown. `field` names the input to blame, when there is one."""

    status = 422

    def __init__(self, message: object, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def errors(self) -> dict[str | None, object]:
        """Each blamed field (None: the input as a whole) with its message."""
        return {self.field: self.message}

    def __str__(self) -> str:
        return str(self.message)


NOT_YOURS = _l("There is no such record, or it is not yours to see.")


class NotFound(DomainError):
    """No such thing in the caller's scope (missing and not-yours alike); by default the one
    message that cannot tell the two apart."""

    status = 404

    def __init__(self, message: object = None, field: str | None = None):
        super().__init__(
            message or _l("There is no such record, or it is not yours to see."), field
        )


class Conflict(DomainError):
    """The thing's present state does not allow the step."""

    status = 409


class RuleBroken(DomainError):
    """The input breaks a rule of the domain."""

    status = 422


def flash_refusal(error: DomainError, target: str) -> Response:
    """The web's answer to a refused step of a button: nothing of it kept, the message
    flashed on the page the user goes back to."""
    discard()
    flash(str(error), "error")
    return redirect(target)


def blame(form: FlaskForm, error: DomainError) -> None:
    """The web's answer to a refused form: each message beside the field it blames, or
    above the form when it blames none (or one the form does not have)."""
    for name, message in error.errors.items():
        field = form[name] if name and name in form else None
        if field is not None:
            field.errors = [*field.errors, str(message)]
        else:
            form.form_errors.append(str(message))
