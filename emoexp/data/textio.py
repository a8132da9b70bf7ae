"""Line-exact reading: every row a loader sees keeps the physical line it came from.

Files are decoded line by line only when the fast whole-file decode fails, so one bad
byte costs one recorded row instead of the whole corpus.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from emoexp.data.report import DataError, LoadReport


def read_lines(
    path: Path, report: LoadReport, encoding: str = "utf-8"
) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without line ending) for every line that decodes.

    Lazy, so under the 'raise' policy the first bad line in file order is the one reported.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file: {exc}", str(path)) from exc
    chunks = raw.split(b"\n")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return _decode_each(chunks, path, report, encoding)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return ((number, _strip_cr(line)) for number, line in enumerate(lines, start=1))


def _decode_each(
    chunks: list[bytes], path: Path, report: LoadReport, encoding: str
) -> Iterator[tuple[int, str]]:
    for number, chunk in enumerate(chunks, start=1):
        try:
            line = chunk.decode(encoding)
        except UnicodeDecodeError as exc:
            report.reject(str(path), number, "bad_encoding", f"not valid {encoding}: {exc}")
            continue
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        yield number, _strip_cr(line)


def _strip_cr(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line


def csv_records(
    lines: Iterable[tuple[int, str]], file: str, report: LoadReport, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """Parse decoded lines as CSV; yields (line where the record starts, fields).

    Quoted fields may span lines; the start line is what an editor would show. A record
    the csv module cannot parse goes through the bad-row policy and reading goes on.
    """
    numbers: list[int] = []

    def texts() -> Iterator[str]:
        for number, text in lines:
            numbers.append(number)
            yield text

    reader = csv.reader(texts(), delimiter=delimiter)
    consumed = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start = numbers[consumed] if consumed < len(numbers) else 0
            consumed = reader.line_num
            report.reject(file, start, "bad_csv", f"malformed CSV record: {exc}")
            continue
        start = numbers[consumed]
        consumed = reader.line_num
        if fields:
            yield start, fields


def line_count(path: Path) -> int:
    """Physical lines in a file, decodable or not (a final newline ends, not starts, one)."""
    raw = path.read_bytes()
    return raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
