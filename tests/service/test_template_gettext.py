"""Templates translate through the app's own `_` and `gettext` (service/extensions.py), one
call per string where Jinja's newstyle aliases make three: what a page shows must be what
Jinja's newstyle gettext gives from the same catalogue, translated and escaped alike."""

from __future__ import annotations

import jinja2
import pytest
from flask_babel import force_locale

from service.extensions import babel

CASES = (
    "{{ _('Members') }}",
    "{{ gettext('Members') }}",
    "{{ _('%(n)d activities are held but not yet reported.', n=3) }}",
    # A variable is escaped, the catalogue's text is not; "%%" is a percent sign.
    "{{ _('Dear %(name)s, 100%% done', name='<b>Zhang & Li</b>') }}",
    "{{ _('100%% of them') }}",
    "{% trans %}Members{% endtrans %}",
    "{% trans n=4 %}{{ n }} members and <b>more</b>{% endtrans %}",
)


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_a_template_translates_as_jinjas_newstyle_gettext_does(app, language):
    jinja = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    with app.test_request_context("/"), force_locale(language):
        catalogue = babel.domain_instance.get_translations()
        jinja.install_gettext_callables(catalogue.ugettext, catalogue.ungettext, newstyle=True)
        shown = [app.jinja_env.from_string(source).render() for source in CASES]
        assert shown == [jinja.from_string(source).render() for source in CASES]
    if language == "zh_Hans_CN":
        assert shown[:3] == ["个人会员", "个人会员", "有 3 项活动已举办但尚未上报。"]
    else:
        assert shown[0] == "Members"
    assert "&lt;b&gt;Zhang &amp; Li&lt;/b&gt;" in shown[3] and "100% done" in shown[3]
    assert shown[4] == "100% of them"
