"""Stand-in for rich.pretty: plain pretty-printing."""

from pprint import pformat
from pprint import pprint as _pprint


def pprint(obj, *args, **kwargs):
    _pprint(obj)


def pretty_repr(obj, *args, **kwargs):
    return pformat(obj)


def install(*args, **kwargs):
    pass
