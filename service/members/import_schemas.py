"""API schemas for member imports: the request (a file, or rows as JSON) with its choices,
and the import's status, progress, counts and problems."""

from __future__ import annotations

import math

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from service.members.importing import MEMBER_FIELDS
from service.rest import StrictSchema, UtcDateTime

FIELD_NAMES = [f.name for f in MEMBER_FIELDS]
MAX_COLUMNS = 100
MAX_CELL = 1000  # what the report keeps of a cell as written (engine.MAX_WRITTEN)
MAX_ROWS = 20000  # the default IMPORT_MAX_ROWS; a smaller configured limit is a 422 too
HEADING = [validate.Length(min=1, max=100), validate.Regexp(r"\S")]
MODES = ("all", "valid")
ON_MATCH = ("skip", "update")

MODE_HELP = (
    "`all` (the default): nothing is written while any row has a problem. `valid`: the rows"
    " without problems are written, the others listed."
)
ON_MATCH_HELP = (
    "A row that matches an existing member (by phone or e-mail): `skip` it (the default),"
    " or `update` the member with the row's mapped values."
)
DRY_RUN_HELP = (
    "Check every row and report, as a commit would, and write nothing. The import ends in"
    " `review` with its report."
)
MAPPING_HELP = (
    "Column heading → field (`name`, `phone`, …; empty or null to ignore the column), taken"
    " as the association's saved mapping is: the headings given go to those fields, the"
    " others are suggested from their headings and values."
)


class Cell(fields.Field):
    """A cell as an HR system sends it: text, a number, true or false, or null."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "metadata",
            {
                "description": "Text (at most 1000 characters), a number, true/false or null.",
                "nullable": True,
                "oneOf": [
                    {"type": "string", "maxLength": MAX_CELL},
                    {"type": "number"},
                    {"type": "boolean"},
                ],
            },
        )
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if len(value) > MAX_CELL:
                raise ValidationError(f"At most {MAX_CELL} characters.")
            return value
        if isinstance(value, bool | int):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise ValidationError("Give text, a number, true, false or null.")


def _at_most_columns(value: dict) -> None:
    if len(value) > MAX_COLUMNS:
        raise ValidationError(f"At most {MAX_COLUMNS} columns.")


def _mapping_field(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=HEADING),
        values=fields.String(allow_none=True, validate=validate.OneOf([*FIELD_NAMES, ""])),
        validate=_at_most_columns,
        metadata={"description": MAPPING_HELP, "maxProperties": MAX_COLUMNS},
        **kwargs,
    )


def check_mapping(mapping: dict | None) -> None:
    """A field given to one heading only."""
    chosen = [f for f in (mapping or {}).values() if f]
    if len(chosen) != len(set(chosen)):
        raise ValidationError("Each field can be given to one column only.", "mapping")


class ImportChoicesSchema(StrictSchema):
    mode = fields.String(
        load_default="all", validate=validate.OneOf(MODES), metadata={"description": MODE_HELP}
    )
    on_match = fields.String(
        load_default="skip",
        validate=validate.OneOf(ON_MATCH),
        metadata={"description": ON_MATCH_HELP},
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": DRY_RUN_HELP})


class MemberImportRowsSchema(ImportChoicesSchema):
    """Rows as JSON: each an object keyed by field name (`name`, `phone`…) or by the column
    heading of the HR system's own export (姓名, 手机号码…)."""

    rows = fields.List(
        fields.Dict(
            keys=fields.String(validate=HEADING),
            values=Cell(),
            validate=_at_most_columns,
            metadata={"maxProperties": MAX_COLUMNS},
        ),
        required=True,
        validate=validate.Length(min=1, max=MAX_ROWS),
        metadata={"description": "Each row's number in the report is its place here, from 1."},
    )
    mapping = _mapping_field(load_default=None, allow_none=True)

    @validates_schema
    def _columns(self, data: dict, **kwargs) -> None:
        check_mapping(data.get("mapping"))
        headings = {key for row in data.get("rows", ()) for key in row}
        if len(headings) > MAX_COLUMNS:
            raise ValidationError(f"At most {MAX_COLUMNS} different keys.", "rows")


class MemberImportFormSchema(ImportChoicesSchema):
    """The form fields beside the file (multipart/form-data)."""

    mapping = fields.String(
        load_default=None,
        validate=validate.Length(max=20000),
        metadata={"description": "A JSON object. " + MAPPING_HELP},
    )


class MemberImportUploadSchema(MemberImportFormSchema):
    """A file as the HR system exports it, with the choices as form fields."""

    file = Upload(
        required=True,
        metadata={
            "description": ".xlsx, or .csv in UTF-8 or GBK; title rows, notes and footers are"
            " skipped as on the web page."
        },
    )


class MappingSchema(StrictSchema):
    """The multipart form's `mapping`, once its JSON is read."""

    mapping = _mapping_field(required=True)

    @validates("mapping")
    def _once(self, value: dict, **kwargs) -> None:
        check_mapping(value)


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=[validate.Length(min=1, max=100), validate.Regexp(r"^[\x21-\x7e]+$")],
        metadata={
            "description": "Any unique text (a UUID): the same key again returns the first"
            " import and writes nothing twice; with a different request it is refused (409)."
        },
    )

    class Meta:
        unknown = "exclude"


class ImportProblemSchema(Schema):
    row = fields.Integer(allow_none=True, metadata={"description": "null: the whole file"})
    column = fields.String(allow_none=True)
    value = fields.String(metadata={"description": "The cell as written"})
    message = fields.String(metadata={"description": "What is wrong, and what is expected"})


class ImportProgressSchema(Schema):
    state = fields.String(
        metadata={"description": "`checking`, `importing` while the job runs; then the status"}
    )
    checked = fields.Integer()
    written = fields.Integer()
    total = fields.Integer()


class ImportCountsSchema(Schema):
    total = fields.Integer()
    new = fields.Integer()
    same = fields.Integer(metadata={"description": "Existing members, unchanged"})
    changed = fields.Integer(metadata={"description": "Existing members the rows would change"})
    bad = fields.Integer(metadata={"description": "Rows with problems"})
    excluded = fields.Integer()
    imported = fields.Integer(metadata={"description": "New members written"})
    updated = fields.Integer(metadata={"description": "Existing members updated"})


class ImportColumnSchema(Schema):
    header = fields.String()
    field = fields.String(allow_none=True)
    how = fields.String(
        metadata={"description": "template, saved, alias, values, ignored or unknown"}
    )


class MemberImportSchema(Schema):
    id = fields.Integer()
    status = fields.String(
        metadata={
            "description": "`queued` (checking or writing), `review` (checked, nothing written:"
            " a dry run, or problems under mode `all`), `done`, `failed`"
        }
    )
    dry_run = fields.Boolean()
    mode = fields.String()
    on_match = fields.String()
    filename = fields.String()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    progress = fields.Nested(ImportProgressSchema, allow_none=True)
    counts = fields.Nested(ImportCountsSchema, allow_none=True)
    columns = fields.List(fields.Nested(ImportColumnSchema))
    unmapped = fields.List(
        fields.String(), metadata={"description": "Headings not imported (none's field)"}
    )
    problem_count = fields.Integer()
    problems = fields.List(
        fields.Nested(ImportProblemSchema),
        metadata={"description": "The first problems; every one under …/problems"},
    )
