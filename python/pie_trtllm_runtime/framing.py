"""Length-prefixed frames on a pair of pipe descriptors: a 4-byte little-endian length, then JSON."""

import json
import os
import struct

_HEADER = struct.Struct("<I")
MAX_FRAME_BYTES = 256 * 1024 * 1024


class FrameError(Exception):
    """The byte stream is not a valid frame sequence (not recoverable for that stream)."""


class FrameReader:
    """Reads whole frames from a descriptor, many per read when the peer pipelines."""

    def __init__(self, fd):
        self._fd = fd
        self._buffer = bytearray()

    def read_frame(self):
        """The next frame's payload bytes, or None at end of stream."""
        while True:
            if len(self._buffer) >= 4:
                (length,) = _HEADER.unpack_from(self._buffer, 0)
                if length > MAX_FRAME_BYTES:
                    raise FrameError("frame of %d bytes exceeds the %d-byte limit" % (length, MAX_FRAME_BYTES))
                end = 4 + length
                if len(self._buffer) >= end:
                    payload = bytes(self._buffer[4:end])
                    del self._buffer[:end]
                    return payload
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                if self._buffer:
                    raise FrameError("stream ended inside a frame (%d bytes pending)" % len(self._buffer))
                return None
            self._buffer += chunk


class FrameWriter:
    """Writes frames to a descriptor, looping over short writes."""

    def __init__(self, fd):
        self._fd = fd

    def write_bytes(self, payload):
        data = _HEADER.pack(len(payload)) + payload
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def write_json(self, message):
        self.write_bytes(json.dumps(message, separators=(",", ":")).encode("utf-8"))
