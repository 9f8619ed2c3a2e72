"""Reads a callgrind output file (name compression included) as records
(function, callee or None, calls, cost): a function's own cost has no callee, a call's
cost is inclusive."""
import re

NAME = re.compile(r"\((\d+)\)(?: (.*))?")


def records(path):
    names = {}

    def name(text):
        m = NAME.match(text)
        if not m:
            return text
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), text)

    function = callee = None
    calls = None
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if line.startswith("fn="):
                function = name(line[3:])
            elif line.startswith("cfn="):
                callee = name(line[4:])
            elif line.startswith("calls="):
                calls = int(line[6:].split()[0])
            elif line and (line[0].isdigit() or line[0] in "+-*"):
                parts = line.split()
                if len(parts) < 2 or function is None:
                    continue
                if calls is not None:
                    yield function, callee, calls, int(parts[1])
                    calls = None
                else:
                    yield function, None, 0, int(parts[1])
