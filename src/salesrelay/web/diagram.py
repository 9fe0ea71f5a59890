"""The playbook drawn as SVG: one column per role, its stages stacked in it, moves within a
role as thin arrows and handoffs between roles as bold, labelled ones. Pure: a Playbook in,
markup out; every text is escaped."""

from __future__ import annotations

from html import escape

from salesrelay.playbook.schema import Playbook

BOX_W, BOX_H = 170, 34
COL_W, ROW_H = 270, 54
LANE_W = BOX_W + 56
"""A lane leaves room right of its boxes for the arcs of moves within the role."""
TOP, LEFT = 56, 24


def _box_positions(playbook: Playbook) -> tuple[dict[str, tuple[float, float]], list[str]]:
    roles = list(dict.fromkeys([*playbook.roles, *(s.role for s in playbook.stages)]))
    used = [r for r in roles if any(s.role == r for s in playbook.stages)]
    rows: dict[str, int] = {}
    where: dict[str, tuple[float, float]] = {}
    for stage in playbook.stages:
        column = used.index(stage.role)
        row = rows.get(stage.role, 0)
        rows[stage.role] = row + 1
        where[stage.id] = (LEFT + column * COL_W, TOP + row * ROW_H)
    return where, used


def render(playbook: Playbook) -> str:
    where, roles = _box_positions(playbook)
    height = TOP + max((y for _, y in where.values()), default=TOP) + ROW_H
    width = LEFT * 2 + max(1, len(roles)) * COL_W
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" role="img" '
        'aria-labelledby="pb-title pb-desc" '
        'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="pb-title">Playbook {escape(playbook.name)}</title>',
        f'<desc id="pb-desc">{len(roles)} roles, {len(playbook.stages)} stages, '
        f"{sum(1 for t in playbook.transitions if t.handoff)} handoffs between roles.</desc>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#7b879c"/></marker><marker id="handoff" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path '
        'd="M0,0 L10,5 L0,10 z" fill="#1f5fbf"/></marker></defs>',
    ]
    for column, role in enumerate(roles):
        x = LEFT + column * COL_W
        label = playbook.roles[role].label if role in playbook.roles else None
        parts.append(
            f'<rect x="{x - 12}" y="8" width="{LANE_W}" height="{height - 16}" rx="10" '
            'fill="#f2f5fa" stroke="#d9dee7"/>'
            f'<text x="{x + BOX_W / 2}" y="32" text-anchor="middle" font-weight="700" '
            f'fill="#17213a">{escape(label or role.replace("_", " "))}</text>'
        )
    for transition in playbook.transitions:
        if transition.from_ in where and transition.to in where:
            parts.append(
                _edge(where[transition.from_], where[transition.to], transition.handoff, playbook)
            )
    for stage in playbook.stages:
        x, y = where[stage.id]
        dashed = ' stroke-dasharray="4 3"' if stage.terminal else ""
        fill = "#fff" if not stage.terminal else "#fbfbf7"
        text = stage.label or stage.id.replace("_", " ")
        suffix = f" ({stage.terminal})" if stage.terminal and stage.terminal != text else ""
        parts.append(
            f'<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" '
            f'stroke="#7b879c"{dashed}/><text x="{x + BOX_W / 2}" y="{y + 22}" '
            f'text-anchor="middle" fill="#1d2330">{escape(text + suffix)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _edge(start, end, handoff: str | None, playbook: Playbook) -> str:
    (x1, y1), (x2, y2) = start, end
    if x1 == x2:
        # Within one column: an arc on the right-hand side of the boxes.
        sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2 + BOX_W, y2 + BOX_H / 2
        bulge = min(40, 12 + abs(ey - sy) / 8)
        path = f"M{sx},{sy} C{sx + bulge},{sy} {ex + bulge},{ey} {ex},{ey}"
    else:
        forward = x2 > x1
        sx = x1 + (BOX_W if forward else 0)
        ex = x2 + (0 if forward else BOX_W)
        sy, ey = y1 + BOX_H / 2, y2 + BOX_H / 2
        middle = (sx + ex) / 2
        path = f"M{sx},{sy} C{middle},{sy} {middle},{ey} {ex},{ey}"
    if not handoff:
        return (
            f'<path d="{path}" fill="none" stroke="#9aa5b8" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
        )
    protocol = playbook.handoffs.get(handoff)
    label = (
        f"{handoff.replace('_', ' ')} · accept within {protocol.accept_within}"
        if protocol
        else handoff
    )
    # Named in a tooltip here and in the legend under the diagram: labels on crossing
    # curves overlap each other.
    return (
        f'<path d="{path}" fill="none" stroke="#1f5fbf" stroke-width="2.4" '
        f'marker-end="url(#handoff)"><title>{escape(label)}</title></path>'
    )
