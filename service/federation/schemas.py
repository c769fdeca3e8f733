"""The federation API's query arguments: the year, the category, the table's filters."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from service.associations import services as associations
from service.federation.metrics import DASHBOARD_METRICS, SORTS
from service.governance import compliance


class YearArgs(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))

    class Meta:
        unknown = EXCLUDE


class OverviewArgs(YearArgs):
    category = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "a category of the federation, by its code or its id"},
    )


class TableArgs(YearArgs):
    category = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(list(associations.status_labels())))
    compliance = fields.String(validate=validate.OneOf(list(compliance.STATUS_LABELS)))
    sort = fields.String(validate=validate.OneOf(SORTS))
    order = fields.String(validate=validate.OneOf(["asc", "desc"]))


class TrendArgs(Schema):
    metric = fields.String(
        load_default="members_individual",
        validate=validate.OneOf([m.code for m in DASHBOARD_METRICS]),
    )

    class Meta:
        unknown = EXCLUDE
