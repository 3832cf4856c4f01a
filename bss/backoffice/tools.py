"""The BSS Setup > Tools registry: each app registers its back-office tools in its AppConfig.ready()."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    title: str
    url_name: str
    description: str
    # Django permission ("app_label.codename") a staff member needs to open the tool; empty = any staff.
    permission: str = ""


_TOOLS: dict[str, Tool] = {}


def register_tool(tool: Tool) -> None:
    _TOOLS[tool.url_name] = tool


def tools_for(user: object) -> list[Tool]:
    has_perm = getattr(user, "has_perm", lambda perm: False)
    return sorted(
        (tool for tool in _TOOLS.values() if not tool.permission or has_perm(tool.permission)),
        key=lambda tool: tool.title,
    )
