"""The API: the reporting cycle for associations and federations (the same steps, services,
errors and audit as the pages), and the read-only national API (`/api/v1/national/`) for
tokens granted some federations: locked roll-ups, approved reports in aggregate (no personal
data), the indicator catalogue. National answers carry an ETag."""

from __future__ import annotations

import hashlib

from flask import request, url_for
from flask.views import MethodView

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.reporting import indicators, national_forms, push, services
from service.reporting.schemas import (
    FIGURES_EXAMPLE,
    ArgsSchema,
    FederationRollupSchema,
    FederationSchema,
    IndicatorSchema,
    NationalReportSchema,
    ReportArgsSchema,
    ReportDetailSchema,
    ReportExplanationSchema,
    ReportingPeriodCreateSchema,
    ReportingPeriodSchema,
    ReportReturnSchema,
    ReportSchema,
    RollupSchema,
)
from service.rest import Blueprint, found_first, paginate

blp = Blueprint(
    "reporting_api",
    __name__,
    url_prefix="/api/v1/reporting",
    description="Annual statistical reports (年度统计报表), the whole cycle: a federation's"
    " writing token opens the period, returns or approves each report, compiles and locks the"
    " roll-up; an association's writing token compiles (a job: 202, then poll the report),"
    " explains and submits its report. A step the report's state does not allow is a 409"
    " with the reason, and changes nothing.",
)
national_blp = Blueprint(
    "national_api",
    __name__,
    url_prefix="/api/v1/national",
    description="Read-only national API: locked roll-ups and approved reports of the granted"
    " federations, and the indicator catalogue. Every answer has an ETag; send it back in"
    " If-None-Match to get 304 when nothing changed.",
)


def _catalogue_entry(indicator: indicators.Indicator) -> dict:
    """The indicator with the forms and rows it fills (`national_forms`)."""
    placements = national_forms.placements(indicator.code)
    return {
        **{name: getattr(indicator, name) for name in IndicatorSchema().fields if name != "forms"},
        "forms": [placement.as_dict() for placement in placements],
    }


# --- the cycle: periods, the association's steps, the federation's review and roll-up -------

P = Permission
WRONG_STATE = "The report's (or roll-up's) state does not allow this step; the message says why."


def _step(blp_method):
    """Document the answers every step of the cycle shares."""
    for code, description in ((404, "Not found in your scope."), (409, WRONG_STATE)):
        blp_method = blp.alt_response(code, response="DEFAULT_ERROR", description=description)(
            blp_method
        )
    return blp_method


@blp.route("/reports")
class Reports(MethodView):
    @blp.requires(Permission.VIEW_REPORTS)
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the annual reports in your scope, every version, with their status"""
        query = services.listing(args.get("year"), args.get("period_id"), args.get("status"))
        return paginate(query, pagination_parameters)


@blp.route("/reports/<int:report_id>")
class ReportById(MethodView):
    @blp.requires(Permission.VIEW_REPORTS)
    @blp.response(200, ReportDetailSchema)
    def get(self, report_id):
        """One annual report version: status, figures, explanations, review comments, hash"""
        return services.access_report(report_id)


@blp.route("/periods")
class Periods(MethodView):
    @blp.requires(P.VIEW_REPORTS)
    @blp.response(200, ReportingPeriodSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List the reporting periods in your scope, latest year first"""
        return paginate(services.periods(), pagination_parameters)

    @blp.requires(P.REVIEW_REPORTS, write=True)
    @blp.arguments(ReportingPeriodCreateSchema)
    @blp.response(201, ReportingPeriodSchema)
    def post(self, data):
        """Open the federation's reporting period for a year, with its deadline"""
        principal = current_principal()
        return services.open_period(
            principal.federation_id, data["year"], data["deadline"], principal.audit_label
        )


@blp.route("/periods/<int:period_id>")
class PeriodById(MethodView):
    @blp.requires(P.VIEW_REPORTS)
    @blp.response(200, ReportingPeriodSchema)
    def get(self, period_id):
        """One reporting period"""
        return services.access_period(period_id)


@blp.route("/periods/<int:period_id>/compile")
class CompileReport(MethodView):
    @blp.requires(P.PREPARE_REPORTS, write=True)
    @blp.response(
        202,
        ReportDetailSchema,
        description="Compiling: poll the report at `Location` until its status is `compiled`"
        " (or `failed`, with the reason).",
        headers={"Location": {"description": "The report", "schema": {"type": "string"}}},
    )
    @blp.alt_response(503, response="DEFAULT_ERROR", description="The job queue is down.")
    @_step
    @found_first(services.access_period, "period_id")
    def post(self, period_id):
        """Compile your association's report for the period (again, when returned)"""
        period = services.access_period(period_id)
        report = services.queue_compile(current_principal().association_id, period)
        location = url_for("reporting_api.ReportById", report_id=report.id)
        return report, 202, {"Location": location}


@blp.route("/reports/<int:report_id>/explanations")
class Explanations(MethodView):
    @blp.requires(P.PREPARE_REPORTS, write=True)
    @found_first(services.access_report, "report_id")
    @blp.arguments(ReportExplanationSchema)
    @blp.response(200, ReportDetailSchema)
    @_step
    def post(self, data, report_id):
        """Explain one figure (a compiled or returned report); replaces its explanation"""
        report = services.access_report(report_id)
        services.explain(report, data["code"], data["text"])
        return report


@blp.route("/reports/<int:report_id>/submit")
class SubmitReport(MethodView):
    @blp.requires(P.PREPARE_REPORTS, write=True)
    @blp.response(200, ReportDetailSchema)
    @_step
    @found_first(services.access_report, "report_id")
    def post(self, report_id):
        """Submit the report to the federation; figures that moved a lot need explanations"""
        report = services.access_report(report_id)
        services.submit(report)
        return report


@blp.route("/reports/<int:report_id>/return")
class ReturnReport(MethodView):
    @blp.requires(P.REVIEW_REPORTS, write=True)
    @found_first(services.access_report, "report_id")
    @blp.arguments(ReportReturnSchema)
    @blp.response(200, ReportDetailSchema)
    @_step
    def post(self, data, report_id):
        """Return a submitted report for revision, with comments by figure"""
        report = services.access_report(report_id)
        services.return_report(report, data["comments"], current_principal().audit_label)
        return report


@blp.route("/reports/<int:report_id>/approve")
class ApproveReport(MethodView):
    @blp.requires(P.REVIEW_REPORTS, write=True)
    @blp.response(200, ReportDetailSchema)
    @_step
    @found_first(services.access_report, "report_id")
    def post(self, report_id):
        """Approve a submitted report: its figures are locked with their hash"""
        report = services.access_report(report_id)
        services.approve(report, current_principal().audit_label)
        return report


@blp.route("/periods/<int:period_id>/rollups")
class Rollups(MethodView):
    @blp.requires(P.REVIEW_REPORTS)
    @blp.response(200, FederationRollupSchema(many=True))
    @blp.alt_response(404, response="DEFAULT_ERROR", description="Not found in your scope.")
    def get(self, period_id):
        """The federation's roll-up versions for the period's year, latest first"""
        return services.rollup_versions(services.access_period(period_id))

    @blp.requires(P.REVIEW_REPORTS, write=True)
    @blp.response(200, FederationRollupSchema)
    @_step
    @found_first(services.access_period, "period_id")
    def post(self, period_id):
        """Compile the roll-up from the approved reports (a new version after a lock)"""
        period = services.access_period(period_id)
        return services.compile_rollup(period.federation_id, period.year)


@blp.route("/rollups/<int:rollup_id>")
class RollupById(MethodView):
    @blp.requires(P.REVIEW_REPORTS)
    @blp.response(200, FederationRollupSchema)
    @blp.alt_response(404, response="DEFAULT_ERROR", description="Not found in your scope.")
    def get(self, rollup_id):
        """One roll-up version"""
        return services.access_rollup(rollup_id)


@blp.route("/rollups/<int:rollup_id>/lock")
class LockRollup(MethodView):
    @blp.requires(P.REVIEW_REPORTS, write=True)
    @blp.response(200, FederationRollupSchema)
    @_step
    @found_first(services.access_rollup, "rollup_id")
    def post(self, rollup_id):
        """Lock the roll-up with its hash; pushed to the national endpoint when one is set"""
        rollup = services.access_rollup(rollup_id)
        outbox = services.lock_rollup(rollup, current_principal().audit_label)
        if outbox is not None:
            push.queue_delivery(outbox.id)
        return rollup


# --- national -------------------------------------------------------------------------------


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
        return paginate(services.granted_federations(), pagination_parameters)


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
        federation = services.access_granted_federation(federation_id)
        return services.latest_locked_rollup(federation, year)


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
        federation = services.access_granted_federation(federation_id)
        query = services.approved_listing(federation, args.get("year"))
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
                "definition": "当年12月31日在册的个人会员数：按每位会员带日期的状态记录计。",
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
