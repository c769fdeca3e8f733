"""API schemas for governance and compliance."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields, post_dump, validate

from service.associations import services as associations
from service.auth.principal import current_principal
from service.governance.compliance import STATUS_LABELS as COMPLIANCE_STATUSES
from service.governance.establishment import applicant_contact_visible_to
from service.governance.models import ApplicationStatus, Body, Eligibility, Post
from service.privacy import mask_email, mask_name
from service.rest import ID_MAX, StrictSchema, UtcDateTime
from service.validation import PlausibleDate


class ListArgsSchema(Schema):
    """The query string also carries pagination arguments, so unknown keys are dropped."""

    class Meta:
        unknown = EXCLUDE


class CommitteeMemberSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    unit = fields.String(allow_none=True, validate=validate.Length(max=100))
    on_standing_committee = fields.Boolean(load_default=False)


class CommitteeTermSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer(attribute="tenant_id")
    starts_on = PlausibleDate()
    ends_on = PlausibleDate(allow_none=True)
    members = fields.List(fields.Nested(CommitteeMemberSchema))
    standing_committee_formed_on = PlausibleDate(
        attribute="standing_committee.formed_on", allow_none=True
    )


class ElectionSchema(StrictSchema):
    """The committee a congress elects."""

    ends_on = PlausibleDate(allow_none=True)
    members = fields.List(
        fields.Nested(CommitteeMemberSchema), required=True, validate=validate.Length(min=1)
    )
    standing_committee_formed_on = PlausibleDate(allow_none=True)


class CongressSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer(attribute="tenant_id")
    held_on = PlausibleDate()
    delegates = fields.Integer()
    elected_term_id = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)


class CongressCreateSchema(StrictSchema):
    held_on = PlausibleDate(required=True)
    delegates = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=100000)
    )
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    committee = fields.Nested(ElectionSchema, allow_none=True)


class MeetingSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer(attribute="tenant_id")
    body = fields.String()
    term_id = fields.Integer(allow_none=True)
    held_on = PlausibleDate()
    attendance = fields.Integer()
    minutes = fields.String(allow_none=True)
    minutes_file_id = fields.Integer(
        allow_none=True,
        metadata={"description": "Download at /api/v1/governance/meetings/{id}/minutes."},
    )


class MeetingCreateSchema(StrictSchema):
    body = fields.String(
        required=True,
        validate=validate.OneOf([Body.COMMITTEE.value, Body.STANDING_COMMITTEE.value]),
    )
    held_on = PlausibleDate(required=True)
    attendance = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=10000)
    )
    minutes = fields.String(allow_none=True, validate=validate.Length(max=20000))


class MeetingQueryArgsSchema(ListArgsSchema):
    body = fields.String(validate=validate.OneOf([b.value for b in Body]))


class OfficerSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer(attribute="tenant_id")
    post = fields.String()
    name = fields.String()
    starts_on = PlausibleDate()
    ends_on = PlausibleDate(allow_none=True)
    eligibility = fields.String(allow_none=True)
    eligibility_basis = fields.String(allow_none=True)
    nominated_on = PlausibleDate(allow_none=True)
    approving_meeting_id = fields.Integer(allow_none=True)


class OfficerCreateSchema(StrictSchema):
    post = fields.String(required=True, validate=validate.OneOf([p.value for p in Post]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    starts_on = PlausibleDate(required=True)
    eligibility = fields.String(
        allow_none=True, validate=validate.OneOf([e.value for e in Eligibility])
    )
    eligibility_basis = fields.String(allow_none=True, validate=validate.Length(max=200))
    nominated_on = PlausibleDate(allow_none=True)
    approving_meeting_id = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=ID_MAX)
    )


class OfficerEndSchema(StrictSchema):
    ends_on = PlausibleDate(required=True)


class OfficerQueryArgsSchema(ListArgsSchema):
    post = fields.String(validate=validate.OneOf([p.value for p in Post]))
    current = fields.Boolean()


class SecretariatSchema(StrictSchema):
    host_office = fields.String(required=True, validate=validate.Length(min=1, max=100))


class FindingSchema(Schema):
    association_id = fields.Integer()
    rule = fields.String()
    period = fields.String(metadata={"description": "The year, or the congress term's first day"})
    label = fields.String()
    status = fields.String()
    evidence = fields.String()
    next_change_on = PlausibleDate(allow_none=True)


class FindingQueryArgsSchema(ListArgsSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in COMPLIANCE_STATUSES]))


class RuleSchema(Schema):
    code = fields.String()
    label = fields.String()
    thresholds = fields.Dict(keys=fields.String(), values=fields.Integer())
    document_thresholds = fields.Dict(keys=fields.String(), values=fields.Integer())


class LifecycleChangeSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String()
    changed_at = UtcDateTime()


class EstablishmentSchema(Schema):
    association_id = fields.Integer(attribute="tenant_id")
    charter_accepted_on = PlausibleDate(allow_none=True)
    approved_on = PlausibleDate(allow_none=True)
    approved_by_federation_id = fields.Integer(allow_none=True)
    document_number = fields.String(allow_none=True)


# --- establishment applications ---------------------------------------------------------


class ApplicationEventSchema(Schema):
    action = fields.String()
    comment = fields.String(allow_none=True)
    occurred_at = UtcDateTime()


class DocumentSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = UtcDateTime()


class UploadSchema(Schema):
    """A multipart upload: one PDF, PNG or JPEG file in the `file` part."""

    file = Upload(required=True, metadata={"description": "PDF, PNG or JPEG."})


MASKED_FOR_READERS = "Masked (马*, m***@example.edu.cn) unless the token may review applications."


class ApplicationSchema(Schema):
    id = fields.Integer()
    federation_id = fields.Integer()
    university_name = fields.String()
    category = fields.String()
    charter_accepted = fields.Boolean()
    st_workers = fields.Integer()
    host_office = fields.String()
    proposed_chair = fields.String()
    proposed_chair_basis = fields.String()
    proposed_vice_chairs = fields.String()
    proposed_secretary_general = fields.String()
    contact_name = fields.String(metadata={"description": MASKED_FOR_READERS})
    contact_email = fields.String(metadata={"description": MASKED_FOR_READERS})
    status = fields.String()
    submitted_on = fields.Date()
    document_number = fields.String(allow_none=True)
    association_id = fields.Integer(allow_none=True)
    events = fields.List(fields.Nested(ApplicationEventSchema))
    documents = fields.List(fields.Nested(DocumentSchema))

    @post_dump
    def mask_contact(self, data: dict, **kwargs) -> dict:
        """Mask the applicant's contact for callers who do not review applications."""
        if not applicant_contact_visible_to(current_principal()):
            data["contact_name"] = mask_name(data.get("contact_name"))
            data["contact_email"] = mask_email(data.get("contact_email"))
        return data


class ApplicationCreateSchema(StrictSchema):
    university_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(
        required=True, validate=validate.OneOf(associations.default_category_codes())
    )
    charter_accepted = fields.Boolean(required=True)
    st_workers = fields.Integer(required=True, validate=validate.Range(min=1, max=1000000))
    host_office = fields.String(required=True, validate=validate.Length(min=1, max=100))
    proposed_chair = fields.String(required=True, validate=validate.Length(min=1, max=50))
    proposed_chair_basis = fields.String(required=True, validate=validate.Length(min=1, max=200))
    proposed_vice_chairs = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "One per line, each with the basis."},
    )
    proposed_secretary_general = fields.String(
        required=True, validate=validate.Length(min=1, max=50)
    )
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    contact_email = fields.Email(required=True, validate=validate.Length(max=120))


class ApplicationCreatedSchema(Schema):
    application = fields.Nested(ApplicationSchema)
    tracking_url = fields.String(
        metadata={
            "description": "The applicant's secret link to follow and resubmit; shown once. "
            "The key rides after `#`, so no server log records it; the page posts it."
        }
    )


class ApplicationQueryArgsSchema(ListArgsSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in ApplicationStatus]))


class ApproveSchema(StrictSchema):
    document_number = fields.String(required=True, validate=validate.Length(min=1, max=50))


class ReturnSchema(StrictSchema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class RejectSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ApprovalSchema(Schema):
    application = fields.Nested(ApplicationSchema)
    association_id = fields.Integer()
    admin_username = fields.String()
    set_password_link = fields.String(
        metadata={
            "description": "One-time link for the first administrator to set a password "
            "(the token after `#`). Only an account that has never set a password gets one."
        }
    )
    emailed_to = fields.String(allow_none=True)
