"""Invoices and credit notes as PDF: what a customer reads in the file (its text, extracted as a PDF reader
would), with DejaVu from the system and with the built-in fonts."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.documents.document import DocumentKind, DocumentLine, InvoiceDocument, Party, TaxRow, Totals
from billing.documents.fonts import BUILTIN, FontSet, dejavu
from billing.documents.pdf import render_pdf
from billing.documents.samples import REVERSE_CHARGE, specimen, subscription_id

DASH = "\u2013"  # en dash, between the two ends of a period
SUBSCRIPTION_ID = re.compile(r"6b1f0e2a-3c4d-4e5f-8a9b-\d{12}")


def _font_sets() -> list[object]:
    system = dejavu()
    return [
        pytest.param(BUILTIN, id="builtin"),
        pytest.param(system, id="dejavu", marks=pytest.mark.skipif(system is None, reason="DejaVu not installed")),
    ]


@pytest.fixture(params=_font_sets())
def fonts(request: pytest.FixtureRequest) -> FontSet:
    return request.param


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """The text with its line breaks as spaces (a wrapped cell reads as one phrase)."""
    return " ".join(text.split())


def domestic_invoice() -> InvoiceDocument:
    """A French issuer's invoice to a French customer: 20 % VAT on one line, 5.5 % on another."""
    lines = [
        DocumentLine(description="Microsoft 365 Business Premium", customer_name="Bistro Lumière SARL",
                     pc_subscription_id="a0c5e2f4-1111-4b6e-9d2a-5f0e8c7b6a21", charge_type="Cycle fee",
                     charge_start=date(2026, 11, 1), charge_end=date(2026, 11, 30), quantity=12,
                     unit_price=Decimal("20.60"), amount=Decimal("247.20"), tax_rate=Decimal("20.000")),
        DocumentLine(description="Exchange Online (Plan 1)", customer_name="Bistro Lumière SARL",
                     pc_subscription_id="b7d1f3a9-2222-4c8e-8e1b-1a2b3c4d5e6f",
                     charge_type="Prorate fees when purchase",
                     charge_start=date(2026, 11, 16), charge_end=date(2026, 11, 30), quantity=3,
                     unit_price=Decimal("1.875"), amount=Decimal("5.63"), tax_rate=Decimal("5.5")),
    ]
    return InvoiceDocument(
        kind=DocumentKind.INVOICE, number="INV-2026-001234", issue_date=date(2026, 12, 1),
        period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        issuer=Party("Contoso Cloud Services SAS", ("12 rue de la Paix", "75002 Paris"), "FR", "FR40303265045"),
        billed=Party("Bistro Lumière SARL", ("3 place Bellecour", "69002 Lyon"), "FR", "FR83404833048"),
        currency="EUR", lines=lines,
        tax_summary=[TaxRow(Decimal("5.5"), Decimal("5.63"), Decimal("0.31"), "VAT"),
                     TaxRow(Decimal("20.000"), Decimal("247.20"), Decimal("49.44"), "VAT")],
        totals=Totals(subtotal=Decimal("252.83"), tax=Decimal("49.75"), total=Decimal("302.58")),
        due_date=date(2026, 12, 31),
    )


def test_invoice_shows_both_parties_each_line_the_tax_per_rate_and_the_total(fonts: FontSet) -> None:
    (text,) = pages_text(render_pdf(domestic_invoice(), fonts=fonts))
    words = flat(text)

    assert "Invoice" in words and "INV-2026-001234" in words
    assert "VAT ID FR40303265045" in words  # the issuer's
    assert "VAT ID FR83404833048" in words  # the customer's
    assert "Issue date 1 December 2026" in words
    assert f"Billing period 1 November 2026 {DASH} 30 November 2026" in words
    assert "Due date 31 December 2026" in words
    assert "a0c5e2f4-1111-4b6e-9d2a-5f0e8c7b6a21" in words
    assert "b7d1f3a9-2222-4c8e-8e1b-1a2b3c4d5e6f" in words
    assert f"2026-11-16 {DASH} 2026-11-30" in words  # the prorated line's charge period
    assert "12 20.60 20 % 247.20" in words  # quantity, unit price, rate, amount
    assert "3 1.875 5.5 % 5.63" in words  # a unit price keeps its third decimal
    assert "VAT 5.5 % 5.63 0.31" in words and "VAT 20 % 247.20 49.44" in words
    assert "Subtotal 252.83" in words and "Tax 49.75" in words
    assert "Total EUR 302.58" in words
    assert "Page 1 of 1" in words
    assert "Reverse charge" not in words  # a domestic sale has no reverse-charge mention


def test_eu_business_invoice_carries_the_reverse_charge_mention(fonts: FontSet) -> None:
    (text,) = pages_text(render_pdf(specimen(6), fonts=fonts))
    words = flat(text)

    assert REVERSE_CHARGE in words
    assert "Reverse charge 0 %" in words  # its row in the tax summary
    assert "VAT ID DE136695976" in words


def test_credit_note_names_the_invoice_it_corrects_and_why(fonts: FontSet) -> None:
    note = specimen(3, kind=DocumentKind.CREDIT_NOTE, number="INV-2026-000042")
    (text,) = pages_text(render_pdf(note, fonts=fonts))
    words = flat(text)

    assert "Credit note" in words and "CN-2026-000007" in words
    assert "Credits invoice INV-2026-000042 of 1 December 2026" in words
    assert "This credit note corrects invoice INV-2026-000042 of 1 December 2026." in words
    assert "Reason: Seats removed inside the cancellation window" in words
    assert f"Total credited EUR {note.totals.total:,.2f}" in words


def test_a_credit_note_without_its_invoice_is_refused() -> None:
    with pytest.raises(ValueError, match="credited_invoice_number"):
        replace(specimen(1), kind=DocumentKind.CREDIT_NOTE)


@pytest.fixture(scope="module")
def long_invoice() -> tuple[InvoiceDocument, list[str]]:
    doc = specimen(2000)
    return doc, pages_text(render_pdf(doc))


def test_a_2000_line_invoice_prints_every_line_over_numbered_pages(
    long_invoice: tuple[InvoiceDocument, list[str]],
) -> None:
    doc, pages = long_invoice
    count = len(pages)

    printed = [match for page in pages for match in SUBSCRIPTION_ID.findall(page)]
    assert len(printed) == 2000
    assert set(printed) == {subscription_id(index) for index in range(2000)}
    assert count > 40
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
        assert "Description / subscription" in page  # the column titles on every page
    total = f"Total EUR {doc.totals.total:,.2f}"
    assert total in flat(pages[-1]) and REVERSE_CHARGE in flat(pages[-1])
    assert not any(total in flat(page) for page in pages[:-1])


def test_a_customer_continued_over_a_page_break_is_named_again(
    long_invoice: tuple[InvoiceDocument, list[str]],
) -> None:
    _, pages = long_invoice

    assert "Northwind Traders Ltd (continued)" in pages[1]
    # each customer's group closes with its subtotal, on whatever page it ends
    assert sum(page.count("Subtotal ") for page in pages) == 3 + 1  # three customers, and the invoice's subtotal


def test_yen_amounts_have_no_decimals() -> None:
    doc = specimen(4, currency="JPY", rate=Decimal(10))
    (text,) = pages_text(render_pdf(doc))
    words = flat(text)

    assert f"Total JPY {doc.totals.total:,.0f}" in words
    assert "Amount (JPY)" in words
    assert not re.search(r"\d\.\d\d\b", words.replace("2026-", ""))  # no "1,234.00" anywhere


def test_letters_outside_the_builtin_fonts_are_written_plainly_not_as_boxes() -> None:
    doc = replace(specimen(3), billed=Party("Łódź Software Sp. z o.o.", ("ul. Piotrkowska 1",), "PL", "PL5260250995"))
    (builtin,) = pages_text(render_pdf(doc, fonts=BUILTIN))

    assert "Lódz Software Sp. z o.o." in builtin  # ó is in Windows-1252, Ł and ź are not
    assert "\u25a0" not in builtin
    system = dejavu()
    if system is not None:
        (embedded,) = pages_text(render_pdf(doc, fonts=system))
        assert "Łódź Software Sp. z o.o." in embedded


def test_a_draft_says_so_and_the_same_document_gives_the_same_bytes() -> None:
    draft = replace(domestic_invoice(), number="")
    pdf = render_pdf(draft)
    (text,) = pages_text(pdf)

    assert "Draft invoice" in text
    assert "not a valid tax document" in flat(text)
    assert render_pdf(draft) == pdf


def test_an_invoice_without_lines_still_prints_its_totals() -> None:
    doc = replace(specimen(0), tax_summary=[], totals=Totals(Decimal(0), Decimal(0), Decimal(0)))
    (text,) = pages_text(render_pdf(doc))

    assert "Total EUR 0.00" in flat(text) and "Page 1 of 1" in text


def test_a_runaway_description_is_cut_and_a_huge_amount_printed_whole() -> None:
    base = specimen(1)
    line = replace(base.lines[0], description="Azure plan consumption " * 200, amount=Decimal("123456789012.34"))
    doc = replace(base, lines=[line])
    (text,) = pages_text(render_pdf(doc))

    assert "123,456,789,012.34" in text
    assert "\u2026" in text  # the description ends with an ellipsis after a few lines
    assert flat(text).count("Azure plan consumption") < 40
    assert subscription_id(0) in text
