"""The reporting API's schemas: reports, periods, roll-ups and the national catalogue."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from service.reporting import indicators, services
from service.reporting.models import AnnualReport, ReportStatus, RollupStatus
from service.rest import StrictSchema, UtcDateTime
from service.validation import PlausibleDate

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


CODES = [i.code for i in indicators.CATALOGUE]


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Write something, not only spaces.")


class ReportingPeriodSchema(Schema):
    id = fields.Integer()
    federation_id = fields.Integer()
    year = fields.Integer()
    deadline = fields.Date()
    opened_at = UtcDateTime()


class ReportingPeriodCreateSchema(StrictSchema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    deadline = PlausibleDate(
        required=True, metadata={"description": "The filing deadline; not before the year"}
    )


class ReportArgsSchema(ArgsSchema):
    period_id = fields.Integer(metadata={"description": "Only this reporting period"})
    status = fields.String(validate=validate.OneOf([s.value for s in ReportStatus]))


class ReportDetailSchema(ReportSchema):
    """A report as its steps need it: what is left to explain, what the reviewer said."""

    period_id = fields.Integer()
    explanations = fields.Dict(keys=fields.String(), values=fields.String())
    review_comments = fields.Dict(keys=fields.String(), values=fields.String())
    unexplained = fields.Method(
        "_unexplained",
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Codes of figures that moved more than 30% from last year and"
            " still need an explanation before the report can be submitted",
        },
    )
    failure_reason = fields.String(allow_none=True)
    compiled_at = UtcDateTime(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)

    def _unexplained(self, report: AnnualReport) -> list[str]:
        return services.unexplained(report) if report.figures else []


class ReportExplanationSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.OneOf(CODES))
    text = fields.String(required=True, validate=[validate.Length(max=1000), _not_blank])


class ReportReturnSchema(StrictSchema):
    comments = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CODES)),
        values=fields.String(validate=[validate.Length(max=1000), _not_blank]),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "What to fix, by indicator code; at least one"},
    )


class FederationRollupSchema(Schema):
    id = fields.Integer()
    federation_id = fields.Integer()
    year = fields.Integer()
    version = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in RollupStatus]})
    hash = fields.String(attribute="locked_hash", allow_none=True)
    locked_at = UtcDateTime(allow_none=True)
    compiled_at = UtcDateTime()
    figures = fields.Dict(keys=fields.String(), values=fields.Raw())
    included = fields.List(fields.Dict())
    missing = fields.List(
        fields.Dict(), metadata={"description": "Associations without an approved report"}
    )


class NationalReportSchema(Schema):
    association_id = fields.Integer(attribute="tenant_id")
    association = fields.String(attribute="association.name")
    year = fields.Integer()
    version = fields.Integer()
    hash = fields.String(attribute="locked_hash")
    figures = fields.Dict(keys=fields.String(), values=fields.Raw())
