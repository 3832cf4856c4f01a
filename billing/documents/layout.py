"""The lines table laid out before anything is drawn: cells wrapped to their column, rows measured, rows cut into
pages. Laying out first is what lets every page print "Page n of m" in one pass, and keeps the work linear in
the number of lines (a 2,000-line invoice is ~70 pages; no table engine re-measuring the rest at each break).

Rules of the cut: a customer's group header never ends a page (it moves to the next one with its first line); a
group that goes on over a page break gets its header again, marked "(continued)"; the closing block (tax summary,
totals, notes) is never split and follows the last line, on a page of its own if it does not fit under it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

from billing.documents.document import DocumentLine, InvoiceDocument
from billing.documents.fonts import FontSet
from billing.documents.money import format_date, format_money, format_quantity, format_rate, format_unit_price

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 40.0
MARGIN_TOP = 40.0
MARGIN_BOTTOM = 54.0  # the footer sits in it
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
CELL_PAD_X = 3.0
CELL_PAD_Y = 3.0
BODY_SIZE = 7.5
SMALL_SIZE = 6.5
LEADING = 1.22  # line height, as a multiple of the font size
MIN_FIGURE_SIZE = 4.5
MAX_CELL_LINES = 6


@dataclass(frozen=True, slots=True)
class Text:
    value: str
    font: str
    size: float
    grey: bool = False

    @property
    def leading(self) -> float:
        return self.size * LEADING


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float
    right: bool  # right-aligned (numbers)


def columns(currency: str) -> tuple[Column, ...]:
    fixed = (
        Column("Charge type", 64, right=False),
        Column("Charge period", 56, right=False),
        Column("Qty", 34, right=True),
        Column("Unit price", 60, right=True),
        Column("Tax", 34, right=True),
        Column(f"Amount ({currency})", 70, right=True),
    )
    description = Column("Description / subscription", CONTENT_WIDTH - sum(c.width for c in fixed), right=False)
    return (description, *fixed)


class RowKind(Enum):
    HEADER = "header"  # the column titles, repeated on every page
    GROUP = "group"  # a customer's name, above its lines
    LINE = "line"
    SUBTOTAL = "subtotal"  # a customer's subtotal, under its lines


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    cells: tuple[tuple[Text, ...], ...]  # per column, the lines of text of the cell (one cell for a group row)
    height: float
    group: str = ""


def wrap(value: str, font: str, size: float, width: float) -> list[str]:
    """`value` in lines no wider than `width`, cut between words (inside a word only when it alone is wider)."""
    if stringWidth(value, font, size) <= width:
        return [value]
    lines: list[str] = []
    current = ""
    for word in value.split():
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while stringWidth(current, font, size) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and stringWidth(current[:cut], font, size) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines or [""]


def _height(cells: Sequence[Sequence[Text]]) -> float:
    return 2 * CELL_PAD_Y + max(sum(text.leading for text in cell) for cell in cells)


def _wrapped(value: str, fonts: FontSet, width: float, *, bold: bool = False, size: float = BODY_SIZE,
             grey: bool = False, max_lines: int = MAX_CELL_LINES) -> tuple[Text, ...]:
    """A cell's text wrapped to its column; past `max_lines` lines, the last one ends with an ellipsis (a
    runaway description must not make a row taller than a page)."""
    font = fonts.bold if bold else fonts.regular
    room = width - 2 * CELL_PAD_X
    parts = wrap(fonts.text(value), font, size, room)
    if len(parts) > max_lines:
        last = parts[max_lines - 1]
        while last and stringWidth(f"{last}\u2026", font, size) > room:
            last = last[:-1]
        parts = [*parts[: max_lines - 1], f"{last.rstrip()}\u2026"]
    return tuple(Text(part, font, size, grey) for part in parts)


def _number(value: str, font: str, width: float) -> tuple[Text]:
    """A figure on one line, in a smaller size when it would not fit its column (figures are never cut)."""
    room = width - 2 * CELL_PAD_X
    drawn = stringWidth(value, font, BODY_SIZE)
    size = BODY_SIZE if drawn <= room else max(MIN_FIGURE_SIZE, BODY_SIZE * room / drawn)
    return (Text(value, font, size),)


def header_row(cols: Sequence[Column], fonts: FontSet) -> Row:
    cells = tuple(_wrapped(col.title, fonts, col.width, bold=True) for col in cols)
    return Row(RowKind.HEADER, cells, _height(cells))


def group_row(name: str, fonts: FontSet, *, continued: bool = False) -> Row:
    title = f"{name} (continued)" if continued else name
    cell = _wrapped(title, fonts, CONTENT_WIDTH, bold=True, size=BODY_SIZE + 0.5)
    return Row(RowKind.GROUP, (cell,), _height((cell,)), group=name)


def line_row(line: DocumentLine, cols: Sequence[Column], currency: str, fonts: FontSet) -> Row:
    width = [col.width for col in cols]
    description = _wrapped(line.description, fonts, width[0])
    if line.pc_subscription_id:
        description += _wrapped(f"Subscription {line.pc_subscription_id}", fonts, width[0], size=SMALL_SIZE,
                                grey=True)
    if line.charge_start and line.charge_end and line.charge_start != line.charge_end:
        period: tuple[Text, ...] = (
            Text(f"{format_date(line.charge_start)} \u2013", fonts.regular, BODY_SIZE),
            Text(format_date(line.charge_end), fonts.regular, BODY_SIZE),
        )
    else:
        period = (Text(format_date(line.charge_start or line.charge_end), fonts.regular, BODY_SIZE),)
    cells = (
        description,
        _wrapped(line.charge_type, fonts, width[1]),
        period,
        _number(format_quantity(line.quantity), fonts.regular, width[3]),
        _number(format_unit_price(line.unit_price, currency), fonts.regular, width[4]),
        _number(format_rate(line.tax_rate), fonts.regular, width[5]),
        _number(format_money(line.amount, currency), fonts.regular, width[6]),
    )
    return Row(RowKind.LINE, cells, _height(cells), group=line.customer_name)


def subtotal_row(name: str, amount: Decimal, currency: str, cols: Sequence[Column], fonts: FontSet) -> Row:
    label = _wrapped(f"Subtotal {name}", fonts, sum(c.width for c in cols[:-1]), bold=True)
    cells = (label, _number(format_money(amount, currency), fonts.bold, cols[-1].width))
    return Row(RowKind.SUBTOTAL, cells, _height(cells), group=name)


def grouped(lines: Sequence[DocumentLine]) -> list[tuple[str, list[DocumentLine]]]:
    """The lines by customer name, groups in the order of their first line, lines in their given order."""
    groups: dict[str, list[DocumentLine]] = {}
    for line in lines:
        groups.setdefault(line.customer_name, []).append(line)
    return list(groups.items())


def body_rows(doc: InvoiceDocument, cols: Sequence[Column], fonts: FontSet) -> list[Row]:
    """Every row under the column titles: per customer, its name, its lines and (with several customers) its
    subtotal. Lines without a customer name get no group header."""
    groups = grouped(doc.lines)
    rows: list[Row] = []
    for name, lines in groups:
        if name:
            rows.append(group_row(name, fonts))
        rows.extend(line_row(line, cols, doc.currency, fonts) for line in lines)
        if name and len(groups) > 1:
            subtotal = sum((line.amount for line in lines), Decimal(0))
            rows.append(subtotal_row(name, subtotal, doc.currency, cols, fonts))
    return rows


@dataclass(slots=True)
class Page:
    rows: list[Row] = field(default_factory=list)
    closing: bool = False  # the tax summary, totals and notes are on this page


def paginate(rows: Sequence[Row], *, first_room: float, next_room: float, closing_height: float,
             continued: Callable[[str], Row]) -> list[Page]:
    """Cut `rows` into pages. `first_room` and `next_room` are the heights available for body rows on the first
    and on the following pages (under the column titles); `continued(name)` makes a group's "(continued)" row."""
    pages = [Page()]
    room = first_room
    group = ""
    for index, row in enumerate(rows):
        needed = row.height
        if row.kind is RowKind.GROUP and index + 1 < len(rows):
            needed += rows[index + 1].height  # keep a customer's name with its first line
        if needed > room and pages[-1].rows:
            pages.append(Page())
            room = next_room
            if group and row.kind is not RowKind.GROUP and row.group == group:
                again = continued(group)
                pages[-1].rows.append(again)
                room -= again.height
        pages[-1].rows.append(row)
        room -= row.height
        if row.kind is RowKind.GROUP:
            group = row.group
        elif row.kind is RowKind.SUBTOTAL:
            group = ""
    if closing_height > room and pages[-1].rows:
        pages.append(Page())
    pages[-1].closing = True
    return pages
