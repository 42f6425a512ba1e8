"""JSON files from outside the runtime (a model's config.json), read with a size cap: a device, a
pipe or a huge file is refused before it can grow the process without bound."""

import json
import os
import stat

MAX_JSON_BYTES = 16 * 1024 * 1024  # a model's config.json is a few kilobytes


def read_json_file(path, limit=MAX_JSON_BYTES):
    """The parsed JSON of a regular file of at most `limit` bytes. OSError when it cannot be
    opened or is not such a file; ValueError when it is not JSON."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("%s is not a regular file (a device, pipe or folder); point it at the file itself" % path)
        if info.st_size > limit:
            raise OSError("%s is %d bytes, above the %d a JSON configuration may hold" % (path, info.st_size, limit))
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise OSError("%s grew past the %d bytes a JSON configuration may hold while it was read" % (path, limit))
            chunks.append(chunk)
    finally:
        os.close(fd)
    return json.loads(b"".join(chunks).decode("utf-8"))
