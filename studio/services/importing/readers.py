"""Streaming readers for JSON arrays, JSONL and CSV/TSV.

Each reader yields `(row, line, record)` one record at a time: `row` is the 1-based record number a
person would count (JSONL: the line), `line` the physical line where the record starts, `record` a dict.
Nothing reads the whole file: bytes come in CHUNK-sized reads, and a JSON array is cut into elements by
`json.JSONDecoder.raw_decode` over a sliding buffer.
"""
import codecs
import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ImportFailed
from .limits import check_record, max_field_bytes, max_row_bytes, parse_int, too_big

CHUNK = 64 * 1024
FORMATS = ("json", "jsonl", "csv", "tsv")
EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv"}
# A decoded value this close to the end of the buffer may be cut short (a number, a truncated escape):
# read more before trusting it.
LOOKAHEAD = 64
_WS = re.compile(r"[ \t\n\r]*")

# The json module raises RecursionError on brackets nested about 1,000 deep; limits.check_record refuses
# anything nested deeper than limits.MAX_DEPTH.
DEEP_JSON = "invalid JSON: nested too deeply"

Record = tuple[int, int, dict]


class ByteSource:
    """A binary stream read in chunks; the first chunk is kept so the format can be sniffed from it."""

    def __init__(self, stream, chunk_size: int = CHUNK):
        self.stream = stream
        self.chunk_size = chunk_size
        self.head = stream.read(chunk_size) or b""
        self.bytes_read = len(self.head)

    def chunks(self) -> Iterator[bytes]:
        if self.head:
            yield self.head
        while True:
            chunk = self.stream.read(self.chunk_size)
            if not chunk:
                return
            self.bytes_read += len(chunk)
            yield chunk

    def lines(self) -> Iterator[bytes]:
        """Physical lines, each with its b"\\n" (linear even for a line spanning many chunks). A line longer
        than IMPORT_MAX_ROW_BYTES is refused (naming its line) before it is held whole."""
        limit = max_row_bytes()
        pending: list[bytes] = []
        size = 0
        lineno = 1
        for chunk in self.chunks():
            start = 0
            while (i := chunk.find(b"\n", start)) >= 0:
                pending.append(chunk[start : i + 1])
                if size + i + 1 - start > limit:
                    raise ImportFailed(too_big("the line", limit, "IMPORT_MAX_ROW_BYTES"), line=lineno)
                yield b"".join(pending)
                pending, size = [], 0
                lineno += 1
                start = i + 1
            if start < len(chunk):
                pending.append(chunk[start:])
                size += len(chunk) - start
                if size > limit:
                    raise ImportFailed(too_big("the line", limit, "IMPORT_MAX_ROW_BYTES"), line=lineno)
        if pending:
            yield b"".join(pending)

    def text_chunks(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        offset = 0
        for chunk in self.chunks():
            try:
                yield decoder.decode(chunk)
            except UnicodeDecodeError as e:
                raise ImportFailed(f"not valid UTF-8 text (byte {offset + e.start + 1} of the file)") from None
            offset += len(chunk)
        try:
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFailed("not valid UTF-8 text (the file ends inside a character)") from None


@contextmanager
def open_source(source, chunk_size: int = CHUNK):
    """A ByteSource over a path or an open binary file (e.g. a Django upload), and the file's name."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImportFailed(f"no such file: {path}")
        with path.open("rb") as stream:
            yield ByteSource(stream, chunk_size), path.name
        return
    if hasattr(source, "seek") and getattr(source, "seekable", lambda: True)():
        source.seek(0)
    yield ByteSource(source, chunk_size), str(getattr(source, "name", "") or "")


def detect_format(name: str, head: bytes) -> str:
    """By extension; sniffed from the first character when the extension says nothing (or says .json for JSONL)."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    fmt = EXTENSIONS.get(Path(name).suffix.lower())
    if fmt == "json" and first == b"{":
        return "jsonl"  # a .json file holding one object per line
    if fmt:
        return fmt
    if first == b"[":
        return "json"
    if first == b"{":
        return "jsonl"
    return "csv"


def read_records(src: ByteSource, fmt: str) -> Iterator[Record]:
    if fmt == "json":
        return iter_json_array(src.text_chunks())
    if fmt == "jsonl":
        return iter_jsonl(src.lines())
    if fmt in ("csv", "tsv"):
        return iter_csv(src.lines(), delimiter="\t" if fmt == "tsv" else ",")
    raise ImportFailed(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}", field="format")


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def iter_jsonl(lines: Iterator[bytes]) -> Iterator[Record]:
    try:
        yield from _jsonl_records(lines)
    except ImportFailed as e:  # a line refused by ByteSource.lines: in JSONL the row is the line
        if e.row is None and e.line is not None:
            e.row = e.line
        raise


def _jsonl_records(lines: Iterator[bytes]) -> Iterator[Record]:
    for lineno, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ImportFailed(f"not valid UTF-8 text (byte {e.start + 1} of the line)", row=lineno) from None
        if lineno == 1:
            text = text.lstrip("\ufeff")
        if not text.strip():
            continue
        try:
            record = json.loads(text, parse_int=parse_int)
        except json.JSONDecodeError as e:
            raise ImportFailed(f"invalid JSON: {e.msg} (column {e.colno})", row=lineno) from None
        except RecursionError:
            raise ImportFailed(DEEP_JSON, row=lineno) from None
        if not isinstance(record, dict):
            raise ImportFailed(f"expected a JSON object, got {_type_name(record)}", row=lineno)
        check_record(record, row=lineno)
        yield lineno, lineno, record



def iter_csv(lines: Iterator[bytes], delimiter: str = ",") -> Iterator[Record]:
    def text_lines():
        for lineno, raw in enumerate(lines, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ImportFailed(f"not valid UTF-8 text (byte {e.start + 1} of the line)", line=lineno) from None
            yield text.lstrip("\ufeff") if lineno == 1 else text

    # csv's limit counts characters; a value within the byte limit never has more characters than bytes.
    limit = max_field_bytes()
    csv.field_size_limit(limit)
    reader = csv.reader(text_lines(), delimiter=delimiter)
    row = last_line = 0
    try:
        header = next(reader, None)
        if not header:
            raise ImportFailed("the file is empty: expected a header line naming the columns", line=1)
        header = [h.strip() for h in header]
        seen = set()
        for h in header:
            if not h:
                raise ImportFailed("the header has an empty column name", line=1)
            if h in seen:
                raise ImportFailed(f"the header names column {h!r} twice", line=1)
            seen.add(h)
        last_line = reader.line_num
        for cells in reader:
            start_line, last_line = last_line + 1, reader.line_num
            if not cells:  # a blank line
                continue
            row += 1
            if len(cells) != len(header):
                raise ImportFailed(
                    f"expected {len(header)} columns ({', '.join(header)}), got {len(cells)}", row=row, line=start_line
                )
            record = dict(zip(header, cells))
            check_record(record, row=row, line=start_line)
            yield row, start_line, record
    except csv.Error as e:
        if "field limit" in str(e):
            message = too_big("a value", limit, "IMPORT_MAX_FIELD_BYTES")
            if not last_line:
                raise ImportFailed(f"the header: {message}", line=1) from None
            raise ImportFailed(message, row=row + 1, line=last_line + 1) from None
        raise ImportFailed(f"invalid CSV: {e}", row=row + 1, line=reader.line_num) from None
    except ImportFailed as e:
        if e.row is None and e.line is not None and e.line > 1:
            e.row = row + 1
        raise


class _JsonArrayParser:
    """Cuts a top-level JSON array into its elements without holding more than a chunk plus one element."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.decoder = json.JSONDecoder(parse_int=parse_int)
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.mark = 0  # self.line is the line number at self.buf[self.mark]
        self.line = 1
        self.row = 0

    def line_at(self, p: int) -> int:
        if p >= self.mark:
            self.line += self.buf.count("\n", self.mark, p)
            self.mark = p
            return self.line
        return self.line - self.buf.count("\n", p, self.mark)

    def more(self, at_least: int = 1) -> bool:
        """Append chunks until `at_least` more characters are buffered (or EOF); drop what is consumed."""
        if self.eof:
            return False
        self.line_at(self.pos)
        self.buf, self.mark = self.buf[self.pos :], 0
        self.pos = 0
        target = len(self.buf) + at_least
        parts = [self.buf]
        size = len(self.buf)
        try:
            while size < target:
                chunk = next(self.chunks, None)
                if chunk is None:
                    self.eof = True
                    break
                parts.append(chunk)
                size += len(chunk)
        except ImportFailed as e:
            e.row = e.row or max(self.row, 1)
            raise
        self.buf = "".join(parts)
        return True

    def peek(self) -> str:
        """The next non-whitespace character ("" at the end of the file); pos is left on it."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def fail(self, message: str, p: int | None = None, row: int | None = None) -> ImportFailed:
        return ImportFailed(message, row=row, line=self.line_at(self.pos if p is None else max(p, self.pos)))

    def value(self):
        limit = max_row_bytes()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise ImportFailed(DEEP_JSON, row=self.row, line=self.line_at(self.pos)) from None
            except json.JSONDecodeError as e:
                cut_short = e.msg.startswith("Unterminated string") or e.pos >= len(self.buf) - LOOKAHEAD
                if cut_short and len(self.buf) - self.pos > limit:  # characters: at most as many as bytes
                    raise ImportFailed(too_big("the row", limit, "IMPORT_MAX_ROW_BYTES"), row=self.row,
                                       line=self.line_at(self.pos)) from None
                if cut_short and self.more(max(CHUNK, len(self.buf) - self.pos)):
                    continue
                line = self.line_at(max(e.pos, self.pos))
                raise ImportFailed(f"invalid JSON: {e.msg} (line {line})", row=self.row, line=line) from None
            if end + LOOKAHEAD > len(self.buf) and not self.eof:
                self.more(LOOKAHEAD)
                continue
            if end - self.pos > limit:
                raise ImportFailed(too_big("the row", limit, "IMPORT_MAX_ROW_BYTES"), row=self.row,
                                   line=self.line_at(self.pos))
            self.pos = end
            return obj

    def __iter__(self) -> Iterator[Record]:
        if self.peek() != "[":
            raise self.fail("expected a JSON array of objects: the file must start with '['", row=None)
        self.pos += 1
        if self.peek() == "]":
            self.pos += 1
        else:
            while True:
                self.row += 1
                line = self.line_at(self.pos)
                record = self.value()
                if not isinstance(record, dict):
                    raise ImportFailed(f"expected a JSON object, got {_type_name(record)}", row=self.row, line=line)
                check_record(record, row=self.row, line=line)
                yield self.row, line, record
                c = self.peek()
                if c == ",":
                    self.pos += 1
                    if self.peek() in ("]", ""):
                        raise self.fail("invalid JSON: a ',' with no row after it", row=self.row + 1)
                    continue
                if c == "]":
                    self.pos += 1
                    break
                if c == "":
                    raise self.fail("invalid JSON: the file ends before the array's closing ']'", row=self.row + 1)
                raise self.fail(
                    f"invalid JSON: expected ',' or ']' after row {self.row}, got {c!r}",
                    row=self.row + 1 if c in "{[\"" else self.row,
                )
        if self.peek() != "":
            raise self.fail("invalid JSON: unexpected content after the array's closing ']'")


def iter_json_array(chunks: Iterator[str]) -> Iterator[Record]:
    return iter(_JsonArrayParser(iter(chunks)))
