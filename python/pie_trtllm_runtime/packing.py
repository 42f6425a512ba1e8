"""Packed integer arrays on the wire: base64 of little-endian fixed-width integers. The driver packs
the arrays of a forward batch this way; decoding them is a few C calls instead of parsing a JSON
number per element."""

import base64
import binascii
import sys
from array import array

from .batch_error import BatchError

# Wire type → array typecode: u32 for tokens, positions and offsets, u64 for context ids,
# i32 for sampler indices (-1 = none).
_CODES = {"token_ids": "I", "position_ids": "I", "qo_indptr": "I", "context_ids": "Q", "sampler_index": "i"}


def unpack_arrays(packed, size_hint=None):
    """The packed arrays of a batch as Python lists."""
    if not isinstance(packed, dict):
        raise BatchError("'packed' must be an object of base64 arrays", size_hint)
    out = {}
    for key, text in packed.items():
        code = _CODES.get(key)
        if code is None:
            raise BatchError("unknown packed array %r; expected %s" % (key, ", ".join(sorted(_CODES))), size_hint)
        if not isinstance(text, str):
            raise BatchError("packed %r must be a base64 string" % key, size_hint)
        values = array(code)
        try:
            values.frombytes(binascii.a2b_base64(text))
        except (binascii.Error, ValueError) as error:
            raise BatchError("packed %r is not base64 of %d-byte integers: %s" % (key, values.itemsize, error), size_hint)
        if sys.byteorder == "big":
            values.byteswap()
        out[key] = values.tolist()
    return out


def pack_u32(values):
    """The inverse, for replies: a list of non-negative ints as base64 of little-endian u32."""
    packed = array("I", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")
