"""MS-OVBA 2.4.1 compression: spec vectors, edge cases, and round trips checked by oletools too."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from xlfin.vba.ovba import CHUNK_SIZE, OvbaError, compress, decompress

# [MS-OVBA] 3.2.1 / 3.2.3: the only valid token choices, so the bytes must match exactly.
NO_COMPRESSION = (
    b"abcdefghijklmnopqrstuv.",
    "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E",
)
MAXIMUM_COMPRESSION = (b"a" * 73, "01 03 B0 02 61 45 00")
# [MS-OVBA] 3.2.2 as published. Three of its copy tokens point at a farther equally long match than the
# 2.4.1.3.19.4 procedure (which keeps the nearest) selects; both decode to the same text.
NORMAL_TEXT = b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"
NORMAL_PUBLISHED = (
    "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E 6F 70 06 71"
    " 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C"
)
NORMAL_BY_PROCEDURE = (
    "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E 6F 70 06 71"
    " 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C"
)


def _both_decompressors(container: bytes) -> tuple[bytes, bytes]:
    return decompress(container), bytes(decompress_stream(bytearray(container)))


@pytest.mark.parametrize("plain, hex_bytes", [NO_COMPRESSION, MAXIMUM_COMPRESSION])
def test_spec_examples_compress_to_the_published_bytes(plain: bytes, hex_bytes: str) -> None:
    assert compress(plain) == bytes.fromhex(hex_bytes)
    assert decompress(bytes.fromhex(hex_bytes)) == plain


def test_normal_example_follows_the_matching_procedure_and_decodes_the_published_form() -> None:
    assert compress(NORMAL_TEXT) == bytes.fromhex(NORMAL_BY_PROCEDURE)
    assert _both_decompressors(bytes.fromhex(NORMAL_PUBLISHED)) == (NORMAL_TEXT, NORMAL_TEXT)
    assert _both_decompressors(bytes.fromhex(NORMAL_BY_PROCEDURE)) == (NORMAL_TEXT, NORMAL_TEXT)


def test_empty_input_is_just_the_signature() -> None:
    assert compress(b"") == b"\x01"
    assert decompress(b"\x01") == b""


@pytest.mark.parametrize("size", [1, 2, 3, 4095, 4096, 4097, 8192, 8193, 3 * CHUNK_SIZE + 17])
def test_runs_of_one_byte_round_trip_at_chunk_boundaries(size: int) -> None:
    data = b"x" * size
    packed = compress(data)
    assert _both_decompressors(packed) == (data, data)
    assert len(packed) < 30 * (size // CHUNK_SIZE + 1)  # a run costs a few tokens per chunk


def test_full_incompressible_chunk_is_stored_raw() -> None:
    data = random.Random(7).randbytes(2 * CHUNK_SIZE + 100)
    packed = compress(data)
    header = int.from_bytes(packed[1:3], "little")
    assert header == 0x3FFF  # raw chunk: flag bit clear, signature 0b011, size field 4095
    assert _both_decompressors(packed) == (data, data)


def test_short_incompressible_final_chunk_is_refused_not_padded() -> None:
    data = random.Random(3).randbytes(CHUNK_SIZE - 10)
    with pytest.raises(OvbaError, match="zero-padded"):
        compress(data)


def test_vba_source_round_trips_and_shrinks() -> None:
    source = "".join(
        f'Public Sub Step{i}(control As IRibbonControl)\r\n    RunPython "import m; m.f{i}()"\r\nEnd Sub\r\n\r\n'
        for i in range(400)
    ).encode("cp1252")
    packed = compress(source)
    assert _both_decompressors(packed) == (source, source)
    assert len(packed) < len(source) / 3


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3 * CHUNK_SIZE + 200))
def test_random_bytes_round_trip_or_refuse_only_an_incompressible_tail(data: bytes) -> None:
    try:
        packed = compress(data)
    except OvbaError:
        # all-literal tokens take n + ceil(n/8) bytes, which fits a chunk for n <= 3640
        assert len(data) % CHUNK_SIZE > 3640
        return
    assert _both_decompressors(packed) == (data, data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([b"Dim ", b"x", b"\r\n", b"    ", b"End Sub", b"\x00", b"\xff"]), max_size=3000)
)
def test_repetitive_text_round_trips(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert _both_decompressors(compress(data)) == (data, data)


@pytest.mark.parametrize(
    "container, message",
    [
        (b"", "signature"),
        (b"\x02\x03\xb0", "signature"),
        (b"\x01\x03", "truncated chunk header"),
        (b"\x01\x03\x00abc", "chunk signature"),
        (b"\x01\xff\xb0\x00abc", "claims"),
        (b"\x01\x02\xb0\x01\x00\x00", "start of a chunk"),
        (b"\x01\x03\xb0\x02a\x00\x10", "before its chunk"),
        (b"\x01\xff\x3f" + b"a" * 100, "claims"),
    ],
)
def test_malformed_containers_raise_a_clear_error(container: bytes, message: str) -> None:
    with pytest.raises(OvbaError, match=message):
        decompress(container)
