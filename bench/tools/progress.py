#!/usr/bin/env python3
"""Shows `make bench` progress: reads Google Benchmark's console output and
prints one short line per finished run, "[k/N] name  time  p50/p99.9/max".

  smpheap-bench ... | progress.py N

N is the number of runs to expect (benchmarks x repetitions); aggregate
lines (_mean, _median, ...) are not counted. Everything else passes through
(errors, the header)."""
import re
import sys

total = int(sys.argv[1]) if len(sys.argv) > 1 else 0
done = 0
for line in sys.stdin:
    if re.match(r"^\S+_(mean|median|stddev|cv)\s", line):
        continue  # aggregates: in the JSON, not progress
    m = re.match(r"^(\S+/\S+)\s+([\d.]+ \w+)\s+([\d.]+ \w+)\s+(\d+)(.*)$", line.rstrip("\n"))
    if not m:
        if line.strip() and not line.startswith("-") and not line.startswith("Benchmark"):
            sys.stdout.write(line)
        continue
    name, time = m.group(1), m.group(2)
    if re.search(r"_(mean|median|stddev|cv)$", name):
        continue
    done += 1
    pct = dict(re.findall(r"(p50_ns|p99\.9_ns|max_ns)=(\S+)", m.group(5)))
    lat = "/".join(pct.get(k, "-") for k in ("p50_ns", "p99.9_ns", "max_ns"))
    sys.stdout.write("[%d/%s] %-62s %12s  p50/p99.9/max ns %s\n"
                     % (done, total or "?", name[:62], time, lat))
    sys.stdout.flush()
