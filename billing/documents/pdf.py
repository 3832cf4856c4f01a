"""An invoice or a credit note as a PDF: `render_pdf(doc) -> bytes`.

Why ReportLab: it is the long-standing, well-kept PDF library of Python, in pure wheels (its optional C
accelerator ships inside them) with no system library to install, unlike WeasyPrint (Pango and HarfBuzz from
Debian); it renders offline with the fonts given to it (see `fonts`). We draw on its canvas directly rather than
through its Platypus flowables: the table is laid out once by `layout` (wrap, measure, cut into pages) and then
drawn, which knows the page count before the first page ("Page n of m" in one pass) and stays linear in the
number of lines — Platypus re-measures the rest of a long table at each page break.

A page: the issuer, the document's details and the billed party (first page; a one-line reminder on the next
ones), the column titles (on every page), the lines grouped by customer, and on the last page the tax summary
per rate, the totals and the notes (the reverse-charge mention, a credit note's reference to its invoice); each
page's footer names the issuer and says "Page n of m". Output is reproducible: the same document gives the same
bytes (no creation time or random id in the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from billing.documents.document import DocumentKind, InvoiceDocument
from billing.documents.fonts import FontSet, default_fonts
from billing.documents.layout import (
    BODY_SIZE,
    CELL_PAD_X,
    CELL_PAD_Y,
    CONTENT_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Column,
    Page,
    Row,
    RowKind,
    Text,
    body_rows,
    columns,
    group_row,
    header_row,
    paginate,
    wrap,
)
from billing.documents.money import format_long_date, format_money, format_rate

GREY = 0.42
RULE_GREY = 0.82
HEADER_FILL = 0.90
GROUP_FILL = 0.955
META_X = MARGIN_X + 240.0  # the document's details, top right
META_VALUE_X = META_X + 90.0
TOTALS_X = MARGIN_X + 305.0  # the totals, right of the tax summary


class Pen:
    """Writes text on a canvas, or only measures when there is none (the same code gives both the height of a
    block and its drawing).

    All text of a page goes into one text object, drawn by `finish` over the page's fills and rules (one BT/ET
    block per page instead of one per string: the canvas's drawString costs more than the text itself); the
    font and colour are set only when they change.
    """

    def __init__(self, canvas: Canvas | None, fonts: FontSet) -> None:
        self.canvas = canvas
        self.fonts = fonts
        self._text: PDFTextObject | None = canvas.beginText() if canvas is not None else None
        self._font: tuple[str, float] | None = None
        self._grey: float | None = None

    def text(self, x: float, y: float, text: Text, *, right: bool = False) -> None:
        out = self._text
        if out is None:
            return
        if self._font != (text.font, text.size):
            self._font = (text.font, text.size)
            out.setFont(text.font, text.size)
        grey = GREY if text.grey else 0.0
        if self._grey != grey:
            self._grey = grey
            out.setFillGray(grey)
        if right:
            x -= stringWidth(text.value, text.font, text.size)
        out.setTextOrigin(x, y)
        out.textOut(text.value)

    def finish(self) -> None:
        if self.canvas is not None and self._text is not None:
            self.canvas.drawText(self._text)
            self._text = None

    def paragraph(self, x: float, top: float, value: str, width: float, *, bold: bool = False,
                  size: float = BODY_SIZE, grey: bool = False, right: bool = False) -> float:
        """`value` wrapped to `width` from `top` down; returns the y under it."""
        font = self.fonts.bold if bold else self.fonts.regular
        y = top
        for part in wrap(self.fonts.text(value), font, size, width):
            line = Text(part, font, size, grey)
            y -= line.leading
            self.text(x, y + size * 0.25, line, right=right)
        return y

    def rule(self, x1: float, y: float, x2: float, *, grey: float = RULE_GREY, width: float = 0.4) -> None:
        if self.canvas is None:
            return
        self.canvas.setStrokeGray(grey)
        self.canvas.setLineWidth(width)
        self.canvas.line(x1, y, x2, y)

    def fill(self, x: float, y: float, width: float, height: float, grey: float) -> None:
        if self.canvas is None:
            return
        self.canvas.setFillGray(grey)
        self.canvas.rect(x, y, width, height, stroke=0, fill=1)


def _party(pen: Pen, top: float, label: str, party_name: str, lines: Sequence[str], vat_id: str,
           width: float, *, name_size: float) -> float:
    y = top
    if label:
        y = pen.paragraph(MARGIN_X, y, label.upper(), width, size=6.5, grey=True)
        y -= 1
    y = pen.paragraph(MARGIN_X, y, party_name, width, bold=True, size=name_size)
    y -= 2
    for line in lines:
        y = pen.paragraph(MARGIN_X, y, line, width, size=8)
    if vat_id:
        y = pen.paragraph(MARGIN_X, y, f"VAT ID {vat_id}", width, size=8)
    return y


def _address(lines: Sequence[str], country: str) -> list[str]:
    out = [line for line in lines if line.strip()]
    if country and (not out or out[-1].strip().upper() != country.upper()):
        out.append(country)
    return out


def _meta(doc: InvoiceDocument) -> list[tuple[str, str]]:
    number_label = "Invoice number" if doc.kind == DocumentKind.INVOICE else "Credit note number"
    rows = [
        (number_label, doc.number or "\u2013 (draft)"),
        ("Issue date", format_long_date(doc.issue_date)),
    ]
    if doc.due_date:
        rows.append(("Due date", format_long_date(doc.due_date)))
    rows.append(("Billing period", f"{format_long_date(doc.period_start)} \u2013 {format_long_date(doc.period_end)}"))
    if doc.kind == DocumentKind.CREDIT_NOTE:
        credited = doc.credited_invoice_number
        if doc.credited_invoice_date:
            credited += f" of {format_long_date(doc.credited_invoice_date)}"
        rows.append(("Credits invoice", credited))
    rows.append(("Currency", doc.currency))
    rows.extend(doc.extra_meta)
    return rows


def first_page_header(pen: Pen, doc: InvoiceDocument) -> float:
    """Issuer (left), title and details (right), billed party (under the issuer); returns the y under them."""
    top = PAGE_HEIGHT - MARGIN_TOP
    left = _party(pen, top, "", doc.issuer.name, _address(doc.issuer.address_lines, doc.issuer.country),
                  doc.issuer.vat_id, META_X - MARGIN_X - 20, name_size=13)
    right_width = PAGE_WIDTH - MARGIN_X - META_X
    y = pen.paragraph(PAGE_WIDTH - MARGIN_X, top, doc.title, right_width, bold=True, size=18, right=True)
    y -= 6
    value_width = PAGE_WIDTH - MARGIN_X - META_VALUE_X
    for label, value in _meta(doc):
        label_y = pen.paragraph(META_X, y, label, META_VALUE_X - META_X - 4, size=8, grey=True)
        value_y = pen.paragraph(META_VALUE_X, y, value, value_width, size=8,
                                bold=label.endswith("number"))
        y = min(label_y, value_y) - 1
    billed_top = min(left, y) - 16
    billed = _party(pen, billed_top, "Billed to", doc.billed.name,
                    _address(doc.billed.address_lines, doc.billed.country), doc.billed.vat_id,
                    META_X - MARGIN_X - 20, name_size=10)
    return billed - 16


def next_page_header(pen: Pen, doc: InvoiceDocument) -> float:
    top = PAGE_HEIGHT - MARGIN_TOP
    reference = f"{doc.title} {doc.number}".strip()
    left = pen.paragraph(MARGIN_X, top, reference, CONTENT_WIDTH / 2, bold=True, size=9)
    right = pen.paragraph(PAGE_WIDTH - MARGIN_X, top, doc.billed.name, CONTENT_WIDTH / 2, size=8, grey=True,
                          right=True)
    y = min(left, right) - 4
    pen.rule(MARGIN_X, y, PAGE_WIDTH - MARGIN_X)
    return y - 10


def footer(pen: Pen, doc: InvoiceDocument, page: int, pages: int) -> None:
    y = MARGIN_BOTTOM - 18
    pen.rule(MARGIN_X, y + 10, PAGE_WIDTH - MARGIN_X)
    parts = [doc.issuer.name]
    if doc.issuer.vat_id:
        parts.append(f"VAT ID {doc.issuer.vat_id}")
    if doc.number:
        parts.append(f"{doc.title} {doc.number}")
    pen.paragraph(MARGIN_X, y + 7, " \u00b7 ".join(parts), CONTENT_WIDTH - 80, size=6.5, grey=True)
    pen.paragraph(PAGE_WIDTH - MARGIN_X, y + 7, f"Page {page} of {pages}", 80, size=6.5, right=True)


def _cell(pen: Pen, x: float, top: float, width: float, cell: Sequence[Text], *, right: bool) -> None:
    y = top - CELL_PAD_Y
    for text in cell:
        y -= text.leading
        if right:
            pen.text(x + width - CELL_PAD_X, y + text.size * 0.25, text, right=True)
        else:
            pen.text(x + CELL_PAD_X, y + text.size * 0.25, text)


def draw_row(pen: Pen, row: Row, cols: Sequence[Column], top: float) -> float:
    """Draws `row` from `top` down; returns the y under it."""
    bottom = top - row.height
    if row.kind is RowKind.HEADER:
        pen.fill(MARGIN_X, bottom, CONTENT_WIDTH, row.height, HEADER_FILL)
    elif row.kind is RowKind.GROUP:
        pen.fill(MARGIN_X, bottom, CONTENT_WIDTH, row.height, GROUP_FILL)
    if row.kind is RowKind.GROUP:
        _cell(pen, MARGIN_X, top, CONTENT_WIDTH, row.cells[0], right=False)
    elif row.kind is RowKind.SUBTOTAL:
        label_width = CONTENT_WIDTH - cols[-1].width
        _cell(pen, MARGIN_X, top, label_width, row.cells[0], right=True)
        _cell(pen, MARGIN_X + label_width, top, cols[-1].width, row.cells[1], right=True)
    else:
        x = MARGIN_X
        for col, cell in zip(cols, row.cells, strict=True):
            _cell(pen, x, top, col.width, cell, right=col.right)
            x += col.width
    if row.kind in (RowKind.LINE, RowKind.SUBTOTAL):
        pen.rule(MARGIN_X, bottom, PAGE_WIDTH - MARGIN_X)
    return bottom


def _tax_summary(pen: Pen, doc: InvoiceDocument, top: float) -> float:
    widths = (112.0, 40.0, 72.0, 66.0)
    titles = ("Tax", "Rate", f"Base ({doc.currency})", f"Tax ({doc.currency})")
    y = pen.paragraph(MARGIN_X, top, "Tax summary", sum(widths), bold=True, size=8)
    rows: list[tuple[str, ...]] = [titles]
    rows.extend(
        (row.name or "Tax", format_rate(row.rate), format_money(row.base, doc.currency),
         format_money(row.tax, doc.currency))
        for row in doc.tax_summary
    )
    for index, values in enumerate(rows):
        x = MARGIN_X
        bottom = y
        for column, (width, value) in enumerate(zip(widths, values, strict=True)):
            right = column > 0
            cell_x = x + width if right else x
            cell_bottom = pen.paragraph(cell_x, y - 2, value, width - 4, size=7.5, bold=index == 0, right=right)
            bottom = min(bottom, cell_bottom)
            x += width
        y = bottom - 2
        pen.rule(MARGIN_X, y, MARGIN_X + sum(widths))
    return y


def _totals(pen: Pen, doc: InvoiceDocument, top: float) -> float:
    width = PAGE_WIDTH - MARGIN_X - TOTALS_X
    right = PAGE_WIDTH - MARGIN_X
    total_label = "Total" if doc.kind == DocumentKind.INVOICE else "Total credited"
    y = top - 10  # level with the first row of the tax summary
    for label, amount in (("Subtotal", doc.totals.subtotal), ("Tax", doc.totals.tax)):
        pen.paragraph(TOTALS_X, y, label, width / 2, size=8.5)
        y = pen.paragraph(right, y, format_money(amount, doc.currency), width / 2, size=8.5, right=True) - 2
    pen.rule(TOTALS_X, y, right, grey=0.0, width=0.8)
    y -= 3
    pen.paragraph(TOTALS_X, y, total_label, width * 0.45, bold=True, size=11)
    y = pen.paragraph(right, y, f"{doc.currency} {format_money(doc.totals.total, doc.currency)}", width * 0.55,
                      bold=True, size=11, right=True)
    return y - 2


def _notes(doc: InvoiceDocument) -> list[str]:
    notes = []
    if doc.kind == DocumentKind.CREDIT_NOTE:
        reference = f"This credit note corrects invoice {doc.credited_invoice_number}"
        if doc.credited_invoice_date:
            reference += f" of {format_long_date(doc.credited_invoice_date)}"
        notes.append(f"{reference}.")
        if doc.reason:
            notes.append(f"Reason: {doc.reason}")
    notes.extend(note for note in doc.notes if note.strip())
    if doc.is_draft:
        notes.append("Draft: not a valid tax document until it is finalised and numbered.")
    return notes


def closing(pen: Pen, doc: InvoiceDocument, top: float) -> float:
    """Tax summary (left), totals (right), then the notes; returns the y under them."""
    top -= 12
    y = min(_tax_summary(pen, doc, top), _totals(pen, doc, top))
    for note in _notes(doc):
        y = pen.paragraph(MARGIN_X, y - 6, note, CONTENT_WIDTH, size=8)
    return y


def render_pdf(doc: InvoiceDocument, *, fonts: FontSet | None = None) -> bytes:
    """The PDF of `doc`. `fonts`: DejaVu from the system when installed, else the built-in fonts."""
    fonts = fonts or default_fonts()
    measure = Pen(None, fonts)
    cols = columns(doc.currency)
    titles = header_row(cols, fonts)
    body_top_first = first_page_header(measure, doc) - titles.height
    body_top_next = next_page_header(measure, doc) - titles.height
    pages = paginate(
        body_rows(doc, cols, fonts),
        first_room=body_top_first - MARGIN_BOTTOM,
        next_room=body_top_next - MARGIN_BOTTOM,
        closing_height=body_top_next - closing(measure, doc, body_top_next),
        continued=lambda name: group_row(name, fonts, continued=True),
    )
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, pageCompression=1, lang="en")
    canvas.setTitle(f"{doc.title} {doc.number}".strip())
    canvas.setAuthor(doc.issuer.name)
    canvas.setSubject(f"{doc.title} for {doc.billed.name}")
    canvas.setCreator("cspbss")
    for number, page in enumerate(pages, start=1):
        pen = Pen(canvas, fonts)
        _draw_page(pen, doc, page, cols, titles, number, len(pages))
        pen.finish()
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_page(pen: Pen, doc: InvoiceDocument, page: Page, cols: Sequence[Column], titles: Row, number: int,
               pages: int) -> None:
    y = first_page_header(pen, doc) if number == 1 else next_page_header(pen, doc)
    if page.rows or number == 1:
        y = draw_row(pen, titles, cols, y)
    for row in page.rows:
        y = draw_row(pen, row, cols, y)
    if page.closing:
        closing(pen, doc, y)
    footer(pen, doc, number, pages)
