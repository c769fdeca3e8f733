"""API resources: association profiles in the token's scope."""

from __future__ import annotations

from flask.views import MethodView

from service.associations import services
from service.associations.schemas import (
    AssociationQueryArgsSchema,
    AssociationSchema,
    AssociationUpdateSchema,
)
from service.auth.roles import Permission
from service.federation import categories
from service.rest import Blueprint, found_first, paginate

blp = Blueprint(
    "associations_api",
    __name__,
    url_prefix="/api/v1/associations",
    description="University S&T associations (高校科协): profile of each tenant.",
)


@blp.route("/")
class Associations(MethodView):
    @blp.requires(Permission.VIEW_PROFILE)
    @blp.arguments(AssociationQueryArgsSchema, location="query")
    @blp.response(200, AssociationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the associations this token may see"""
        query = services.profiles_in_scope(args.get("category"), args.get("status"))
        return paginate(query, pagination_parameters)


@blp.route("/<int:association_id>")
class AssociationById(MethodView):
    @blp.requires(Permission.VIEW_PROFILE)
    @blp.response(200, AssociationSchema)
    def get(self, association_id):
        """Read one association's profile"""
        return services.access_profile(association_id)

    @blp.requires(Permission.EDIT_PROFILE, write=True)
    @found_first(services.access_profile, "association_id")
    @blp.arguments(AssociationUpdateSchema)
    @blp.response(200, AssociationSchema)
    def patch(self, changes, association_id):
        """Change the profile of the token's own association"""
        profile = services.access_profile(association_id)
        categories.apply_edit(profile, changes)
        services.update_profile(profile, changes)
        return profile
