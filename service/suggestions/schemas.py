"""API schemas for suggestions. No schema carries who submitted an item."""

from marshmallow import EXCLUDE, Schema, fields, validate

from service.rest import StrictSchema, UtcDateTime
from service.suggestions.models import STATE_LABELS, THEME_LABELS

THEMES = [str(t) for t in THEME_LABELS]


class SuggestionSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer(attribute="tenant_id")
    kind = fields.String()
    theme = fields.String()
    title = fields.String()
    body = fields.String()
    state = fields.String()
    received_on = fields.Date()
    anonymous = fields.Boolean()
    answer = fields.String(allow_none=True)
    answered_at = UtcDateTime(allow_none=True)
    escalated = fields.Boolean()
    escalated_at = UtcDateTime(allow_none=True)
    escalation_note = fields.String(allow_none=True)
    federation_reply = fields.String(allow_none=True)
    federation_replied_at = UtcDateTime(allow_none=True)


class SuggestionUpdateSchema(StrictSchema):
    """Handle an item: move its state on, answer it, or escalate it with a note."""

    state = fields.String(validate=validate.OneOf(["in_progress", "answered", "closed"]))
    answer = fields.String(validate=validate.Length(min=1, max=10000))
    escalate = fields.Boolean()
    escalation_note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SuggestionQueryArgsSchema(Schema):
    state = fields.String(validate=validate.OneOf([str(s) for s in STATE_LABELS]))
    theme = fields.String(validate=validate.OneOf(THEMES))
    escalated = fields.Boolean()

    class Meta:
        unknown = EXCLUDE


class EscalatedQueryArgsSchema(Schema):
    theme = fields.String(validate=validate.OneOf(THEMES))

    class Meta:
        unknown = EXCLUDE


class ThemeCountSchema(Schema):
    theme = fields.String()
    theme_label = fields.String()
    escalated = fields.Integer()
