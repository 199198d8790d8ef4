"""The streaming readers: JSON arrays cut into rows across chunk boundaries, JSONL and CSV row numbers,
and that nothing reads the whole file before handing out the first row."""
import io
import json

import pytest

from studio.services.importing import ImportFailed
from studio.services.importing.readers import ByteSource, detect_format, iter_json_array, read_records

from .helpers import CountingReader


def records(data: bytes, fmt: str, chunk_size: int = 7):
    return list(read_records(ByteSource(io.BytesIO(data), chunk_size), fmt))


TRICKY = [
    {"id": 1, "text": "plain"},
    {"id": 22, "text": "escapes \" \\ \n \u00e9 \U0001F600 and a long tail " + "x" * 300},
    {"id": 333333, "n": 1.5e10, "nested": {"a": [1, 2, {"b": None}]}, "t": True, "f": False},
    {"id": -4, "text": "ünïcödé ∀x", "label": 0},
    {"id": 5, "value": 1234567890123},
]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 65536])
@pytest.mark.parametrize("indent, ascii", [(None, False), (2, False), (None, True)])
def test_json_array_rows_survive_any_chunk_boundary(chunk_size, indent, ascii):
    data = json.dumps(TRICKY, indent=indent, ensure_ascii=ascii).encode("utf-8")
    got = records(data, "json", chunk_size)
    assert [r for _, _, r in got] == TRICKY
    assert [row for row, _, _ in got] == [1, 2, 3, 4, 5]
    if indent:  # each row's line is where its object starts in the file
        lines = data.decode().split("\n")
        for row, line, record in got:
            assert lines[line - 1].strip() == "{"


def test_json_array_empty_and_bom():
    assert records(b"\xef\xbb\xbf  [ ]  ", "json") == []
    assert [r for _, _, r in records(b'\xef\xbb\xbf[{"a": 1}]', "json")] == [{"a": 1}]


@pytest.mark.parametrize(
    "data, row, message",
    [
        (b'[{"a": 1}, {"a": 2}, {"a": tru}]', 3, "invalid JSON"),
        (b'[{"a": 1}, {"a": 2} {"a": 3}]', 3, "expected ',' or ']' after row 2"),
        (b'[{"a": 1}, {"a": 2},]', 3, "a ',' with no row after it"),
        (b'[{"a": 1}, {"a": 2}', 3, "ends before the array's closing ']'"),
        (b'[{"a": 1}, [1, 2]]', 2, "expected a JSON object, got a list"),
        (b'[{"a": 1}, "text"]', 2, "expected a JSON object, got a string"),
        (b'[{"a": "unterminated}]', 1, "invalid JSON: Unterminated string"),
    ],
)
def test_json_array_errors_name_the_row(data, row, message):
    with pytest.raises(ImportFailed) as e:
        records(data, "json", chunk_size=4)
    assert e.value.row == row
    assert message in str(e.value)
    assert str(e.value).startswith(f"row {row}")


def test_json_array_that_is_not_an_array():
    with pytest.raises(ImportFailed, match="expected a JSON array of objects"):
        records(b'{"a": 1}', "json")
    with pytest.raises(ImportFailed, match="unexpected content after the array's closing"):
        records(b'[{"a": 1}] [', "json")


def test_json_array_error_reports_file_line():
    data = ("[\n" + ",\n".join(json.dumps({"i": i}) for i in range(1, 37)) + ',\n{"i": 37,, "x": 1}\n]').encode()
    with pytest.raises(ImportFailed) as e:
        records(data, "json", chunk_size=16)
    assert e.value.row == 37 and e.value.line == 38
    assert str(e.value).startswith("row 37 (line 38): invalid JSON")


def test_jsonl_row_is_the_line_and_blank_lines_are_skipped():
    data = b'{"a": 1}\n\n{"a": 2}\r\n{"a": 3}'
    assert [(row, r) for row, _, r in records(data, "jsonl")] == [(1, {"a": 1}), (3, {"a": 2}), (4, {"a": 3})]
    with pytest.raises(ImportFailed) as e:
        records(b'{"a": 1}\n{"a": 2}\n{"a" 3}\n', "jsonl")
    assert e.value.row == 3 and "invalid JSON" in e.value.message
    with pytest.raises(ImportFailed, match=r"^row 2: expected a JSON object, got a list"):
        records(b'{"a": 1}\n[1]\n', "jsonl")
    with pytest.raises(ImportFailed, match=r"^row 2: not valid UTF-8"):
        records(b'{"a": 1}\n{"a": "\xff"}\n', "jsonl")


def test_csv_rows_quoting_multiline_and_bom():
    data = '\ufeffid,text,label\n1,"hello, world",true\n\n2,"two\nlines ""quoted""",0\n'.encode()
    got = records(data, "csv", chunk_size=5)
    assert [(row, line, r) for row, line, r in got] == [
        (1, 2, {"id": "1", "text": "hello, world", "label": "true"}),
        (2, 4, {"id": "2", "text": 'two\nlines "quoted"', "label": "0"}),
    ]
    got = records(b"a\tb\nx y\t1\n", "tsv")
    assert got == [(1, 2, {"a": "x y", "b": "1"})]


def test_csv_errors_name_row_and_line():
    with pytest.raises(ImportFailed) as e:
        records(b"id,text,label\n1,a,true\n2,b\n", "csv")
    assert (e.value.row, e.value.line) == (2, 3)
    assert str(e.value) == "row 2 (line 3): expected 3 columns (id, text, label), got 2"
    with pytest.raises(ImportFailed, match="header names column 'a' twice"):
        records(b"a,a\n1,2\n", "csv")
    with pytest.raises(ImportFailed, match="the file is empty"):
        records(b"", "csv")
    with pytest.raises(ImportFailed) as e:
        records(b"id,text\n1,ok\n2,\xff\xfe\n", "csv")
    assert e.value.row == 2 and "not valid UTF-8" in str(e.value)


def test_csv_reads_fields_longer_than_the_csv_module_default():
    long_text = "word " * 60000  # 300 kB, over csv's 128 KiB default field limit
    got = records(f'text\n"{long_text}"\n'.encode(), "csv", chunk_size=65536)
    assert got[0][2]["text"] == long_text


def test_detect_format():
    assert detect_format("a.csv", b"[") == "csv"
    assert detect_format("a.jsonl", b"{") == "jsonl"
    assert detect_format("a.json", b"  [") == "json"
    assert detect_format("a.json", b'{"a":1}\n') == "jsonl"
    assert detect_format("upload", b"\xef\xbb\xbf[") == "json"
    assert detect_format("upload", b"{") == "jsonl"
    assert detect_format("upload", b"id,text") == "csv"
    assert detect_format("x.TSV", b"") == "tsv"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_first_row_arrives_before_the_file_is_read(fmt):
    """A reader hands out row 1 after reading a chunk or two of a 3 MB file, and only ever reads by chunks."""
    n = 30000
    text = "lorem ipsum dolor sit amet " * 3
    if fmt == "json":
        data = json.dumps([{"id": i, "text": f"{text}{i}"} for i in range(n)]).encode()
    elif fmt == "jsonl":
        data = "\n".join(json.dumps({"id": i, "text": f"{text}{i}"}) for i in range(n)).encode()
    else:
        data = ("id,text\n" + "\n".join(f"{i},{text}{i}" for i in range(n))).encode()
    stream = CountingReader(data)
    it = read_records(ByteSource(stream), fmt)
    row, _, first = next(it)
    assert row == 1 and str(first["id"]) == "0"
    assert stream.bytes_read <= 2 * 65536 < len(data) / 10
    assert sum(1 for _ in it) == n - 1
    assert all(0 < size <= 65536 for size in stream.sizes)  # never read() the whole thing


def test_json_array_huge_single_row_is_parsed_without_quadratic_rereads(settings):
    settings.IMPORT_MAX_FIELD_BYTES = settings.IMPORT_MAX_ROW_BYTES = 4_000_000  # above the 1 MiB default
    big = {"id": 1, "text": "y" * 3_000_000}
    got = list(iter_json_array(ByteSource(io.BytesIO(json.dumps([big, {"id": 2}]).encode())).text_chunks()))
    assert [r["id"] for _, _, r in got] == [1, 2] and got[0][2]["text"] == big["text"]
