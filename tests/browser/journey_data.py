"""What the demo lacks for the role journeys (tests/browser/test_journeys.py): reports that
wait for a decision. In the demo every Zhejiang report of last year is approved but one, which
is only compiled; here, as the federation and the associations would have done it:

- 杭州职业技术学院 submitted its report;
- 宁波大学 asked for its approved report to be reopened, and submitted the new version;
- 浙江大学's report was reopened too, submitted, and returned by the federation with a
  comment on its popularisation figure (POP01), which the association is to explain.

Run once in the environment of a freshly seeded database (its DATABASE_URL):
`python -m tests.browser.journey_data`. Every journey then starts from a copy of it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

RETURN_COMMENT = "科普活动次数比活动记录中的多，请核对后说明。"
REOPEN_REASON = "补录年底举办的两场科普活动。"


def prepare() -> None:
    from service import create_app
    from service.audit.services import set_actor
    from service.auth.models import User
    from service.reporting import services
    from service.reporting.models import ReportingPeriod
    from tenants.db import db
    from tenants.models import Association, Federation
    from tenants.scope import system_scope

    app = create_app()
    with app.app_context():
        set_actor("cli:browser-journeys")
        with system_scope("browser journeys: reports awaiting the federation"):
            zj = db.session.scalar(sa.select(Federation).where(Federation.code == "ZJ"))
            officer = db.session.scalar(sa.select(User).where(User.username == "zj-officer"))
            by_officer = f"user:{officer.id} {officer.username}"
            period = db.session.scalar(
                sa.select(ReportingPeriod).where(
                    ReportingPeriod.federation_id == zj.id,
                    ReportingPeriod.year == date.today().year - 1,
                )
            )

            def report_of(university: str):
                association_id = db.session.scalar(
                    sa.select(Association.id).where(Association.name == f"{university}科学技术协会")
                )
                return services.current_report(association_id, period.id)

            services.submit(report_of("杭州职业技术学院"))
            ningbo = services.reopen(report_of("宁波大学"), REOPEN_REASON, by_officer)
            services.submit(ningbo)
            zju = services.reopen(report_of("浙江大学"), REOPEN_REASON, by_officer)
            services.submit(zju)
            services.return_report(zju, {"POP01": RETURN_COMMENT}, by_officer)
            db.session.commit()


if __name__ == "__main__":
    prepare()
