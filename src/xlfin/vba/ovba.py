"""MS-OVBA 2.4.1 compression: the run-length/LZ scheme VBA uses for module source and the dir stream.

The compressor follows the spec's token choice exactly (longest match within the current 4096-byte
chunk; among equally long matches the nearest one), so its output for the spec's examples is byte for
byte the published one. A hash chain over 3-byte prefixes only narrows the candidates the spec scans:
a match shorter than 3 bytes is never emitted, so candidates without a common 3-byte prefix cannot win.
"""

from __future__ import annotations

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_MAX_CHUNK_DATA = 4096  # compressed bytes after the 2-byte header (size field holds total - 3 <= 4095)


class OvbaError(ValueError):
    """Data that is not a valid MS-OVBA CompressedContainer, or input that cannot be stored losslessly."""


def _bit_count(decompressed_in_chunk: int) -> int:
    """CopyToken Help (2.4.1.3.19.1): bits used for the offset, given how much of the chunk is already out."""
    return max((decompressed_in_chunk - 1).bit_length(), 4)


def _match_length(data: bytes, candidate: int, current: int, end: int) -> int:
    """Bytes equal from candidate and current onward, stopping at end.

    The comparison runs over the input, so a match may overlap the bytes it produces (as in LZ77);
    the decompressor copies byte by byte and reproduces exactly that.
    """
    length = 0
    limit = end - current
    step = 16
    while (
        length + step <= limit
        and data[candidate + length : candidate + length + step]
        == data[current + length : current + length + step]
    ):
        length += step
    while length < limit and data[candidate + length] == data[current + length]:
        length += 1
    return length


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Token sequences for data[start:end]; the caller decides whether they fit or the chunk goes raw."""
    out = bytearray()
    chains: dict[bytes, list[int]] = {}
    indexed = start
    current = start
    while current < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if current >= end:
                break
            while indexed < current:
                if indexed + 3 <= end:
                    chains.setdefault(data[indexed : indexed + 3], []).append(indexed)
                indexed += 1
            best_length = 0
            best_candidate = 0
            if current + 3 <= end:
                longest_possible = end - current
                for candidate in reversed(chains.get(data[current : current + 3], ())):
                    if data[candidate + best_length] != data[current + best_length]:
                        continue  # cannot be strictly longer than the best so far
                    length = _match_length(data, candidate, current, end)
                    if length > best_length:
                        best_length, best_candidate = length, candidate
                        if length == longest_possible:
                            break
            if best_length >= 3:
                bits = _bit_count(current - start)
                length = min(best_length, (0xFFFF >> bits) + 3)
                offset = current - best_candidate
                token = ((offset - 1) << (16 - bits)) | (length - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                current += length
            else:
                out.append(data[current])
                current += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress bytes into an MS-OVBA CompressedContainer.

    A final chunk that does not compress would have to be stored raw and zero-padded to 4096 bytes,
    which would change the content; that case raises OvbaError (text never triggers it).
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        end = min(start + CHUNK_SIZE, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= _MAX_CHUNK_DATA:
            out += (0xB000 | (len(body) + 2 - 3)).to_bytes(2, "little")
            out += body
        elif end - start == CHUNK_SIZE:
            out += (0x3000 | 0x0FFF).to_bytes(2, "little")
            out += data[start:end]
        else:
            raise OvbaError(
                f"the final {end - start} bytes do not compress; MS-OVBA would store them zero-padded to "
                f"{CHUNK_SIZE} bytes, which changes the data"
            )
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (2.4.1.3.1); raises OvbaError on malformed input."""
    container = bytes(container)
    if not container or container[0] != _SIGNATURE:
        raise OvbaError("compressed container does not start with signature byte 0x01")
    out = bytearray()
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            raise OvbaError(f"truncated chunk header at byte {pos}")
        header = int.from_bytes(container[pos : pos + 2], "little")
        if (header >> 12) & 0b111 != 0b011:
            raise OvbaError(f"bad chunk signature in header 0x{header:04X} at byte {pos}")
        chunk_end = pos + (header & 0x0FFF) + 3
        if chunk_end > len(container):
            raise OvbaError(
                f"chunk at byte {pos} claims {chunk_end - pos} bytes, only {len(container) - pos} left"
            )
        pos += 2
        chunk_start = len(out)
        if not header & 0x8000:
            if chunk_end - pos != CHUNK_SIZE:
                raise OvbaError(f"raw chunk at byte {pos - 2} is not {CHUNK_SIZE} bytes")
            out += container[pos:chunk_end]
            pos = chunk_end
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(container[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise OvbaError(f"truncated copy token at byte {pos}")
                token = int.from_bytes(container[pos : pos + 2], "little")
                pos += 2
                done = len(out) - chunk_start
                if done == 0:
                    raise OvbaError(f"copy token at the start of a chunk (byte {pos - 2})")
                bits = _bit_count(done)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                if offset > done:
                    raise OvbaError(f"copy token at byte {pos - 2} reaches before its chunk")
                source = len(out) - offset
                for i in range(length):  # byte by byte: a copy may overlap the bytes it produces
                    out.append(out[source + i])
        if len(out) - chunk_start > CHUNK_SIZE:
            raise OvbaError(f"chunk ending at byte {chunk_end} decompresses to more than {CHUNK_SIZE} bytes")
    return bytes(out)
