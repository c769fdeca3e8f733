"""API schemas for activities, outcomes, nominations, exemplars and the figures."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from service.activities.aggregates import FIGURE_KEYS
from service.activities.models import (
    ACTIVITY_STATUS_LABELS,
    COUNT_FIELDS,
    STATUS_FILTER_LABELS,
    SUBTYPE_LABELS,
    AudienceGroup,
    AwardLevel,
    ExemplarKind,
    PartnerKind,
    RecipientLevel,
    SpeakerKind,
    Task,
    TransferMode,
    Visibility,
)
from service.activities.services import MAX_FIGURE
from service.rest import StrictSchema, UtcDateTime
from service.validation import ID_MAX, PlausibleDate

TASKS = [t.value for t in Task]
COUNT = {"strict": True, "validate": validate.Range(0, MAX_FIGURE)}


class CoOrganiserSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in PartnerKind]))


ActivitySchema = type(
    "ActivitySchema",
    (Schema,),
    {
        "id": fields.Integer(dump_only=True),
        "association_id": fields.Integer(attribute="tenant_id", dump_only=True),
        "task": fields.String(),
        "subtype": fields.String(),
        "title": fields.String(),
        "starts_on": fields.Date(),
        "ends_on": fields.Date(),
        "place": fields.String(allow_none=True),
        "description": fields.String(allow_none=True),
        "organiser_group_id": fields.Integer(allow_none=True),
        "co_organisers": fields.List(fields.Nested(CoOrganiserSchema), allow_none=True),
        "visibility": fields.String(),
        "status": fields.String(),
        **{name: fields.Integer() for name in COUNT_FIELDS},
        "countries": fields.List(fields.String(), allow_none=True),
        "speaker_kind": fields.String(allow_none=True),
        "speaker_name": fields.String(allow_none=True),
        "audience_group": fields.String(allow_none=True),
        "held_at": UtcDateTime(dump_only=True, allow_none=True),
        "reported_at": UtcDateTime(dump_only=True, allow_none=True),
    },
)


def _activity_fields(required: bool) -> dict:
    """The writable fields; figures are whole numbers (strict: 10.0 is refused too)."""
    out = {
        "task": fields.String(required=required, validate=validate.OneOf(TASKS)),
        "subtype": fields.String(required=required, validate=validate.OneOf(list(SUBTYPE_LABELS))),
        "title": fields.String(required=required, validate=validate.Length(min=1, max=200)),
        "starts_on": PlausibleDate(required=required),
        "ends_on": PlausibleDate(required=required),
        "place": fields.String(allow_none=True, validate=validate.Length(max=200)),
        "description": fields.String(allow_none=True, validate=validate.Length(max=5000)),
        "organiser_group_id": fields.Integer(allow_none=True, strict=True),
        "co_organisers": fields.List(
            fields.Nested(CoOrganiserSchema), allow_none=True, validate=validate.Length(max=20)
        ),
        "visibility": fields.String(validate=validate.OneOf([v.value for v in Visibility])),
        "countries": fields.List(
            fields.String(validate=validate.Length(min=1, max=50)),
            allow_none=True,
            validate=validate.Length(max=60),
        ),
        "speaker_kind": fields.String(
            allow_none=True, validate=validate.OneOf([k.value for k in SpeakerKind])
        ),
        "speaker_name": fields.String(allow_none=True, validate=validate.Length(max=50)),
        "audience_group": fields.String(
            allow_none=True, validate=validate.OneOf([g.value for g in AudienceGroup])
        ),
    }
    out |= {name: fields.Integer(**COUNT) for name in COUNT_FIELDS}
    return out


class _DatesInOrder:
    @validates_schema
    def dates_in_order(self, data, **kwargs):
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            raise ValidationError("The end date cannot be before the start date.", "ends_on")


ActivityCreateSchema = type(
    "ActivityCreateSchema",
    (_DatesInOrder, StrictSchema),
    {
        **_activity_fields(required=True),
        "status": fields.String(
            load_default="planned", validate=validate.OneOf(["planned", "held"])
        ),
    },
)
ActivityUpdateSchema = type(
    "ActivityUpdateSchema",
    (_DatesInOrder, StrictSchema),
    {
        **{k: v for k, v in _activity_fields(required=False).items() if k != "task"},
        "status": fields.String(validate=validate.OneOf(list(ACTIVITY_STATUS_LABELS))),
    },
)


def _not_past_the_largest_id(organiser: str) -> None:
    """Nineteen digits may still be past the largest id: no group member, never a database
    error."""
    if organiser.isascii() and organiser.isdigit() and int(organiser) > ID_MAX:
        raise ValidationError(f"Must be less than or equal to {ID_MAX}.")


class ActivityQueryArgsSchema(Schema):
    task = fields.String(validate=validate.OneOf(TASKS))
    subtype = fields.String(validate=validate.OneOf(list(SUBTYPE_LABELS)))
    year = fields.Integer(validate=validate.Range(2000, 2100))
    starts_from = PlausibleDate(data_key="from")
    ends_by = PlausibleDate(data_key="to")
    organiser = fields.String(
        validate=[validate.Regexp(r"^(association|\d{1,19})$"), _not_past_the_largest_id]
    )
    status = fields.String(
        validate=validate.OneOf(list(STATUS_FILTER_LABELS)),
        metadata={"description": '"counted": held or reported, as every statistic counts'},
    )
    association_id = fields.Integer()

    class Meta:
        unknown = EXCLUDE


class EvidenceSchema(Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    filename = fields.String(attribute="file.name")
    content_type = fields.String(attribute="file.content_type")
    size = fields.Integer(attribute="file.size")
    sha256 = fields.String(attribute="file.sha256")
    created_at = UtcDateTime()


class ConsultingReportSchema(Schema):
    id = fields.Integer(dump_only=True)
    association_id = fields.Integer(attribute="tenant_id", dump_only=True)
    title = fields.String()
    authors = fields.String(allow_none=True)
    recipient = fields.String()
    recipient_level = fields.String()
    submitted_on = PlausibleDate()
    adopted = fields.Boolean()
    adopted_on = fields.Date(allow_none=True)
    adoption_note = fields.String(allow_none=True)


class ConsultingReportCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    authors = fields.String(allow_none=True, validate=validate.Length(max=200))
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=200))
    recipient_level = fields.String(
        required=True, validate=validate.OneOf([r.value for r in RecipientLevel])
    )
    submitted_on = PlausibleDate(required=True)
    adopted = fields.Boolean(load_default=False)
    adopted_on = PlausibleDate(allow_none=True)
    adoption_note = fields.String(allow_none=True, validate=validate.Length(max=500))


class ConsultingReportUpdateSchema(ConsultingReportCreateSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    recipient = fields.String(validate=validate.Length(min=1, max=200))
    recipient_level = fields.String(validate=validate.OneOf([r.value for r in RecipientLevel]))
    submitted_on = PlausibleDate()
    adopted = fields.Boolean()


class TechTransferSchema(Schema):
    id = fields.Integer(dump_only=True)
    association_id = fields.Integer(attribute="tenant_id", dump_only=True)
    title = fields.String()
    partner = fields.String()
    mode = fields.String()
    signed_on = fields.Date()
    contracts = fields.Integer()
    value_yuan = fields.Integer()


class TechTransferCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    partner = fields.String(required=True, validate=validate.Length(min=1, max=200))
    mode = fields.String(required=True, validate=validate.OneOf([m.value for m in TransferMode]))
    signed_on = PlausibleDate(required=True)
    contracts = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 10_000))
    value_yuan = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**12))


class TechTransferUpdateSchema(TechTransferCreateSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    partner = fields.String(validate=validate.Length(min=1, max=200))
    mode = fields.String(validate=validate.OneOf([m.value for m in TransferMode]))
    signed_on = PlausibleDate()
    contracts = fields.Integer(strict=True, validate=validate.Range(1, 10_000))
    value_yuan = fields.Integer(strict=True, validate=validate.Range(0, 10**12))


class OutcomeQueryArgsSchema(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))

    class Meta:
        unknown = EXCLUDE


class NominationSchema(Schema):
    id = fields.Integer(dump_only=True)
    association_id = fields.Integer(attribute="tenant_id", dump_only=True)
    award = fields.String()
    level = fields.String()
    year = fields.Integer()
    nominee_name = fields.String()
    nominee_unit = fields.String(allow_none=True)
    citation = fields.String(allow_none=True)
    consent_given = fields.Boolean()
    status = fields.String(dump_only=True)
    decision_reason = fields.String(dump_only=True, allow_none=True)


class NominationCreateSchema(StrictSchema):
    award = fields.String(required=True, validate=validate.Length(min=1, max=200))
    level = fields.String(required=True, validate=validate.OneOf([a.value for a in AwardLevel]))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    nominee_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    nominee_unit = fields.String(allow_none=True, validate=validate.Length(max=200))
    citation = fields.String(allow_none=True, validate=validate.Length(max=5000))
    consent_given = fields.Boolean(load_default=False)


class ExemplarSchema(Schema):
    id = fields.Integer(dump_only=True)
    association_id = fields.Integer(attribute="tenant_id", dump_only=True)
    kind = fields.String()
    name = fields.String()
    unit = fields.String(allow_none=True)
    deeds = fields.String()
    year = fields.Integer()
    consent_to_publish = fields.Boolean()
    status = fields.String(dump_only=True)
    published = fields.Boolean(dump_only=True)
    decision_reason = fields.String(dump_only=True, allow_none=True)


class ExemplarCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ExemplarKind]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit = fields.String(allow_none=True, validate=validate.Length(max=200))
    deeds = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    consent_to_publish = fields.Boolean(load_default=False)


class TalentQueryArgsSchema(Schema):
    status = fields.String(validate=validate.Length(max=20))
    year = fields.Integer(validate=validate.Range(2000, 2100))

    class Meta:
        unknown = EXCLUDE


class FiguresQueryArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))

    class Meta:
        unknown = EXCLUDE


FiguresSchema = type(
    "FiguresSchema",
    (Schema,),
    {
        "association_id": fields.Integer(),
        "association_name": fields.String(),
        "year": fields.Integer(),
        **{key: fields.Integer() for key in FIGURE_KEYS},
    },
)


class VocabularySchema(Schema):
    tasks = fields.Dict(keys=fields.String(), values=fields.String())
    subtypes = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String())
    )
    figures = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
