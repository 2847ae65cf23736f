#!/usr/bin/env python3
"""Checks a result file against Google Benchmark's JSON schema and the
suite's own promises (percentile counters, every workload x strategy).

  check_gbench_json.py [--baremetal | --complete | --flags] FILE
"""
import json
import sys

PCT = ["p50", "p90", "p99", "p99.9", "p99.99", "max"]
WORKLOADS = ["pair", "batch", "batch-sys", "threads", "handoff", "pipeline", "churn", "replay"]
STRATEGIES = ["smpheap", "blockmap-lock", "glibc", "jemalloc", "mimalloc", "tcmalloc"]
HEAPS_WITH_STATS = ["smpheap", "smpheap-nocache", "blockmap-lock"]


def fail(msg):
    print("check_gbench_json: " + msg)
    sys.exit(1)


def main():
    mode = sys.argv[1] if len(sys.argv) > 2 else ""
    with open(sys.argv[-1]) as f:
        doc = json.load(f)
    if not isinstance(doc.get("context"), dict) or not isinstance(doc.get("benchmarks"), list):
        fail("no context object or benchmarks array")
    ctx, benches = doc["context"], doc["benchmarks"]
    if not benches:
        fail("no benchmarks")
    seen = set()
    for b in benches:
        for k in ("name", "run_name", "run_type", "family_index", "per_family_instance_index",
                  "repetitions", "threads", "iterations"):
            if k not in b:
                fail("%s: no %s" % (b.get("name"), k))
        if b.get("error_occurred"):
            fail("%s: error: %s" % (b["name"], b.get("error_message")))
        for k in ("real_time", "cpu_time"):
            if not isinstance(b.get(k), (int, float)):
                fail("%s: %s is not a number" % (b["name"], k))
        if b.get("time_unit") not in ("ns", "us", "ms", "s"):
            fail("%s: bad time_unit" % b["name"])
        if b["run_type"] == "iteration":
            for p in PCT:
                for unit in ("cyc", "ns"):
                    key = "%s_%s" % (p, unit)
                    if not isinstance(b.get(key), (int, float)):
                        fail("%s: no counter %s" % (b["name"], key))
            if b["p50_cyc"] > b["p99_cyc"] or b["p99_cyc"] > b["max_cyc"]:
                fail("%s: percentiles out of order" % b["name"])
        # The heaps with stats report largest_free over time in churn; a
        # missing counter is a failure, not a reason to skip the check.
        if b["name"].startswith("churn/") and b["run_type"] == "iteration" and \
                b["name"].split("/")[1] in HEAPS_WITH_STATS:
            for key in ["largest_free_min"] + ["largest_free_t%d" % i for i in range(10)]:
                if key not in b:
                    fail("%s: no counter %s" % (b["name"], key))
        parts = b["name"].split("/")
        seen.add((parts[0], parts[1]))
        if len(parts) > 2 and parts[2] == "host":
            seen.add((parts[0], parts[1], "host"))
    if mode == "--baremetal":
        if ctx.get("driver") != "baremetal":
            fail("context.driver is not baremetal")
        for w in ["pair", "threads", "handoff", "batch", "batch-sys", "pipeline", "churn"]:
            for s in ["smpheap", "blockmap-lock"]:
                if (w, s) not in seen:
                    fail("missing %s/%s" % (w, s))
        for s in ["floor-atomic", "floor-plain"]:
            if ("pair", s) not in seen:
                fail("missing pair/%s" % s)
    if mode == "--complete":
        for w in WORKLOADS:
            for s in STRATEGIES:
                if (w, s) not in seen:
                    fail("missing %s/%s" % (w, s))
        for s in ["floor-atomic", "floor-plain"]:
            if ("pair", s) not in seen:
                fail("missing pair/%s" % s)
        # the word-claim cache off, beside smpheap; and both on the host layout
        # where memory runs out (issue 6)
        for w in ["pair", "batch", "batch-sys", "threads", "handoff", "replay"]:
            if (w, "smpheap-nocache") not in seen:
                fail("missing %s/smpheap-nocache" % w)
        for w in ["pipeline", "churn"]:
            for s in ["smpheap", "smpheap-nocache"]:
                if (w, s, "host") not in seen:
                    fail("missing %s/%s/host" % (w, s))
        for k in ["topology", "cpu_model", "git_revision", "compiler", "c_flags", "cycles_hz",
                  "timer_overhead_cycles", "host_capacity", "benchmark_filter"] + \
                ["strategy." + s for s in STRATEGIES]:
            if k not in ctx:
                fail("context has no %s" % k)
        for s in STRATEGIES:
            if "not available" in ctx["strategy." + s]:
                fail("%s not available" % s)
    if mode == "--flags":
        if ctx.get("flagtest") != "yes":
            fail("--benchmark_context did not reach the context")
        names = {b["run_name"] for b in benches}
        if not names or any(not (n.startswith("pair/glibc/") or n.startswith("pair/floor-atomic/"))
                            for n in names):
            fail("--benchmark_filter not applied: %s" % sorted(names))
        if not any(b["run_type"] == "aggregate" and b.get("aggregate_name") == "mean"
                   for b in benches):
            fail("--benchmark_repetitions gave no aggregates")
        if not all(b["repetitions"] == 2 for b in benches):
            fail("repetitions != 2")
    print("check_gbench_json: %s: %d benchmarks ok" % (sys.argv[-1], len(benches)))


main()
