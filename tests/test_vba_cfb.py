"""The compound-file writer, read back by olefile (independent) and by our own reader."""

from __future__ import annotations

import random
import struct

import olefile
import pytest

from xlfin.vba.cfb import NOSTREAM, CFBError, CompoundFile, name_key, write_cfb


def _random_tree(seed: int, sizes: list[int]) -> dict:
    rnd = random.Random(seed)
    return {
        "PROJECT": b"ID=x\r\n",
        "PROJECTwm": b"",
        "VBA": {f"M{i:02d}{'x' * (i % 5)}": rnd.randbytes(n) for i, n in enumerate(sizes)},
    }


def _olefile_inorder(ole: olefile.OleFileIO, sid: int) -> list[str]:
    """Names of a storage's children in BST in-order, walked with olefile's own directory parse."""
    names: list[str] = []

    def walk(node: int) -> None:
        if node == NOSTREAM:
            return
        entry = ole.direntries[node]
        walk(entry.sid_left)
        names.append(entry.name)
        walk(entry.sid_right)

    walk(ole.direntries[sid].sid_child)
    return names


SIZE_MIXES = [
    [0, 1, 63, 64, 65],
    [4095, 4096, 4097],
    [40_000, 40_001, 12],
    [300_000],
    [7] * 40,
]


@pytest.mark.parametrize("sizes", SIZE_MIXES)
def test_olefile_and_our_reader_see_every_stream(sizes: list[int]) -> None:
    tree = _random_tree(len(sizes), sizes)
    data = write_cfb(tree)
    ole = olefile.OleFileIO(data)
    ours = CompoundFile(data)
    expected = {"PROJECT": tree["PROJECT"], "PROJECTwm": b""}
    expected |= {f"VBA/{name}": value for name, value in tree["VBA"].items()}
    listed = {"/".join(parts) for parts in ole.listdir(streams=True, storages=False)}
    assert listed == set(expected)
    for path, value in expected.items():
        assert ole.openstream(path).read() == value
        assert ours.read_stream(path) == value
    assert len(data) % 512 == 0


@pytest.mark.parametrize("sizes", SIZE_MIXES)
def test_siblings_are_ordered_and_red_black_valid(sizes: list[int]) -> None:
    data = write_cfb(_random_tree(1, sizes))
    ole = olefile.OleFileIO(data)
    for sid, entry in enumerate(ole.direntries):
        if entry is None or entry.entry_type not in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT):
            continue
        names = _olefile_inorder(ole, sid)
        assert names == sorted(names, key=name_key)
        assert len({name_key(n) for n in names}) == len(names)
    reader = CompoundFile(data)
    assert reader.order_problems() == []
    assert reader.colour_problems() == []


def test_order_is_length_first_then_upper_case() -> None:
    assert sorted(["dir", "Sheet10", "_VBA_PROJECT", "ab", "Sheet2", "AA"], key=name_key) == [
        "AA",
        "ab",
        "dir",
        "Sheet2",
        "Sheet10",
        "_VBA_PROJECT",
    ]


def test_writing_is_deterministic() -> None:
    tree = _random_tree(5, [10, 5000, 70])
    assert write_cfb(tree) == write_cfb(tree)


def test_header_fields_are_version_3_with_512_byte_sectors() -> None:
    data = write_cfb(_random_tree(2, [100]))
    minor, major, byte_order, sector_shift, mini_shift = struct.unpack_from("<HHHHH", data, 24)
    assert (minor, major, byte_order, sector_shift, mini_shift) == (0x3E, 3, 0xFFFE, 9, 6)
    assert struct.unpack_from("<I", data, 56)[0] == 4096  # mini stream cutoff


@pytest.mark.parametrize(
    "tree, message",
    [
        ({"a" * 32: b""}, "1..31"),
        ({"a/b": b""}, "contains"),
        ({"VBA": {"Module": b"", "MODULE": b""}}, "differ only in case"),
    ],
)
def test_bad_trees_are_refused(tree: dict, message: str) -> None:
    with pytest.raises(CFBError, match=message):
        write_cfb(tree)


def test_reader_rejects_non_cfb_bytes() -> None:
    with pytest.raises(CFBError, match="not a compound file"):
        CompoundFile(b"PK\x03\x04" + bytes(600))


def test_reader_reports_a_reversed_sibling_tree() -> None:
    data = bytearray(write_cfb({"VBA": {"a": b"1", "bb": b"2", "ccc": b"3"}}))
    reader = CompoundFile(bytes(data))
    storage = reader.find("VBA")
    top = reader.entries[storage.child]
    dir_offset = (struct.unpack_from("<I", data, 48)[0] + 1) * 512 + top.sid * 128
    struct.pack_into("<II", data, dir_offset + 68, top.right, top.left)  # mirror the tree: in-order reversed
    problems = CompoundFile(bytes(data)).order_problems()
    assert any("not ordered after" in p for p in problems)
