#!/usr/bin/env python3
"""Instructions per function between smpheap_xtensa_mark() calls.

    xt-profile.py ELF [LABEL ...]

Runs ELF on one lx106 core under QEMU with every instruction logged
(-singlestep -d exec,nochain), maps each executed address to its function
with xtensa-lx106-elf-nm, and prints, for each stretch between two calls of
smpheap_xtensa_mark(), the instructions executed per function (the call of
the next mark is counted, the mark's own body is not). LABELs name the
stretches in order. A count is exact: it is what the core executed.
"""
import bisect
import os
import re
import subprocess
import sys
import tempfile


def symbols(elf):
    out = subprocess.run(["xtensa-lx106-elf-nm", "-n", elf], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    elf, labels = sys.argv[1], sys.argv[2:]
    syms = symbols(elf)
    addrs = [a for a, _ in syms]
    marks = [a for a, n in syms if n == "smpheap_xtensa_mark"]
    if not marks:
        sys.exit(f"{elf}: no smpheap_xtensa_mark()")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "exec.log")
        run = subprocess.run(
            ["timeout", "300", "qemu-system-xtensa", "-M", "sim", "-cpu", "lx106",
             "-display", "none", "-monitor", "none", "-serial", "none", "-semihosting",
             "-singlestep", "-d", "exec,nochain", "-D", log, "-kernel", elf])
        if run.returncode != 0:
            sys.exit(f"{elf}: exit code {run.returncode}")
        stretches, cur, pat = [], None, re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/")
        with open(log) as f:
            for line in f:
                m = pat.search(line)
                if not m:
                    continue
                pc = int(m.group(1), 16)
                if pc == marks[0]:
                    if cur is not None:
                        stretches.append(cur)
                    cur = {}
                    continue
                if cur is not None:
                    name = syms[bisect.bisect_right(addrs, pc) - 1][1]
                    cur[name] = cur.get(name, 0) + 1
    for i, st in enumerate(stretches):
        st.pop("smpheap_xtensa_mark", None)
        label = labels[i] if i < len(labels) else f"stretch {i + 1}"
        print(f"{label}: {sum(st.values())} instructions")
        for name, n in sorted(st.items(), key=lambda kv: -kv[1]):
            print(f"  {n:6d}  {name}")


if __name__ == "__main__":
    main()
