#!/usr/bin/env python3
"""Prints a short, stable name for this machine's results folder:
<arch>-<cpu model>-<N>cpu, e.g. x86_64-amd-epyc-2cpu."""
import os
import platform
import re

model = "unknown"
try:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1]
                break
except OSError:
    pass
model = re.sub(r"\((r|tm)\)|cpu|processor|@.*$|\d+-core", "", model, flags=re.I)
slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or "unknown"
print("%s-%s-%dcpu" % (platform.machine(), slug, os.cpu_count() or 1))
