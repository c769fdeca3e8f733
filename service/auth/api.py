"""API: who the bearer token is."""

from __future__ import annotations

from flask.views import MethodView

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.auth.schemas import TokenInfoSchema
from service.rest import Blueprint

blp = Blueprint(
    "auth_api", __name__, url_prefix="/api/v1/me", description="The calling token itself."
)


@blp.route("/")
class Me(MethodView):
    @blp.requires(Permission.VIEW_PROFILE)
    @blp.response(200, TokenInfoSchema)
    def get(self):
        """Describe the calling token: its level, scope and permissions"""
        principal = current_principal()
        return principal
