"""The API's shape of a calling token."""

from __future__ import annotations

from marshmallow import Schema, fields


class TokenInfoSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="label")
    level = fields.String()
    association_id = fields.Integer(allow_none=True)
    federation_id = fields.Integer(allow_none=True)
    federation_ids = fields.List(fields.Integer(), attribute="scope.federation_ids")
    read_only = fields.Boolean()
    permissions = fields.List(fields.String())
