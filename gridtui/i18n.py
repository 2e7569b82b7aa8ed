"""Every user-facing string, in Chinese (default) and English.

``t("key", **args)`` formats the string of the current language. Domain codes have their names
under ``role.<code>``, ``cat.<role>.<code>``, ``tag.<code>`` and so on; :func:`name` looks them up.
"""

from __future__ import annotations

import os

LANGS = ("zh", "en")
_lang = "zh"


def set_lang(lang: str | None) -> str:
    global _lang
    if lang and lang not in LANGS:
        raise ValueError(lang)
    _lang = lang or "zh"
    return _lang


def get_lang() -> str:
    return _lang


def lang_from_env() -> str | None:
    value = os.environ.get("GRIDTUI_LANG", "")
    return value if value in LANGS else None


def t(key: str, **args: object) -> str:
    zh, en = STRINGS[key]
    text = zh if _lang == "zh" else en
    return text.format(**args) if args else text


def name(group: str, code: str | None) -> str:
    """Display name of a domain code, e.g. name("role", "safety") → 安全员; unknown codes as is."""
    if code is None:
        return ""
    key = f"{group}.{code}"
    return t(key) if key in STRINGS else str(code)


def cat_name(role: str, category: str) -> str:
    return name(f"cat.{role}", category)


STRINGS: dict[str, tuple[str, str]] = {
    # --- the seven duty roles ------------------------------------------------------------------
    "role.data": ("数据员", "Data"),
    "role.info": ("信息员", "Info"),
    "role.publicity": ("宣传员", "Publicity"),
    "role.service": ("服务员", "Service"),
    "role.mediation": ("调解员", "Mediation"),
    "role.supervision": ("监督员", "Supervision"),
    "role.safety": ("安全员", "Safety"),
    # --- categories per role ---------------------------------------------------------------------
    "cat.data.people": ("人口变动", "People changed"),
    "cat.data.phone": ("电话变更", "Phone changed"),
    "cat.data.moved_in": ("迁入", "Moved in"),
    "cat.data.moved_out": ("迁出", "Moved out"),
    "cat.data.other": ("其他", "Other"),
    "cat.info.health": ("健康状况", "Health"),
    "cat.info.hardship": ("生活困难", "Hardship"),
    "cat.info.employment": ("就业失业", "Employment"),
    "cat.info.rental": ("出租变化", "Rental change"),
    "cat.info.other": ("其他", "Other"),
    "cat.publicity.pension": ("养老保险", "Pension"),
    "cat.publicity.medical_insurance": ("医疗保险", "Medical insurance"),
    "cat.publicity.housing_fund": ("住房公积金", "Housing fund"),
    "cat.publicity.anti_fraud": ("反诈宣传", "Anti-fraud"),
    "cat.publicity.garbage_sorting": ("垃圾分类", "Garbage sorting"),
    "cat.publicity.other": ("其他", "Other"),
    "cat.service.micro_wish": ("微心愿", "Micro-wish"),
    "cat.service.elderly_care": ("助老服务", "Elderly care"),
    "cat.service.repair": ("家庭维修", "Home repair"),
    "cat.service.paperwork": ("代办事项", "Paperwork"),
    "cat.service.other": ("其他", "Other"),
    "cat.mediation.neighbour": ("邻里纠纷", "Neighbours"),
    "cat.mediation.tenant_landlord": ("租赁纠纷", "Tenant/landlord"),
    "cat.mediation.labour": ("劳资纠纷", "Worker/employer"),
    "cat.mediation.family": ("家庭矛盾", "Family"),
    "cat.mediation.other": ("其他", "Other"),
    "cat.supervision.property": ("物业服务", "Property management"),
    "cat.supervision.public_works": ("公共设施", "Public works"),
    "cat.supervision.contractor": ("施工扰民", "Contractors"),
    "cat.supervision.sanitation": ("环境卫生", "Sanitation"),
    "cat.supervision.other": ("其他", "Other"),
    "cat.safety.ebike_charging": ("飞线充电", "E-bike flying wire"),
    "cat.safety.extinguisher": ("灭火器过期", "Expired extinguisher"),
    "cat.safety.gas": ("燃气隐患", "Gas hazard"),
    "cat.safety.stairwell_light": ("楼道照明", "Dark stairwell"),
    "cat.safety.blocked_exit": ("通道堵塞", "Blocked exit"),
    "cat.safety.other": ("其他", "Other"),
    # --- household tags --------------------------------------------------------------------------
    "tag.elderly_alone": ("独居老人", "Elderly alone"),
    "tag.empty_nest": ("空巢", "Empty nest"),
    "tag.disability": ("残疾", "Disability"),
    "tag.left_behind_child": ("留守儿童", "Left-behind child"),
    "tag.low_income": ("低保", "Low income"),
    "tag.veteran": ("退役军人", "Veteran"),
    "tag.rental": ("出租屋", "Rental"),
    # --- visit and finding codes -----------------------------------------------------------------
    "mode.door": ("上门", "Door"),
    "mode.phone": ("电话", "Phone"),
    "mode.other": ("其他", "Other"),
    "outcome.met": ("见到", "Met"),
    "outcome.no_answer": ("无人应门", "No answer"),
    "outcome.refused": ("拒绝", "Refused"),
    "outcome.vacant": ("空置", "Vacant"),
    "triage.routine": ("当场处理", "Routine"),
    "triage.coordinate": ("带回协调", "Coordinate"),
    "triage.urgent": ("紧急上报", "Urgent"),
    "status.open": ("待办", "Open"),
    "status.referred": ("已转办", "Referred"),
    "status.resolved": ("已办结", "Resolved"),
    "status.closed": ("已关闭", "Closed"),
    "satisfaction.satisfied": ("满意", "Satisfied"),
    "satisfaction.basically": ("基本满意", "Basically satisfied"),
    "satisfaction.dissatisfied": ("不满意", "Dissatisfied"),
    "wish.wish": ("待认领", "Wished"),
    "wish.claimed": ("已认领", "Claimed"),
    "wish.fulfilled": ("已实现 😊", "Fulfilled 😊"),
    "fact.people": ("人数", "People"),
    "fact.phone": ("电话", "Phone"),
    "fact.moved_out": ("已迁出", "Moved out"),
    # --- validation errors (model.ValidationError keys) ------------------------------------------
    "err.role_number": ("角色编号须为 1–7，收到 {n}。", "Role number must be 1–7, got {n}."),
    "err.bad_role": (
        "未知角色“{value}”；可用：data info publicity service mediation supervision safety。",
        "Unknown role '{value}'; use one of: data info publicity service mediation supervision safety.",
    ),
    "err.bad_category": ("角色 {role} 没有类别“{value}”。", "Role {role} has no category '{value}'."),
    "err.finding_empty": ("诉求内容不能为空。", "A finding needs a description of what was asked."),
    "err.bad_triage": ("未知分级“{value}”；可用 routine coordinate urgent。",
                       "Unknown triage '{value}'; use routine, coordinate or urgent."),
    "err.bad_date": ("日期“{value}”无效，请用 YYYY-MM-DD 格式。", "Date '{value}' is not valid; use YYYY-MM-DD."),
    "err.proposal_not_data": ("只有数据员发现可以提议修改住户信息。", "Only a data finding can propose household changes."),
    "err.bad_fact": ("不能修改住户信息“{value}”。", "Household fact '{value}' cannot be changed."),
    "err.bad_people": ("人数“{value}”无效，应为 0–50。", "People count '{value}' is not valid (0–50)."),
    "err.bad_phone": ("电话号码格式不对。", "That phone number does not look valid."),
    "err.bad_mode": ("未知走访方式“{value}”；可用 door phone other。", "Unknown mode '{value}'; use door, phone or other."),
    "err.bad_outcome": ("未知走访结果“{value}”；可用 met no_answer refused vacant。",
                        "Unknown outcome '{value}'; use met, no_answer, refused or vacant."),
    "err.findings_need_met": ("上门未见到住户，不能记录发现。", "A door visit with no one met cannot record findings."),
    "err.bad_status": ("未知状态“{value}”。", "Unknown status '{value}'."),
    "err.refer_needs_unit": ("转办需要填写承办单位。", "Referring needs the unit it goes to."),
    "err.satisfaction_on_close": ("满意度只在办结或关闭时填写。", "Satisfaction is recorded only on resolving or closing."),
    "err.bad_satisfaction": ("未知满意度“{value}”。", "Unknown satisfaction '{value}'."),
    "err.bad_wish_state": ("未知心愿状态“{value}”。", "Unknown wish state '{value}'."),
    "err.claim_needs_who": ("认领需要填写认领人或单位。", "Claiming needs who claims it."),
    "err.bad_cycle": ("走访周期“{value}”无效；可用 week、month、quarter 或天数如 14d。",
                      "Cycle '{value}' is not valid; use week, month, quarter or days like 14d."),
    # --- command line ----------------------------------------------------------------------------
    "cli.error": ("错误：", "Error: "),
    "cli.in_use": ("数据正被另一个 gridtui 使用（进程 {pid}，主机 {host}）；请先关闭那个窗口再试。",
                   "The data is in use by another gridtui (process {pid} on {host}); close it and try again."),
    "cli.damaged": ("数据文件 {path} 已损坏，未做任何修改；请联系社区办公室恢复。",
                    "Data file {path} is damaged and was left as it is; ask the community office to restore it."),
    "cli.not_set_up": ("这台电脑还没有设置网格员数据；请让社区办公室设置，或加 --demo 使用演示数据。",
                       "This laptop is not set up yet; ask the community office to set it up, or add --demo to use the demo data."),
    "cli.first_run": ("这台电脑还没有设置网格员数据。\n请让社区办公室为您设置，或先运行 gridtui demo 试用演示数据。",
                      "This laptop is not set up yet.\nAsk the community office to set it up, or run gridtui demo to try the demo data."),
    "cli.unknown_record": ("找不到编号为 {id} 的记录（{kind}）；用 gridtui households 查看编号。",
                           "No {kind} with id {id}; run gridtui households to see the ids."),
    "cli.disk_full": ("磁盘已满，未能保存；已保存的数据不受影响。请腾出空间后重试。",
                      "The disk is full, so nothing was saved; data saved before is intact. Free some space and try again."),
    "cli.os_error": ("无法读写数据：{reason}。已保存的数据不受影响。", "Could not read or write the data: {reason}. Data saved before is intact."),
    "cli.unknown_worker": ("演示数据中没有网格员 {worker}；可选：{known}。", "The demo has no worker {worker}; choose one of: {known}."),
    "cli.bad_finding_spec": ("发现“{value}”格式不对，应为 角色:内容 或 角色/类别:内容。",
                             "Finding '{value}' is not in the form ROLE:TEXT or ROLE/CATEGORY:TEXT."),
    "cli.visit_saved": ("已保存走访 {id}（{n} 条发现）。", "Saved visit {id} ({n} findings)."),
    "cli.col.id": ("编号", "ID"),
    "cli.col.building": ("楼栋", "Building"),
    "cli.col.room": ("单元-房号", "Unit-room"),
    "cli.col.head": ("户主", "Head"),
    "cli.col.tags": ("标签", "Tags"),
    "cli.col.last": ("最近走访", "Last visit"),
    "cli.col.outcome": ("结果", "Outcome"),
    "cli.col.open": ("待办", "Open"),
}
