"""How the lines of an invoice are cut into pages: a customer's name never ends a page, a customer continued on the
next page is named again, the totals are never split over two pages, and no line is lost or printed twice."""

from __future__ import annotations

from billing.documents.layout import Page, Row, RowKind, paginate

ROOM = 100.0


def group(name: str) -> Row:
    return Row(RowKind.GROUP, ((),), 10.0, group=name)


def line(name: str, height: float = 20.0) -> Row:
    return Row(RowKind.LINE, ((),), height, group=name)


def continued(name: str) -> Row:
    return Row(RowKind.GROUP, ((),), 10.0, group=f"{name} (continued)")


def cut(rows: list[Row], closing: float = 30.0, first_room: float = ROOM) -> list[Page]:
    return paginate(rows, first_room=first_room, next_room=ROOM, closing_height=closing, continued=continued)


def real_rows(pages: list[Page]) -> list[Row]:
    return [row for page in pages for row in page.rows if not row.group.endswith("(continued)")]


def test_every_row_is_printed_once_in_order_and_no_page_overflows() -> None:
    rows = [group("A"), *[line("A") for _ in range(7)], group("B"), *[line("B") for _ in range(6)]]
    pages = cut(rows)

    assert real_rows(pages) == rows
    assert all(sum(row.height for row in page.rows) <= ROOM for page in pages)
    assert [page.closing for page in pages] == [False] * (len(pages) - 1) + [True]


def test_a_customer_name_moves_to_the_next_page_with_its_first_line() -> None:
    rows = [line("A"), line("A"), line("A"), line("A"), group("B"), line("B")]  # 80 used: B and its line need 30
    pages = cut(rows)

    assert pages[0].rows == rows[:4]
    assert pages[1].rows[:2] == [rows[4], rows[5]]


def test_a_customer_over_a_page_break_is_named_again_on_the_next_page() -> None:
    rows = [group("A"), *[line("A") for _ in range(6)]]
    pages = cut(rows)

    assert pages[1].rows[0].group == "A (continued)"
    assert pages[1].rows[1] is rows[5]


def test_lines_without_a_customer_are_not_given_a_continued_name() -> None:
    pages = cut([line("") for _ in range(8)])

    assert len(pages) == 2
    assert all(row.kind is RowKind.LINE for page in pages for row in page.rows)


def test_the_totals_go_on_a_page_of_their_own_when_they_do_not_fit_under_the_last_line() -> None:
    fits = cut([line("") for _ in range(3)], closing=40.0)  # 60 + 40 = 100
    overflows = cut([line("") for _ in range(3)], closing=41.0)

    assert len(fits) == 1 and fits[0].closing
    assert len(overflows) == 2 and overflows[1].rows == [] and overflows[1].closing


def test_an_invoice_without_lines_is_one_page_with_its_totals() -> None:
    pages = cut([], closing=500.0)

    assert len(pages) == 1 and pages[0].closing
