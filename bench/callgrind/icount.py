#!/usr/bin/env python3
"""Runs smpheap-bench-icount under callgrind and turns its dumps into
instructions per operation (see icount.c for the phases).

  icount.py EXE OUT.json

Writes OUT.json ({"figures": {phase: instructions per op}, ...}) and prints a
table. Each figure is (Ir of the phase - Ir of its baseline) / N: the
allocator's own instructions, call and return included, loop excluded."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

BASE = {
    "tgl_runtime64_pair": "base_direct_pair",
    "sys_alloc": "base_direct",
    "runtime64_pair": "base_direct_pair",
    "buffer4k_pair": "base_direct_pair",
    "buffer256k_pair": "base_direct_pair",
    "tgl_buffer4k_pair": "base_direct_pair",
    "tgl_buffer256k_pair": "base_direct_pair",
    "runtime64_pair_nocache": "base_direct_pair",
}
TARGETS = {"sys_alloc": 12, "runtime64_pair": 40, "buffer4k_pair": 150}


def main():
    exe, out = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="smpheap-icount-")
    env = dict(os.environ)
    env["GLIBC_TUNABLES"] = "glibc.rtld.optional_static_tls=65536"
    run = subprocess.run(["valgrind", "--tool=callgrind",
                          "--callgrind-out-file=%s/cg.out" % tmp, exe],
                         env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        sys.exit("icount: %s failed under callgrind" % exe)
    n = int(re.search(r"N=(\d+)", run.stdout).group(1))
    versions = dict(re.findall(r"icount: ([\w-]+) = (.*)", run.stdout))
    ir = {}
    for path in glob.glob(tmp + "/cg.out*"):
        name, total = None, None
        with open(path) as f:
            for line in f:
                m = re.match(r"desc: Trigger: Client Request: (\S+)", line)
                if m:
                    name = m.group(1)
                m = re.match(r"(summary|totals): (\d+)", line)
                if m:
                    total = int(m.group(2))
        if name and total is not None:
            ir[name] = total
        os.unlink(path)
    os.rmdir(tmp)
    figures = {}
    for phase, total in sorted(ir.items()):
        if phase.startswith("base"):
            continue
        if n and phase not in BASE and "base_iface_pair" not in ir:
            continue
        base = BASE.get(phase, "base_iface_pair")
        figures[phase] = round((total - ir[base]) / n, 2)
    result = {
        "tool": "valgrind --tool=callgrind (Ir)",
        "operations_per_phase": n,
        "layout": "host",
        "threads": 1,
        "baselines": {k: round(v / n, 2) for k, v in ir.items() if k.startswith("base")},
        "figures": figures,
        "targets": TARGETS,
        "versions": versions,
        "valgrind": subprocess.run(["valgrind", "--version"], capture_output=True,
                                   text=True).stdout.strip(),
    }
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print("%-22s %12s %8s" % ("phase", "instr/op", "target"))
    for phase, v in figures.items():
        print("%-22s %12.2f %8s" % (phase, v, TARGETS.get(phase, "")))


main()
