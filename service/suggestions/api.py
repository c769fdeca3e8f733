"""API resources: the association's suggestions, and the escalated ones for the federation."""

from __future__ import annotations

from flask.views import MethodView

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.rest import Blueprint, found_first, paginate
from service.suggestions import services
from service.suggestions.models import THEME_LABELS, Suggestion
from service.suggestions.schemas import (
    EscalatedQueryArgsSchema,
    SuggestionQueryArgsSchema,
    SuggestionSchema,
    SuggestionUpdateSchema,
    ThemeCountSchema,
)
from tenants.db import db

blp = Blueprint(
    "suggestions_api",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Suggestions, opinions and demands (建议、意见和诉求) of S&T workers. Who submitted an"
        " item is never part of the API; above an association only escalated items exist."
    ),
)


@blp.route("/suggestions/")
class Suggestions(MethodView):
    @blp.requires(Permission.VIEW_SUGGESTIONS)
    @blp.arguments(SuggestionQueryArgsSchema, location="query")
    @blp.response(200, SuggestionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the association's suggestions, by state, theme or escalation"""
        query = services.inbox_query(args.get("state"), args.get("theme"), args.get("escalated"))
        return paginate(query, pagination_parameters)


@blp.route("/suggestions/<int:suggestion_id>")
class SuggestionById(MethodView):
    @blp.requires(Permission.VIEW_SUGGESTIONS)
    @blp.response(200, SuggestionSchema)
    def get(self, suggestion_id):
        """Read one suggestion"""
        return services.access_suggestion(suggestion_id)

    @blp.requires(Permission.HANDLE_SUGGESTIONS, write=True)
    @found_first(services.access_suggestion, "suggestion_id")
    @blp.arguments(SuggestionUpdateSchema)
    @blp.response(200, SuggestionSchema)
    def patch(self, changes, suggestion_id):
        """Handle a suggestion: in progress, answered (with the answer), closed, escalated"""
        found = services.access_suggestion(suggestion_id)
        by = current_principal().audit_label
        _handle(found, changes, by)
        db.session.commit()
        return found


def _handle(found: Suggestion, changes: dict, by: str) -> None:
    state = changes.get("state")
    if "answer" in changes and state not in (None, "answered"):
        raise services.SuggestionError("An answer moves the item to answered.")
    if state == "in_progress":
        services.start(found)
    elif state == "answered" or "answer" in changes:
        services.answer(found, changes.get("answer", ""), by)
    elif state == "closed":
        services.close(found)
    if changes.get("escalate"):
        services.escalate(found, changes.get("escalation_note"), by)


@blp.route("/escalated-suggestions/")
class EscalatedSuggestions(MethodView):
    @blp.requires(Permission.VIEW_ESCALATED_SUGGESTIONS)
    @blp.arguments(EscalatedQueryArgsSchema, location="query")
    @blp.response(200, SuggestionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the escalated suggestions of the associations in scope, theme by theme"""
        query = (
            services.inbox_query(theme=args.get("theme"), escalated=True)
            .order_by(None)
            .order_by(Suggestion.theme, Suggestion.escalated_at.desc(), Suggestion.id.desc())
        )
        return paginate(query, pagination_parameters)


@blp.route("/escalated-suggestions/themes")
class EscalatedThemes(MethodView):
    @blp.requires(Permission.VIEW_ESCALATED_SUGGESTIONS)
    @blp.response(200, ThemeCountSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Count the escalated suggestions per theme (every theme, zeros included)"""
        counts = services.escalated_counts()
        rows = [
            {"theme": str(t), "theme_label": str(label), "escalated": counts.get(str(t), 0)}
            for t, label in THEME_LABELS.items()
        ]
        pagination_parameters.item_count = len(rows)
        start = pagination_parameters.first_item
        return rows[start : start + pagination_parameters.page_size]
