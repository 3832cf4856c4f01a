"""Uploaded price lists in the encodings people save them in, stored as the UTF-8 the readers take (framework-free).

Microsoft's download is UTF-8; a sheet opened and saved again in Excel is often Windows-1252 ("CSV") or UTF-16
("Unicode text"). ``detect_encoding`` tells which, ``store_as_utf8`` writes the file the importer reads.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import IO

from catalog.pricesheet.format import SheetFormatError

#: What the user is told an uploaded price list was read in.
ENCODING_LABELS: dict[str, str] = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252", "latin-1": "Latin-1",
}
_NOT_TEXT = ("The file is not a CSV text file (it holds binary data: an Excel workbook, or UTF-16 text without a "
             "byte-order mark?). Open it in Excel and save it as \"CSV UTF-8\", then upload that.")


def detect_encoding(stream: IO[bytes], *, chunk_size: int = 1024 * 1024) -> str:
    """The encoding of a price list as people save it: UTF-8 with or without a BOM, UTF-16 by its BOM, otherwise
    Windows-1252 (what Excel writes as "CSV" on Western systems; Latin-1 if it uses the five bytes Windows-1252
    leaves undefined). Reads the stream through (UTF-8 is only certain at the end) and rewinds it.

    Raises ``SheetFormatError`` for what is not text (a ZIP or an Excel workbook, NUL bytes).
    """
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise SheetFormatError("The file is a ZIP archive (an .xlsx workbook, or Microsoft's zipped download): "
                               "upload the .csv file itself.")
    if _decodes(stream, "utf-8", chunk_size):
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    return "cp1252" if _decodes(stream, "cp1252", chunk_size) else "latin-1"


def _decodes(stream: IO[bytes], encoding: str, chunk_size: int) -> bool:
    """Whether the whole stream decodes in ``encoding`` (rewound after); NUL bytes mean it is not text at all."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in iter(lambda: stream.read(chunk_size), b""):
            if b"\x00" in chunk:
                raise SheetFormatError(_NOT_TEXT)
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)
    return True


def store_as_utf8(upload: IO[bytes], path: str | Path, encoding: str, *, chunk_size: int = 1024 * 1024) -> None:
    """Write ``upload`` (read in ``encoding``, see ``detect_encoding``) to ``path`` as UTF-8."""
    with open(path, "wb") as out:
        if encoding in ("utf-8", "utf-8-sig"):
            for chunk in iter(lambda: upload.read(chunk_size), b""):
                out.write(chunk)
            return
        decoder = codecs.getincrementaldecoder(encoding)()
        for chunk in iter(lambda: upload.read(chunk_size), b""):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
