"""A client's value as an error message may quote it: bounded in depth and length, so no value,
however deep or large, can make an error message fail or grow without limit."""

import reprlib

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8
_REPR.maxlong = 40


def shown(value):
    try:
        return _REPR.repr(value)
    except Exception:  # a value whose repr fails is still described
        return "<%s>" % type(value).__name__
