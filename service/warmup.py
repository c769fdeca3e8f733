"""What a web worker would otherwise do on its first requests, done once in gunicorn's
master before it forks (`deploy/gunicorn.conf.py`, with `preload_app`): every worker starts
warm, and so does each worker that replaces one recycled after `max_requests`.

Cold, a worker spent about a second on the first visit of its pages: half a second loading
pypinyin's dictionaries for the first list sorted by pinyin, the rest compiling each template
on its first use. Nothing here opens a database connection, which a forked worker must not
share with its master.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, get_translations

from service.extensions import babel
from service.sorting import pinyin_key


def warm(app: Flask) -> int:
    """Load the pinyin dictionaries, every template and every translation catalogue into
    this process; the number of templates compiled."""
    pinyin_key("科协")
    environment = app.jinja_env
    names = [name for name in environment.list_templates() if name.endswith(".html")]
    for name in names:
        environment.get_template(name)
    with app.test_request_context("/"):
        for locale in babel.list_translations():
            with force_locale(locale):
                get_translations()
    return len(names)
