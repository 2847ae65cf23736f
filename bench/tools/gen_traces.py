#!/usr/bin/env python3
"""Writes the two example allocation traces of results/traces/ (format in
bench/README.md). Deterministic: the same seed gives the same files.

  gen_traces.py OUTDIR

sof-pipelines-2core: a SOF-like firmware on 2 cores. Boot-time system
  allocations, then use cases that build 1-3 pipelines (component structs of
  100-600 B, their private data, period buffers of rate x channels x sample
  bytes x periods), IPC messages handled on core 0, and teardowns that core 0
  often performs for pipelines living on core 1 (cross-core frees).
kpb-handoff-4core: a key-phrase buffer on 4 cores. Core 0 captures periods
  into buffers handed to cores 1-3, which free them; a large history buffer
  is reallocated on every detection; small runtime messages on every core.
"""
import os
import random
import sys

RATES = [16000, 48000, 48000, 96000]
CHANNELS = [1, 2, 2, 4, 8]


class Trace:
    def __init__(self):
        self.events = []  # (time, seq, core, op, zone, size, id)
        self.next_id = 1
        self.seq = 0

    def alloc(self, t, core, zone, size):
        i = self.next_id
        self.next_id += 1
        self.events.append((t, self.seq, core, "a", zone, size, i))
        self.seq += 1
        return i

    def free(self, t, core, zone, i):
        self.events.append((t, self.seq, core, "f", zone, 0, i))
        self.seq += 1

    def write(self, path, header):
        self.events.sort()
        with open(path, "w") as f:
            for line in header.strip().splitlines():
                f.write("# " + line + "\n")
            f.write("# time_us core op zone size id\n")
            for (t, _, core, op, zone, size, i) in self.events:
                f.write("%d %d %s %s %d %d\n" % (t, core, op, zone, size, i))


def period_buffer(rng):
    rate, ch = rng.choice(RATES), rng.choice(CHANNELS)
    sample, periods = rng.choice([2, 4]), rng.randint(2, 4)
    return rate // 1000 * ch * sample * periods


def sof_pipelines(path):
    rng = random.Random(20261125)
    tr = Trace()
    t = 0
    for core, n in ((0, 40), (1, 20)):
        for _ in range(n):
            tr.alloc(t, core, "sys", rng.choice([32, 64, 128, 256, 512, 1024]))
            t += 3
    live = []  # (end time, core that frees, [(zone, id)])
    for _ in range(60):  # use cases
        t += rng.randint(200, 2000)
        core = rng.randint(0, 1)
        for _ in range(rng.randint(1, 3)):
            objs = []
            for _ in range(rng.randint(3, 8)):
                t += rng.randint(1, 5)
                objs.append(("runtime", tr.alloc(t, core, "runtime", rng.randint(100, 600))))
                if rng.random() < 0.5:
                    t += 1
                    objs.append(("runtime", tr.alloc(t, core, "runtime", rng.randint(16, 256))))
            for _ in range(rng.randint(1, 3)):
                t += rng.randint(1, 5)
                objs.append(("buffer", tr.alloc(t, core, "buffer", period_buffer(rng))))
            freer = 0 if rng.random() < 0.4 else core  # IPC teardown from core 0
            live.append((t + rng.randint(5000, 60000), freer, objs))
        for _ in range(rng.randint(2, 10)):  # IPC messages on core 0
            t += rng.randint(5, 50)
            i = tr.alloc(t, 0, "runtime", rng.choice([64, 128, 192, 384]))
            tr.free(t + rng.randint(1, 20), 0, "runtime", i)
        for end, freer, objs in [x for x in live if x[0] <= t]:
            for k, (zone, i) in enumerate(reversed(objs)):
                tr.free(end + k, freer, zone, i)
        live = [x for x in live if x[0] > t]
    for end, freer, objs in live:
        t = max(t, end)
        for zone, i in reversed(objs):
            t += 1
            tr.free(t, freer, zone, i)
    tr.write(path, __doc__.split("\n\n")[2].split("kpb-handoff")[0])


def kpb_handoff(path):
    rng = random.Random(4242)
    tr = Trace()
    t = 0
    for core in range(4):
        for _ in range(10):
            tr.alloc(t, core, "sys", rng.choice([64, 256, 512]))
            t += 2
    history = tr.alloc(t, 0, "buffer", 64 * 1024)
    pending = []  # (free time, core, id)
    for period in range(900):
        t += 1000  # 1 ms periods
        buf = tr.alloc(t, 0, "buffer", rng.choice([768, 1536, 3072]))
        pending.append((t + rng.randint(100, 4000), 1 + period % 3, buf))
        for core in range(4):
            if rng.random() < 0.3:
                i = tr.alloc(t + 10 + core, core, "runtime", rng.randint(16, 512))
                tr.free(t + 20 + core + rng.randint(0, 300), rng.randint(0, 3), "runtime", i)
        if period % 150 == 149:  # a detection: the history buffer is replaced
            tr.free(t + 500, 0, "buffer", history)
            history = tr.alloc(t + 501, 0, "buffer", rng.choice([32, 64, 96]) * 1024)
        for ft, core, i in [p for p in pending if p[0] <= t]:
            tr.free(ft, core, "buffer", i)
        pending = [p for p in pending if p[0] > t]
    for ft, core, i in pending:
        tr.free(ft, core, "buffer", i)
    tr.free(t + 10000, 0, "buffer", history)
    tr.write(path, "kpb-handoff" + __doc__.split("\nkpb-handoff")[1])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "results/traces"
    os.makedirs(out, exist_ok=True)
    sof_pipelines(os.path.join(out, "sof-pipelines-2core.trace"))
    kpb_handoff(os.path.join(out, "kpb-handoff-4core.trace"))


main()
