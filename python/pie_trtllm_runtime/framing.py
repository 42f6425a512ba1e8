"""Length-prefixed frames on a pair of pipe descriptors: a 4-byte little-endian length, then JSON."""

import json
import os
import select
import struct
import time

_HEADER = struct.Struct("<I")
MAX_FRAME_BYTES = 256 * 1024 * 1024


class FrameError(Exception):
    """The byte stream is not a valid frame sequence (not recoverable for that stream)."""


class OversizedFrame:
    """Stands for a frame above the limit: its bytes were read and dropped, the stream stays in step."""

    def __init__(self, length):
        self.length = length


class FrameReader:
    """Reads whole frames from a descriptor, many per read when the peer pipelines.

    With a spin budget, a read that finds nothing keeps polling for that long before it sleeps:
    the next request of a decode loop usually arrives within it, and a reader that never slept
    needs no wake-up (Pie's `ipc_profile`). None means spin without limit."""

    def __init__(self, fd, spin_budget_us=0):
        self._fd = fd
        self._buffer = bytearray()
        self._skip = 0  # bytes of an oversized frame still to drop
        self.sleeps = 0  # times the spin budget ran out and the reader slept
        self._spin_ns = None if spin_budget_us is None else int(spin_budget_us) * 1000
        self._poller = None
        if self._spin_ns != 0:
            os.set_blocking(fd, False)

    def _read_chunk(self):
        if self._spin_ns == 0:
            return os.read(self._fd, 1 << 20)
        deadline = None if self._spin_ns is None else time.monotonic_ns() + self._spin_ns
        while True:
            try:
                return os.read(self._fd, 1 << 20)
            except BlockingIOError:
                if deadline is not None and time.monotonic_ns() >= deadline:
                    self.sleeps += 1
                    self._sleep_until_readable()  # budget spent: sleep until data comes

    def _sleep_until_readable(self):
        # poll, not select: a descriptor number may be above select's FD_SETSIZE (1024) when the
        # parent had many files open.
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self._fd, select.POLLIN)
        self._poller.poll()

    def read_frame(self):
        """The next frame's payload bytes, an OversizedFrame for one above the limit (dropped
        unread, so one such frame never ends the stream), or None at end of stream."""
        while True:
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                del self._buffer[:dropped]
                self._skip -= dropped
            if not self._skip and len(self._buffer) >= 4:
                (length,) = _HEADER.unpack_from(self._buffer, 0)
                if length > MAX_FRAME_BYTES:
                    del self._buffer[:4]
                    self._skip = length
                    return OversizedFrame(length)
                end = 4 + length
                if len(self._buffer) >= end:
                    payload = bytes(self._buffer[4:end])
                    del self._buffer[:end]
                    return payload
            chunk = self._read_chunk()
            if not chunk:
                if self._buffer or self._skip:
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
