#!/usr/bin/env python3
"""Gates a stress run on its own evidence, read from its --json output.

usage: check_run.py JSON [REQUIREMENTS]

REQUIREMENTS is one comma-separated argument of KEY>=N (KEY may name a
nested field with a dot: nulls_by_zone.runtime>=1). Always required: the
file exists and parses, "result" is "PASS", and a run that asked for
--hotplug took a core down at least once (a layout or machine that made the
driver switch hotplug off must fail the test, not pass it quietly).
A field that is missing fails too: a renamed counter must not pass.
"""
import json
import sys


def field(doc, key):
    value = doc
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            sys.exit("check_run: %s: no field %r in the JSON" % (sys.argv[1], key))
        value = value[part]
    return value


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    path = sys.argv[1]
    try:
        with open(path) as fp:
            doc = json.load(fp)
    except (OSError, ValueError) as err:
        sys.exit("check_run: %s: %s" % (path, err))
    failures = []
    if field(doc, "result") != "PASS":
        failures.append("result is %r" % field(doc, "result"))
    needs = [r for r in (sys.argv[2].split(",") if len(sys.argv) == 3 else []) if r]
    if field(doc, "hotplug") is True:
        needs.append("core_downs>=1")
    for need in needs:
        key, sep, low = need.partition(">=")
        if not sep:
            sys.exit("check_run: bad requirement %r (want KEY>=N)" % need)
        got = field(doc, key.strip())
        if not isinstance(got, (int, float)) or got < float(low):
            failures.append("%s is %r, want >= %s" % (key.strip(), got, low))
    if failures:
        print("check_run: %s: FAIL: %s" % (path, "; ".join(failures)))
        sys.exit(1)
    print("check_run: %s: evidence ok (%s)" % (path, ", ".join(
        "%s=%s" % (n.partition(">=")[0], field(doc, n.partition(">=")[0])) for n in needs)))


if __name__ == "__main__":
    main()
