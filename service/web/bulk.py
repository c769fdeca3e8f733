"""A choice of many rows in a list, as its bulk form posts it: the ticked rows' ids, or
"every row of the list's current filter" (the filter travels in the form's query string).

Reading the rows, checking them all before changing any, and the confirmation are the
services' and service/web/confirmations.py's; this only parses the form."""

from __future__ import annotations

from flask import abort
from werkzeug.datastructures import MultiDict

from service.validation import ID_MAX

# The field of the checkbox that chooses every row of the filter.
ALL_MATCHING = "all_matching"


def all_matching(form: MultiDict) -> bool:
    return form.get(ALL_MATCHING) == "yes"


def chosen_ids(form: MultiDict, field: str) -> list[int]:
    """The ticked rows' ids, in the order given, once each. A malformed one is a 400."""
    ids = []
    for value in form.getlist(field):
        try:
            number = int(value)
        except ValueError:
            abort(400)
        if not 0 < number <= ID_MAX:
            abort(400)
        ids.append(number)
    return list(dict.fromkeys(ids))
