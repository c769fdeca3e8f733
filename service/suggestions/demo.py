"""Demo suggestions: a handful per association of the Zhejiang federation and one in Sichuan,
in every state, some escalated (so the federation sees them grouped by theme), one anonymous
with a receipt code printed in the README for trying the answer page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from service.suggestions.models import Suggestion
from service.suggestions.services import receipt_hash_of
from tenants.db import db

# The anonymous demo item's receipt code (a real one is random and shown once).
DEMO_RECEIPT_CODE = "JY-2026-DEMO-0000-0001"

# (university, kind, theme, title, body, state, anonymous, escalated, answer)
SUGGESTIONS = [
    (
        "浙江大学",
        "suggestion",
        "research_funding",
        "简化横向科研经费报销流程",
        "横向项目报销材料要求与纵向项目相同，建议按合同约定简化。",
        "answered",
        False,
        False,
        "已与科研院、计划财务处沟通，下学期起试行横向经费“包干制”。",
    ),
    (
        "浙江大学",
        "demand",
        "evaluation",
        "青年教师职称评审中科普成果的认定",
        "希望将科普作品和科普志愿服务纳入职称评审的业绩认定。",
        "in_progress",
        False,
        True,
        None,
    ),
    (
        "浙江大学",
        "opinion",
        "academic_environment",
        "实验室安全与学风问题",
        "个别课题组存在论文署名不规范的情况，建议加强宣讲和监督。",
        "received",
        True,
        False,
        None,
    ),
    (
        "宁波大学",
        "demand",
        "evaluation",
        "科技成果转化收益在考核中的体现",
        "建议在岗位考核中认可成果转化业绩。",
        "answered",
        False,
        True,
        "已提交学校人事处研究，并上报省级联合组织。",
    ),
    (
        "浙江工业大学",
        "suggestion",
        "working_conditions",
        "增设青年教师周转公寓",
        "新进青年教师租房困难，建议学校协调周转公寓。",
        "closed",
        False,
        False,
        "学校已新增周转公寓 80 套。",
    ),
    (
        "杭州师范大学",
        "suggestion",
        "popularisation",
        "建立全省高校科普资源共享平台",
        "各校科普讲座资源分散，建议由省级联合组织统筹共享。",
        "received",
        False,
        True,
        None,
    ),
    (
        "温州医科大学",
        "demand",
        "talent",
        "临床医生科研时间保障",
        "临床任务繁重，建议设立科研学时保障制度。",
        "in_progress",
        False,
        True,
        None,
    ),
    (
        "四川大学",
        "suggestion",
        "students",
        "学生科技竞赛经费支持",
        "建议增加学生科技竞赛的经费和场地支持。",
        "answered",
        False,
        True,
        "已纳入学校本科教学质量工程项目支持。",
    ),
]


def load_suggestions(
    tenant_ids: dict[str, int], members: dict[int, int], staff: dict[int, str], today: date
) -> None:
    """`members`: a member account per tenant (the named submitter); `staff`: who answers."""
    for i, row in enumerate(SUGGESTIONS):
        university, kind, theme, title, body, state, anonymous, escalated, answer = row
        tid = tenant_ids[university]
        received = today - timedelta(days=60 - i * 6)
        stamp = datetime.combine(received + timedelta(days=5), datetime.min.time())
        db.session.add(
            Suggestion(
                tenant_id=tid,
                kind=kind,
                theme=theme,
                title=title,
                body=body,
                state=state,
                received_on=received,
                anonymous=anonymous,
                submitter_user_id=None if anonymous else members.get(tid),
                receipt_hash=receipt_hash_of(DEMO_RECEIPT_CODE) if anonymous else None,
                answer=answer,
                answered_by=staff.get(tid, "秘书处") if answer else None,
                answered_at=stamp if answer else None,
                escalated_at=stamp + timedelta(days=2) if escalated else None,
                escalated_by=staff.get(tid, "秘书处") if escalated else None,
                escalation_note="涉及全省政策，请省级联合组织协调。" if escalated else None,
                closed_at=stamp + timedelta(days=10) if state == "closed" else None,
            )
        )
