"""API schemas for association profiles."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_dump, validate, validates

from service.associations.models import STATUS_LABELS
from service.associations.services import contact_visible_to
from service.auth.principal import current_principal
from service.federation.categories import codes_in_reach
from service.privacy import mask_email, mask_name, mask_phone
from service.rest import StrictSchema, UtcDateTime
from service.validation import PHONE_PATTERN, PlausibleDate


class AssociationSchema(Schema):
    id = fields.Integer(attribute="tenant_id", dump_only=True)
    name = fields.String(attribute="association.name", dump_only=True)
    federation_id = fields.Integer(attribute="association.federation_id", dump_only=True)
    status = fields.String(attribute="association.status", dump_only=True)
    university_name = fields.String()
    category = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    founded_on = PlausibleDate(allow_none=True)
    updated_at = UtcDateTime(dump_only=True)

    @post_dump
    def mask_contact(self, data: dict, **kwargs) -> dict:
        """Mask the contact person for callers who do not work with it (PIPL)."""
        if not contact_visible_to(current_principal()):
            data["contact_name"] = mask_name(data.get("contact_name"))
            data["contact_phone"] = mask_phone(data.get("contact_phone"))
            data["contact_email"] = mask_email(data.get("contact_email"))
        return data


class AssociationUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    university_name = fields.String(validate=validate.Length(min=1, max=200))
    category = fields.String()
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=50))
    contact_phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(PHONE_PATTERN, error="Not a mobile or landline number."),
    )
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=120))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    website = fields.Url(allow_none=True, validate=validate.Length(max=200))
    founded_on = PlausibleDate(allow_none=True)

    @validates("category")
    def known_category(self, value: str, **kwargs) -> None:
        if value not in codes_in_reach():
            raise ValidationError("Not a category of the federation.")


class AssociationQueryArgsSchema(Schema):
    """Filters; the query string also carries the pagination arguments, so no RAISE here."""

    category = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(list(STATUS_LABELS)))

    class Meta:
        unknown = EXCLUDE
