"""API resources: the association's members and group members."""

from __future__ import annotations

from flask.views import MethodView

from service.associations.services import profiles_in_scope
from service.auth.roles import Permission
from service.members import reads, services
from service.members.models import MemberStatus
from service.members.schemas import (
    GroupMemberCreateSchema,
    GroupMemberSchema,
    GroupMemberUpdateSchema,
    MemberCountsSchema,
    MemberCreateSchema,
    MemberQueryArgsSchema,
    MemberSchema,
    MemberUpdateSchema,
)
from service.rest import Blueprint, found_first, paginate
from service.validation import bounded_page

blp = Blueprint(
    "members_api",
    __name__,
    url_prefix="/api/v1",
    description="Individual (个人会员) and group members (团体会员) of the token's association.",
)


@blp.route("/members/")
class Members(MethodView):
    @blp.requires(Permission.VIEW_MEMBERS)
    @blp.arguments(MemberQueryArgsSchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the association's members"""
        per_page = pagination_parameters.page_size
        page = bounded_page(pagination_parameters.page, per_page)
        rows, pagination_parameters.item_count = reads.member_page(
            (page - 1) * per_page, per_page, args.get("q"), args.get("status"), args.get("title")
        )
        return rows

    @blp.requires(Permission.EDIT_MEMBERS, write=True)
    @blp.arguments(MemberCreateSchema)
    @blp.response(201, MemberSchema)
    def post(self, data):
        """Add a member; a duplicate phone or e-mail is refused"""
        return services.create_member(data)


@blp.route("/members/<int:member_id>")
class MemberById(MethodView):
    @blp.requires(Permission.VIEW_MEMBERS)
    @blp.response(200, MemberSchema)
    def get(self, member_id):
        """Read one member"""
        return reads.member_row(member_id)

    @blp.requires(Permission.EDIT_MEMBERS, write=True)
    @found_first(services.access_member, "member_id")
    @blp.arguments(MemberUpdateSchema)
    @blp.response(200, MemberSchema)
    def patch(self, changes, member_id):
        """Change a member's record or status"""
        member = services.access_member(member_id)
        status = changes.pop("status", None)
        services.update_member(member, changes)
        if status:
            services.set_member_status(member, MemberStatus(status))
        return member


@blp.route("/group-members/")
class GroupMembers(MethodView):
    @blp.requires(Permission.VIEW_MEMBERS)
    @blp.response(200, GroupMemberSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List the association's group members"""
        return paginate(services.group_members_query(), pagination_parameters)

    @blp.requires(Permission.EDIT_MEMBERS, write=True)
    @blp.arguments(GroupMemberCreateSchema)
    @blp.response(201, GroupMemberSchema)
    def post(self, data):
        """Add a group member"""
        return services.create_group_member(data)


@blp.route("/group-members/<int:group_id>")
class GroupMemberById(MethodView):
    @blp.requires(Permission.VIEW_MEMBERS)
    @blp.response(200, GroupMemberSchema)
    def get(self, group_id):
        """Read one group member"""
        return services.access_group_member(group_id)

    @blp.requires(Permission.EDIT_MEMBERS, write=True)
    @found_first(services.access_group_member, "group_id")
    @blp.arguments(GroupMemberUpdateSchema)
    @blp.response(200, GroupMemberSchema)
    def patch(self, changes, group_id):
        """Change a group member; a status change is kept in its history"""
        group = services.access_group_member(group_id)
        return services.update_group_member(group, changes, changes.get("reason"))


@blp.route("/member-counts/")
class MemberCounts(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.response(200, MemberCountsSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Count members and group members per association (numbers only, never names)"""
        counts = services.counts_by_association()
        profiles = paginate(profiles_in_scope(), pagination_parameters)
        return [
            {
                "association_id": p.tenant_id,
                "association_name": p.association.name,
                **{s.value: counts.get(p.tenant_id, {}).get(s.value, 0) for s in MemberStatus},
                "group_members": counts.get(p.tenant_id, {}).get("group_members", 0),
            }
            for p in profiles
        ]
