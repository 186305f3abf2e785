"""A server-to-client websocket text frame, built once and written to many sockets.

Broadcasting a price to hundreds of clients through each socket's own writer costs a task
wake-up and a frame build per client; the bytes are the same for all of them (server frames
are unmasked, and Velox never negotiates compression), so the hub builds the frame once.
"""

from __future__ import annotations

import struct

FIN_TEXT = 0x81  # FIN bit + opcode 1 (text), RFC 6455 section 5.2


def text_frame(payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", FIN_TEXT, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", FIN_TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", FIN_TEXT, 127, size)
    return header + payload
