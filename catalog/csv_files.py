"""CSV as spreadsheets save it: UTF-8 with or without BOM, or Windows-1251 (Excel's "CSV (розділювач — крапка з
комою)" on a Ukrainian Windows), cells separated by `,` or `;`.

The encoding is found by charset-normalizer, limited to the two this shop's files come in: a file that reads as
neither is refused at the line of its first byte that is not UTF-8. The delimiter is found by `csv.Sniffer` on the
header row (whose cells are plain column names).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from charset_normalizer import from_bytes

from catalog.products import COLUMNS
from catalog.rows import CatalogFile, FileRejected, Row, RowError, check_columns, product_cells
from catalog.texts import Rejected, Text
from models.products import Product

_ENCODINGS = {"utf_8": "UTF-8", "cp1251": "Windows-1251"}
_DELIMITERS = ",;"


def decode(data: bytes) -> tuple[str, str]:
    """(text, the encoding's name as people know it); FileRejected when it is neither UTF-8 nor Windows-1251."""
    try:  # valid UTF-8 is UTF-8: a fact, no guess needed (and pure ASCII reads the same either way)
        return data.decode("utf-8-sig"), "UTF-8 з BOM" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError as exc:
        position = exc.start
    best = from_bytes(data, cp_isolation=list(_ENCODINGS)).best()
    if best is None or best.encoding not in _ENCODINGS:
        line = data.count(b"\n", 0, position) + 1
        raise FileRejected([RowError(line, Rejected(Text.FILE_NOT_TEXT, position=position))])
    return str(best), _ENCODINGS[best.encoding]


def read_csv(data: bytes) -> CatalogFile:
    """Rows numbered by the file's lines (a multi-line cell counts its lines); FileRejected for an unknown encoding
    or a bad header."""
    text, encoding = decode(data)
    header = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=_DELIMITERS).delimiter
    except csv.Error:  # one column only: the missing ones are reported below
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [c.strip().lower() for c in next(reader, [])]
    check_columns(columns, 1)
    rows, line = [], reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            rows.append(Row(line, dict(zip(columns, cells, strict=False))))
        line = reader.line_num + 1
    return CatalogFile(rows, Text.IMPORT_READ_CSV, {"encoding": encoding, "delimiter": delimiter})


def write_csv(path: Path, products: Iterable[Product]) -> int:
    """UTF-8 with `,` in the import format; returns the number of products written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        count = 0
        for product in products:
            writer.writerow(product_cells(product))
            count += 1
    return count
