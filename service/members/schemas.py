"""API schemas for members and group members."""

from marshmallow import EXCLUDE, Schema, fields, post_dump, validate

from service.auth.principal import current_principal
from service.members.eligibility import eligibility
from service.members.models import (
    GroupMemberKind,
    MemberStatus,
    ProfessionalTitle,
)
from service.privacy import mask_email, mask_phone, mask_staff_number
from service.rest import StrictSchema
from service.validation import PHONE_PATTERN, PlausibleDate

TITLES = [t.value for t in ProfessionalTitle]


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    staff_number = fields.String(allow_none=True)
    gender = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    discipline = fields.String(allow_none=True)
    title = fields.String()
    position = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    societies = fields.String(allow_none=True)
    in_cast_society = fields.Boolean()
    exception_reason = fields.String(allow_none=True)
    joined_on = PlausibleDate()
    status = fields.String(dump_only=True)
    eligibility = fields.Method("_eligibility", dump_only=True)

    def _eligibility(self, member) -> str:
        return eligibility(member.in_cast_society, member.title, member.exception_reason).value

    @post_dump(pass_collection=True)
    def mask_contacts(self, data: dict | list[dict], many: bool, **kwargs) -> dict | list[dict]:
        """Integrations read contacts masked; only a token that may write sees them. Asked
        once for a page, not once per row."""
        from service.auth.roles import Permission

        if current_principal().can(Permission.EDIT_MEMBERS):
            return data
        for member in data if many else [data]:
            member["phone"] = mask_phone(member.get("phone"))
            member["email"] = mask_email(member.get("email"))
            if "staff_number" in member:
                member["staff_number"] = mask_staff_number(member["staff_number"])
        return data


class MemberCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    staff_number = fields.String(allow_none=True, validate=validate.Length(max=30))
    gender = fields.String(allow_none=True, validate=validate.OneOf(["female", "male"]))
    birth_year = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1930, 2010))
    department = fields.String(allow_none=True, validate=validate.Length(max=100))
    discipline = fields.String(allow_none=True, validate=validate.Length(max=100))
    title = fields.String(load_default="none", validate=validate.OneOf(TITLES))
    position = fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(
        allow_none=True, validate=validate.Regexp(PHONE_PATTERN, error="Not a phone number.")
    )
    email = fields.Email(allow_none=True, validate=validate.Length(max=120))
    societies = fields.String(allow_none=True, validate=validate.Length(max=500))
    in_cast_society = fields.Boolean(load_default=False)
    exception_reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    joined_on = PlausibleDate()


class MemberUpdateSchema(MemberCreateSchema):
    name = fields.String(validate=validate.Length(min=1, max=50))
    title = fields.String(validate=validate.OneOf(TITLES))
    in_cast_society = fields.Boolean()
    status = fields.String(validate=validate.OneOf([s.value for s in MemberStatus]))


class MemberQueryArgsSchema(Schema):
    q = fields.String(validate=validate.Length(max=50))
    status = fields.String(validate=validate.OneOf([s.value for s in MemberStatus]))
    title = fields.String(validate=validate.OneOf(TITLES))

    class Meta:
        unknown = EXCLUDE


class GroupMemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    kind = fields.String()
    kind_name = fields.String(allow_none=True)
    leader_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    member_count = fields.Integer()
    status = fields.String()
    joined_on = fields.Date()

    @post_dump
    def mask_contact(self, data: dict, **kwargs) -> dict:
        """The leader's phone as members' contacts: masked unless the token may write."""
        from service.auth.roles import Permission

        if not current_principal().can(Permission.EDIT_MEMBERS):
            data["contact_phone"] = mask_phone(data.get("contact_phone"))
        return data


class GroupMemberCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in GroupMemberKind]))
    kind_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    leader_name = fields.String(allow_none=True, validate=validate.Length(max=50))
    contact_phone = fields.String(
        allow_none=True, validate=validate.Regexp(PHONE_PATTERN, error="Not a phone number.")
    )
    member_count = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 10**6))
    status = fields.String(
        load_default="active", validate=validate.OneOf(["active", "inactive", "dissolved"])
    )
    joined_on = PlausibleDate()


class GroupMemberUpdateSchema(GroupMemberCreateSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf([k.value for k in GroupMemberKind]))
    member_count = fields.Integer(strict=True, validate=validate.Range(0, 10**6))
    status = fields.String(validate=validate.OneOf(["active", "inactive", "dissolved"]))
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class MemberCountsSchema(Schema):
    association_id = fields.Integer()
    association_name = fields.String()
    active = fields.Integer()
    lapsed = fields.Integer()
    withdrawn = fields.Integer()
    deceased = fields.Integer()
    group_members = fields.Integer()
