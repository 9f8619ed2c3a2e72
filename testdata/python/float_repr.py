"""Writes float_repr.json: CPython's json.dumps of doubles given by their IEEE-754 bits.

Run from this directory: python3 float_repr.py. The seed is fixed, so the file only
changes with CPython's float formatting (shortest digits that round-trip; between two
shortest strings equally close to the value, the one ending in an even digit).
"""

import json
import random
import struct
import sys
from decimal import Decimal

random.seed(20261206)


def bits_of(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def random_doubles(count):
    """Finite doubles from random bit patterns."""
    found = []
    while len(found) < count:
        value = struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0]
        if value == value and abs(value) != float("inf"):
            found.append(value)
    return found


def rounding_differs(value):
    """True when the value is exactly halfway between two shortest digit strings and the
    lower one ends in an even digit: ties to even (CPython) and ties up disagree."""
    shortest = repr(abs(value))
    mantissa = shortest.split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    digits = len(mantissa)
    exact = Decimal(abs(value))
    # The exact value's digits, one more than the shortest string has.
    sign, all_digits, exponent = exact.as_tuple()
    if len(all_digits) != digits + 1 or all_digits[-1] != 5:
        return False
    return all_digits[-2] % 2 == 0


def ties(count):
    """Doubles of 2^40 to 2^60 with a short binary fraction, kept when they are such ties."""
    found = []
    while len(found) < count:
        exponent = random.randint(40, 60)
        value = (random.getrandbits(52) | (1 << 52)) * 2.0 ** (exponent - 52)
        if rounding_differs(value):
            found.append(-value if random.random() < 0.5 else value)
    return found


EDGES = [0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1.5e-5, 1e-4, 5e-324, 1.7976931348623157e308]

cases = random_doubles(1500) + ties(500) + EDGES
with open("float_repr.json", "w") as out:
    out.write('{"python": "%s",\n' % sys.version.split()[0])
    out.write(' "made_by": "float_repr.py",\n')
    out.write(' "cases": [\n')
    out.write(",\n".join(json.dumps([bits_of(v), json.dumps(v)]) for v in cases))
    out.write("\n]}\n")
