"""The fonts of a document: DejaVu Sans from the system when it is installed, else PDF's built-in Helvetica.

DejaVu (Debian's fonts-dejavu-core, at /usr/share/fonts/truetype/dejavu/) covers Latin, Greek and Cyrillic, so
customer names such as "Łódź Sp. z o.o." print as written; ReportLab embeds the subset of glyphs a document
uses. Without it (a slim container image), the 14 standard PDF fonts need no file and no embedding, but only
know Windows-1252: other letters are written without their accents ("Ł" as "L"), and what has no such form as
"?", instead of the black boxes a viewer would show. Either way, no network and nothing to download.

Fonts are registered once per process (ReportLab keeps a process-wide registry).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_DEJAVU_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
# Letters that NFKD does not take apart into a base letter and an accent.
_LATIN_FALLBACK = str.maketrans({
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "\u0131": "i", "Ŀ": "L", "ŀ": "l", "Ŋ": "N",
    "ŋ": "n", "Ŧ": "T", "ŧ": "t", "ĸ": "k", "\u2011": "-", "\u2212": "-", "\u2009": " ", "\u202f": " ",
})


@dataclass(frozen=True, slots=True)
class FontSet:
    """Two faces (regular, bold) by their ReportLab names, and how to make a text printable in them."""

    regular: str
    bold: str
    embedded: bool
    printable: Callable[[str], str]

    def text(self, value: str) -> str:
        """`value` with what the fonts cannot draw replaced (plain ASCII, by far the usual case, as is)."""
        return value if value.isascii() else self.printable(value)


@functools.lru_cache(maxsize=4096)
def _to_cp1252(value: str) -> str:
    out = []
    for char in value.translate(_LATIN_FALLBACK):
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            try:
                base.encode("cp1252")
            except UnicodeEncodeError:
                base = ""
            out.append(base or "?")
        else:
            out.append(char)
    return "".join(out)


BUILTIN = FontSet(regular="Helvetica", bold="Helvetica-Bold", embedded=False, printable=_to_cp1252)


def _covered_by(font: TTFont) -> Callable[[str], str]:
    glyphs = font.face.charToGlyph

    @functools.lru_cache(maxsize=4096)
    def printable(value: str) -> str:
        return "".join(c if ord(c) in glyphs or c in "\n\t" else "?" for c in value)

    return printable


@functools.cache
def dejavu(directory: Path = DEJAVU_DIR) -> FontSet | None:
    """DejaVu Sans from `directory`, registered with ReportLab; None when its files are not there."""
    paths = {face: directory / name for face, name in _DEJAVU_FILES.items()}
    if not all(path.is_file() for path in paths.values()):
        return None
    names = {face: f"DejaVuSans{'-Bold' if face == 'bold' else ''}" for face in paths}
    registered = set(pdfmetrics.getRegisteredFontNames())
    for face, path in paths.items():
        if names[face] not in registered:
            pdfmetrics.registerFont(TTFont(names[face], str(path)))
    regular = pdfmetrics.getFont(names["regular"])
    assert isinstance(regular, TTFont)
    return FontSet(regular=names["regular"], bold=names["bold"], embedded=True, printable=_covered_by(regular))


def default_fonts() -> FontSet:
    """DejaVu when the system has it, else the built-in fonts."""
    return dejavu() or BUILTIN
