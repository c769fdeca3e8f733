"""Enqueue work with the caller's scope; the worker restores that scope before running it.

Job arguments are ids (ints and short strings), never ORM objects: an object would carry
data read under one scope into a process where another may be in force.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.utils import import_string

from tenants.scope import Scope, current_scope, use_scope

_ID_TYPES = (int, str)


def job_path(func: Callable | str) -> str:
    """ "module:function" for a function, or the path itself: a service may name the job it
    queues by path (as RQ allows) where importing its jobs module would make a cycle."""
    if isinstance(func, str):
        module, _, name = func.partition(":")
        if not module or not name:
            raise ValueError(f"a job path is 'module:function', not {func!r}")
        return func
    return f"{func.__module__}:{func.__qualname__}"


def check_ids(args: tuple) -> None:
    for arg in args:
        if not isinstance(arg, _ID_TYPES) or isinstance(arg, bool):
            raise TypeError(f"job arguments must be ids, not {type(arg).__name__}")


def scoped_call(func: Callable | str, *args: Any) -> tuple[dict, str, tuple]:
    """The (scope, function, ids) triple a worker needs to run `func(*args)` as the caller."""
    check_ids(args)
    return current_scope().to_dict(), job_path(func), args


def run_scoped(
    scope_data: dict, func_path: str, args: tuple | list, then: Callable[[], None] | None = None
) -> Any:
    """Worker side: restore the caller's scope and call the function; `then` (the job's
    commit) runs before the scope is left, so the writes are checked against it."""
    func = import_string(func_path.replace(":", "."))
    with use_scope(Scope.from_dict(scope_data)):
        result = func(*args)
        if then is not None:
            then()
        return result
