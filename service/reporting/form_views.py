"""Web pages of the national forms: the indicator catalogue with the form and row each
indicator fills, and the operator's page for the forms' header block, per reporting year."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.i18n import gettext as _
from service.reporting import indicators, national_forms
from service.reporting.forms import FormHeaderForm

bp = Blueprint("national_forms", __name__, url_prefix="/reporting")
P = Permission
YEARS = range(2000, 2101)  # the reporting years a period may be opened for


@bp.get("/indicators")
@require(P.VIEW_REPORTS)
def catalogue():
    entries = [(i, national_forms.placements(i.code)) for i in indicators.CATALOGUE]
    return render_template("reporting/catalogue.html", forms=national_forms.FORMS, entries=entries)


def _year(value: int | None) -> int:
    if value is None:
        return date.today().year
    if value not in YEARS:
        abort(404)
    return value


def _form(code: str) -> national_forms.Form:
    return national_forms.BY_CODE.get(code) or abort(404)


@bp.get("/form-headers")
@require(P.CONFIGURE_NATIONAL_FORMS)
def headers():
    year = request.args.get("year", type=int)
    if "year" in request.args and year is None:
        abort(404)
    year = _year(year)
    saved = national_forms.saved_headers(year)
    rows = [
        (form, national_forms.header_of(form, saved.get(form.code)), saved.get(form.code))
        for form in national_forms.FORMS
    ]
    return render_template("reporting/form_headers.html", year=year, rows=rows)


@bp.route("/form-headers/<int:year>/<table>", methods=["GET", "POST"])
@require(P.CONFIGURE_NATIONAL_FORMS)
def edit_header(year: int, table: str):
    year, form_spec = _year(year), _form(table)
    saved = national_forms.saved_headers(year).get(form_spec.code)
    form = FormHeaderForm(year, obj=saved)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in national_forms.HEADER_FIELDS}
        national_forms.save_header(year, form_spec, values, current_principal().audit_label)
        flash(
            _("The header of %(form)s for %(year)d is saved.", form=form_spec.title, year=year),
            "success",
        )
        return redirect(url_for(".headers", year=year))
    default = national_forms.default_header(form_spec)
    form.issuer.render_kw = {"placeholder": default.issuer}
    page = render_template(
        "reporting/form_header_edit.html", year=year, spec=form_spec, form=form, default=default
    )
    return page, 400 if form.errors else 200
