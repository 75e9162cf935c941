"""How a staff member is named to people: their name, the username only when no name is set.

One function for answers (objections, complaints, defects), agreements and approvals; the
`person` template filter (`resettlement/templatetags/people.py`) calls it.
"""

from __future__ import annotations


def person_name(user) -> str:
    """The user's full name (“李登记”), or the username when none is set; "" for nobody."""
    if user is None:
        return ""
    full = (user.get_full_name() or "").strip()
    return full or user.get_username()


def issuing_body(template: str, project_name: str) -> str:
    """An office named after its project: `template` (translated, with "%(project)s") filled
    with the project's name, without saying a word twice where the name ends as the office's
    name begins: “南宫河公寓安置” + “%(project)s安置工作领导小组” gives
    “南宫河公寓安置工作领导小组”, not “…公寓安置安置工作领导小组”. An overlap of one
    character is kept (“长安” + “安置…” is two words)."""
    before, placeholder, after = template.partition("%(project)s")
    if not placeholder:
        return template
    name = project_name
    for size in range(min(len(name), len(after)), 1, -1):
        if name.endswith(after[:size]):
            name = name[:-size]
            break
    return f"{before}{name}{after}"
