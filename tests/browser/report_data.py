"""What the demo lacks for the report page's browser test (tests/browser/test_report_page.py):
figures that moved a lot and wait for an explanation. The demo has no report before last
year's, so nothing moved there; here the Zhejiang federation opens this year's period and
浙江大学's report of this year is compiled with five figures far from last year's approved
ones (MOVED), which the association is to explain before it can submit.

Run once in the environment of a freshly seeded database (its DATABASE_URL):
`python -m tests.browser.report_data`."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

UNIVERSITY = "浙江大学科学技术协会"
# One a test: each test explains its own, whatever order they run in.
MOVED = ("ORG02", "POP01", "ACA01", "STU01", "INT01")


def prepare() -> None:
    from service import create_app
    from service.audit.services import set_actor
    from service.reporting import services
    from service.reporting.models import content_hash
    from tenants.db import db
    from tenants.models import Association, Federation
    from tenants.scope import system_scope

    app = create_app()
    with app.app_context():
        set_actor("cli:browser-report-page")
        with system_scope("browser report page: a report with figures to explain"):
            zj = db.session.scalar(sa.select(Federation).where(Federation.code == "ZJ"))
            year = date.today().year
            period = services.open_period(zj.id, year, date(year + 1, 3, 31), "zj-officer")
            association_id = db.session.scalar(
                sa.select(Association.id).where(Association.name == UNIVERSITY)
            )
            report = services.start_compile(association_id, period)
            db.session.flush()
            figures = dict(services.previous_figures(report))
            for code in MOVED:
                figures[code] = int(figures[code]) * 2 + 5
            report.figures, report.figures_hash = figures, content_hash(figures)
            report.status = "compiled"
            db.session.flush()
            assert sorted(services.unexplained(report)) == sorted(MOVED)
            db.session.commit()


if __name__ == "__main__":
    prepare()
