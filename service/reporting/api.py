"""The API: report status for associations and federations, and the read-only national API
(`/api/v1/national/`) for tokens granted some federations: locked roll-ups, approved reports
in aggregate (no personal data), the indicator catalogue. Answers carry an ETag."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, fields, validate

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.reporting import indicators, national_forms
from service.reporting.models import (
    AnnualReport,
    FederationRollup,
    ReportingPeriod,
    ReportStatus,
    RollupStatus,
)
from service.rest import Blueprint, paginate
from tenants.access import find_in_scope
from tenants.db import db
from tenants.models import Federation

blp = Blueprint(
    "reporting_api",
    __name__,
    url_prefix="/api/v1/reporting",
    description="Annual statistical reports (年度统计报表): status and figures in your scope.",
)
national_blp = Blueprint(
    "national_api",
    __name__,
    url_prefix="/api/v1/national",
    description="Read-only national API: locked roll-ups and approved reports of the granted"
    " federations, and the indicator catalogue. Every answer has an ETag; send it back in"
    " If-None-Match to get 304 when nothing changed.",
)

FIGURES_EXAMPLE = {"ORG01": 1, "ORG02": 356, "ORG04": "-"}


class ArgsSchema(Schema):
    """The query string also carries pagination arguments, so unknown keys are dropped."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(
        validate=validate.Range(2000, 2100), metadata={"description": "Only this reporting year"}
    )


class ReportSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer(attribute="tenant_id")
    year = fields.Integer()
    version = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in ReportStatus]})
    hash = fields.String(attribute="locked_hash", allow_none=True)
    figures = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True)


class FederationSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    province = fields.String()


class RollupSchema(Schema):
    federation_id = fields.Integer()
    year = fields.Integer()
    version = fields.Integer()
    hash = fields.String(attribute="locked_hash")
    locked_at = fields.DateTime()
    figures = fields.Dict(keys=fields.String(), values=fields.Raw())
    included = fields.List(fields.Dict())
    missing = fields.List(fields.Integer(), attribute="missing_ids")


class FormRowSchema(Schema):
    table = fields.String(metadata={"description": "The form's code, as in `tables`"})
    series = fields.String(
        metadata={"description": "The statistical system, e.g. 中国科协综合统计"}
    )
    number = fields.String(
        allow_none=True, metadata={"description": "The form's number (表1); none for the MoE's"}
    )
    name = fields.String(metadata={"description": "The form's name, e.g. 组织建设"})
    row = fields.Integer(metadata={"description": "The row (行次) the indicator fills"})


class IndicatorSchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    unit = fields.String()
    definition = fields.String()
    tables = fields.List(fields.String())
    forms = fields.List(
        fields.Nested(FormRowSchema),
        metadata={"description": "The national forms and rows the figure is filed on"},
    )
    may_be_not_applicable = fields.Boolean()


def _catalogue_entry(indicator: indicators.Indicator) -> dict:
    """The indicator with the forms and rows it fills (`national_forms`)."""
    placements = national_forms.placements(indicator.code)
    return {
        **{name: getattr(indicator, name) for name in IndicatorSchema().fields if name != "forms"},
        "forms": [placement.as_dict() for placement in placements],
    }


def _report_query(year: int | None):
    query = (
        sa.select(AnnualReport)
        .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
        .order_by(ReportingPeriod.year.desc(), AnnualReport.tenant_id, AnnualReport.version)
    )
    return query.where(ReportingPeriod.year == year) if year else query


@blp.route("/reports")
class Reports(MethodView):
    @blp.requires(Permission.VIEW_REPORTS)
    @blp.arguments(ArgsSchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the annual reports in your scope, every version, with their status"""
        return paginate(_report_query(args.get("year")), pagination_parameters)


@blp.route("/reports/<int:report_id>")
class ReportById(MethodView):
    @blp.requires(Permission.VIEW_REPORTS)
    @blp.response(200, ReportSchema)
    def get(self, report_id):
        """One annual report version: status, hash when approved, figures"""
        return find_in_scope(AnnualReport, report_id) or abort(404)


# --- national -------------------------------------------------------------------------------


def _granted(federation_id: int) -> Federation:
    if federation_id not in current_principal().scope.federation_ids:
        abort(404)
    return db.session.get(Federation, federation_id) or abort(404)


@national_blp.after_request
def _etag(response):
    """A strong ETag over the body; If-None-Match with it answers 304 and no body."""
    if request.method == "GET" and response.status_code == 200:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest())
        response.make_conditional(request)
    return response


@national_blp.route("/federations")
class Federations(MethodView):
    @national_blp.requires(Permission.READ_NATIONAL)
    @national_blp.response(
        200,
        FederationSchema(many=True),
        example=[{"id": 3, "code": "ZJ", "name": "浙江省高校科协联合会", "province": "浙江省"}],
    )
    @national_blp.paginate()
    def get(self, pagination_parameters):
        """The federations this token is granted"""
        granted = sorted(current_principal().scope.federation_ids)
        query = sa.select(Federation).where(Federation.id.in_(granted)).order_by(Federation.id)
        return paginate(query, pagination_parameters)


@national_blp.route("/federations/<int:federation_id>/rollups/<int:year>")
class LockedRollup(MethodView):
    @national_blp.requires(Permission.READ_NATIONAL)
    @national_blp.response(
        200,
        RollupSchema,
        example={
            "federation_id": 3,
            "year": 2026,
            "version": 1,
            "hash": "9f2c…",
            "locked_at": "2027-03-01T08:00:00",
            "figures": FIGURES_EXAMPLE,
            "included": [{"association_id": 11, "report_version": 1, "hash": "51ab…"}],
            "missing": [12],
        },
    )
    def get(self, federation_id, year):
        """The federation's roll-up for the year, as last locked (version and hash)"""
        federation = _granted(federation_id)
        rollup = db.session.scalars(
            sa.select(FederationRollup)
            .where(
                FederationRollup.federation_id == federation.id,
                FederationRollup.year == year,
                FederationRollup.status == RollupStatus.LOCKED.value,
            )
            .order_by(FederationRollup.version.desc())
        ).first()
        if rollup is None:
            abort(404, message="No locked roll-up for that year.")
        rollup.missing_ids = [m["association_id"] for m in rollup.missing]
        return rollup


class NationalReportSchema(Schema):
    association_id = fields.Integer(attribute="tenant_id")
    association = fields.String(attribute="association.name")
    year = fields.Integer()
    version = fields.Integer()
    hash = fields.String(attribute="locked_hash")
    figures = fields.Dict(keys=fields.String(), values=fields.Raw())


@national_blp.route("/federations/<int:federation_id>/reports")
class ApprovedReports(MethodView):
    @national_blp.requires(Permission.READ_NATIONAL)
    @national_blp.arguments(ArgsSchema, location="query")
    @national_blp.response(
        200,
        NationalReportSchema(many=True),
        example=[
            {
                "association_id": 11,
                "association": "某大学科学技术协会",
                "year": 2026,
                "version": 1,
                "hash": "51ab…",
                "figures": FIGURES_EXAMPLE,
            }
        ],
    )
    @national_blp.paginate()
    def get(self, args, federation_id, pagination_parameters):
        """The approved (locked) association reports of a federation: figures only"""
        federation = _granted(federation_id)
        query = _report_query(args.get("year")).where(
            ReportingPeriod.federation_id == federation.id,
            AnnualReport.status == ReportStatus.APPROVED.value,
        )
        return paginate(query, pagination_parameters)


@national_blp.route("/indicators")
class Indicators(MethodView):
    @national_blp.requires(Permission.READ_NATIONAL)
    @national_blp.response(
        200,
        IndicatorSchema(many=True),
        example=[
            {
                "code": "ORG02",
                "name_zh": "个人会员数",
                "name_en": "Individual members",
                "unit": "人",
                "definition": "年末在册、状态为正常的个人会员数。",
                "tables": ["CAST-ORG"],
                "forms": [
                    {
                        "table": "CAST-ORG",
                        "series": "中国科协综合统计",
                        "number": "表1",
                        "name": "组织建设",
                        "row": 2,
                    }
                ],
                "may_be_not_applicable": False,
            }
        ],
    )
    @national_blp.paginate()
    def get(self, pagination_parameters):
        """The indicator catalogue: codes, names, units, definitions, national forms and rows"""
        pagination_parameters.item_count = len(indicators.CATALOGUE)
        start = (pagination_parameters.page - 1) * pagination_parameters.page_size
        page = indicators.CATALOGUE[start : start + pagination_parameters.page_size]
        return [_catalogue_entry(indicator) for indicator in page]
