#!/usr/bin/env python3
"""Renders the benchmark report from stored results.

  report.py RESULTS_DIR

For every machine folder RESULTS_DIR/<machine>/ holding Google Benchmark
JSON (<date>.json, from `make bench` or the bare-metal driver) it takes the
newest complete run and the newest icount-*.json, and writes
<machine>/report.md with SVG plots in <machine>/plots/ (gnuplot). Then
RESULTS_DIR/README.md puts the machines side by side. Only the standard
library and gnuplot: every figure is read from the JSON, nothing is typed in.

A run made with a filter (`make bench BENCH_FILTER=...`: the context's
`benchmark_filter` is not one that selects everything) holds only some
benchmarks and is left out, as is a file that is not valid JSON (a run that
was cut short); files without the key (older runs, the bare-metal driver)
are complete runs.
"""
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

STRATS = ["smpheap", "blockmap-lock", "tlsf-lock", "sysheap-lock", "glibc", "jemalloc",
          "mimalloc", "tcmalloc", "tbbmalloc"]
GENERAL = ["tlsf-lock", "sysheap-lock"]  # the firmware's general heaps (issue 9)
FLOORS = ["floor-atomic", "floor-plain"]
NOCACHE = "smpheap-nocache"  # smpheap on the host layout, word-claim cache off
ORDER = FLOORS + ["smpheap", NOCACHE] + STRATS[1:]
PCTS = ["p50", "p90", "p99", "p99.9", "p99.99", "max"]
# a name part that says which layout a run used ("churn/smpheap/host/..."); a
# run without one is on the workload's usual layout (tgl for pipeline and churn)
LAYOUTS = ("host", "tgl", "apl")
# Google Benchmark's filters that select every benchmark ("" and "all" mean ".")
FULL_FILTERS = ("", ".", ".*", "all")
NOT_MEASURED = "not measured"
CHURN_ZONES = {1: "runtime 16 B-4 KiB", 2: "buffer 256 B-32 KiB"}
ALPHA = 0.05  # the U test's significance level, as compare.py's


def parse_name(name):
    parts = name.split("/")
    r = {"workload": parts[0], "strategy": parts[1] if len(parts) > 1 else "", "params": {},
         "threads": 1, "extra": [], "layout": None}
    for p in parts[2:]:
        if ":" in p:
            k, v = p.split(":", 1)
            if k == "threads":
                r["threads"] = int(v)
            elif k != "iterations":
                r["params"][k] = int(v) if re.fullmatch(r"-?\d+", v) else v
        elif p in LAYOUTS and r["layout"] is None:
            r["layout"] = p
        elif p not in ("manual_time", "real_time", "process_time"):
            r["extra"].append(p)
    return r


def load_json(path):
    """The document, or None (with a note) if it is not valid JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("report: %s left out: not valid JSON (%s)\n" % (path, e))
        return None


def run_filter(doc):
    """The run's benchmark filter if it selected only some benchmarks, else None."""
    f = doc.get("context", {}).get("benchmark_filter")
    return None if f is None or f.strip() in FULL_FILTERS else f


class Run:
    def __init__(self, path, doc=None):
        if doc is None:
            with open(path) as f:
                doc = json.load(f)
        self.path = path
        self.ctx = doc.get("context", {})
        rows = doc.get("benchmarks", [])
        # with repetitions, the medians stand for the run
        if any(b.get("aggregate_name") == "median" for b in rows):
            rows = [b for b in rows if b.get("aggregate_name") == "median"]
        else:
            rows = [b for b in rows if b.get("run_type", "iteration") == "iteration"]
        self.rows = []
        for b in rows:
            if b.get("error_occurred"):
                continue
            b = dict(b)
            b.update(parse_name(b["run_name"] if "run_name" in b else b["name"]))
            self.rows.append(b)
        # every repetition of each benchmark, for the significance tests
        self.reps_of = {}
        for b in doc.get("benchmarks", []):
            if b.get("run_type", "iteration") == "iteration" and not b.get("error_occurred"):
                self.reps_of.setdefault(b.get("run_name", b["name"]), []).append(b)
        # benchmarks that failed with an error (e.g. ipc4-reload's leak check)
        self.errors = sorted({(b.get("run_name", b["name"]), b.get("error_message", ""))
                              for b in doc.get("benchmarks", []) if b.get("error_occurred")})

    def reps(self, b):
        """The repetitions of the benchmark whose median (or only) row is b."""
        if not b:
            return []
        return self.reps_of.get(b.get("run_name", b.get("name")), [b])

    def find(self, workload, strategy=None, threads=None, layout=None, **params):
        """layout: None for the workload's usual layout, "host": the runs
        named <workload>/<strategy>/host/..."""
        out = []
        for b in self.rows:
            if b["workload"] != workload or (strategy and b["strategy"] != strategy):
                continue
            if b["layout"] != layout:
                continue
            if threads is not None and b["threads"] != threads:
                continue
            if any(b["params"].get(k) != v for k, v in params.items()):
                continue
            out.append(b)
        return out

    def one(self, workload, strategy, threads=None, layout=None, **params):
        r = self.find(workload, strategy, threads, layout, **params)
        return r[0] if r else None

    def strategies(self, workload, layout=None):
        seen = []
        for b in self.rows:
            if (b["workload"] == workload and b["layout"] == layout
                    and b["strategy"] not in seen):
                seen.append(b["strategy"])
        return sorted(seen, key=lambda s: ORDER.index(s) if s in ORDER else 99)


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 1e9:
        return "%.2fG" % (v / 1e9)
    if abs(v) >= 1e6:
        return "%.2fM" % (v / 1e6)
    if abs(v) >= 10000:
        return "%.0f" % v
    return ("%%.%df" % digits) % v


def tmean_ns(run, b):
    """The pair's mean without its top 0.1 % (preemptions), in ns."""
    hz = float(run.ctx.get("cycles_hz", 0) or 0)
    if not b or "mean_p99.9_cyc" not in b or not hz:
        return None
    return b["mean_p99.9_cyc"] * 1e9 / hz


def ns_per_item(b):
    ips = b.get("items_per_second") if b else None
    return 1e9 / ips if ips else None


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append("| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in r) + " |")
    return "\n".join(out) + "\n"


class Plotter:
    def __init__(self, outdir):
        self.outdir = outdir
        self.tmp = tempfile.mkdtemp(prefix="smpheap-report-")
        self.ok = shutil.which("gnuplot") is not None
        os.makedirs(outdir, exist_ok=True)

    def plot(self, name, script, data):
        """data: {file: text}; the script refers to them by name."""
        if not self.ok:
            return None
        for fname, text in data.items():
            with open(os.path.join(self.tmp, fname), "w") as f:
                f.write(text)
        ext = os.environ.get("BENCH_PLOT_FORMAT", "svg")  # png: for a quick look
        out = os.path.abspath(os.path.join(self.outdir, name + "." + ext))
        term = ("svg size 900,480 dynamic font 'sans,12' background '#ffffff'" if ext == "svg"
                else "pngcairo size 900,480 font 'sans,10'")
        full = ("set terminal " + term + "\n"
                "set output '%s'\nset grid ytics\nset key outside right\n%s\n" % (out, script))
        r = subprocess.run(["gnuplot"], input=full, text=True, cwd=self.tmp,
                           capture_output=True)
        if r.returncode != 0:
            sys.stderr.write("report: gnuplot failed for %s: %s\n" % (name, r.stderr))
            return None
        return "plots/" + os.path.basename(out)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def bars(plotter, name, title, ylabel, cats, series, logscale=False):
    """Clustered bars: cats on x, one bar per series (dict name -> [values])."""
    lines = ["cat " + " ".join('"%s"' % s for s in series)]
    for i, c in enumerate(cats):
        vals = []
        for s in series:
            v = series[s][i]
            vals.append("%g" % v if v is not None else "?")
        lines.append('"%s" %s' % (c, " ".join(vals)))
    script = ("set title '%s'\nset ylabel '%s'\nset style data histograms\n"
              "set style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
              "set datafile missing '?'\nset xtics rotate by -25\n%s"
              "plot for [i=2:%d] 'bars.dat' using i:xtic(1) title columnheader(i)\n"
              % (title, ylabel, "set logscale y\n" if logscale else "set yrange [0:*]\n",
                 len(series) + 1))
    return plotter.plot(name, script, {"bars.dat": "\n".join(lines) + "\n"})


def lines_plot(plotter, name, title, xlabel, ylabel, xs, series, logx=False, logy=False,
               xtics=None):
    data = {}
    plots = []
    for i, (s, ys) in enumerate(series.items()):
        fname = "l%d.dat" % i
        data[fname] = "".join("%g %g\n" % (x, y) for x, y in zip(xs, ys) if y is not None)
        if data[fname]:
            plots.append("'%s' using 1:2 with linespoints lw 2 title '%s'" % (fname, s))
    if not plots:
        return None
    script = "set title '%s'\nset xlabel '%s'\nset ylabel '%s'\n" % (title, xlabel, ylabel)
    if logx:
        script += "set logscale x 2\n"
    if logy:
        script += "set logscale y\n"
    if xtics:
        script += "set xtics (%s)\n" % ", ".join('"%s" %g' % (l, x) for l, x in xtics)
    script += "plot " + ", ".join(plots) + "\n"
    return plotter.plot(name, script, data)


def u_test(a, b):
    """Two-sided Mann-Whitney U test of samples a and b: the p-value, as
    scipy.stats.mannwhitneyu (which compare.py uses) computes it by default:
    the exact distribution for up to 8 samples a side without ties, else the
    normal approximation with tie and continuity corrections."""
    n1, n2 = len(a), len(b)
    pooled = sorted((v, i) for i, v in enumerate(list(a) + list(b)))
    ranks = [0.0] * (n1 + n2)
    k, ties = 0, []
    while k < len(pooled):
        j = k
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[k][0]:
            j += 1
        for t in range(k, j + 1):
            ranks[pooled[t][1]] = (k + j) / 2.0 + 1
        ties.append(j - k + 1)
        k = j + 1
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    if n1 <= 8 and n2 <= 8 and all(t == 1 for t in ties):
        # counts of each U over all arrangements: f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)
        f = {}

        def count(m, n, u):
            if u < 0 or u > m * n:
                return 0
            if m == 0 or n == 0:
                return 1 if u == 0 else 0
            key = (m, n, u)
            if key not in f:
                f[key] = count(m - 1, n, u - n) + count(m, n - 1, u)
            return f[key]
        total = sum(count(n1, n2, u) for u in range(n1 * n2 + 1))
        u = int(round(min(u1, n1 * n2 - u1)))
        return min(1.0, 2.0 * sum(count(n1, n2, v) for v in range(u + 1)) / total)
    n = n1 + n2
    mu = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((n + 1) - sum(t ** 3 - t for t in ties) / float(n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (abs(u1 - mu) - 0.5) / var ** 0.5
    return min(1.0, math.erfc(max(z, 0.0) / 2 ** 0.5))


def significance(a, b, exact=False):
    """Whether samples a and b (repetitions) differ: (label, significant).
    exact: counts of a seeded, single-threaded workload, the same in every
    repetition by construction (if they are: a spread falls back to the
    test). Timings need 2 repetitions a side."""
    a = [v for v in a if v is not None]
    b = [v for v in b if v is not None]
    if not a or not b:
        return "-", True
    if exact and len(set(a)) == 1 and len(set(b)) == 1:
        return "exact (a seeded count, the same in every repetition: %d)" % len(a), True
    if len(a) < 2 or len(b) < 2:
        return "untested (1 repetition)", False
    p = u_test(a, b)
    return ("p=%.3f, %d vs %d repetitions%s" % (p, len(a), len(b),
                                                 "" if p < ALPHA else ": within noise"),
            p < ALPHA)


def against_constant(a, k, exact=False):
    """Whether repetitions a fall on one side of the constant target k:
    (label, significant). A seeded count the same every time is exact; one
    that moves a little between repetitions is still clear if every
    repetition is on the same side of k."""
    a = [v for v in a if v is not None]
    if not a:
        return "-", True
    if exact and len(set(a)) == 1:
        return "exact (a seeded count, the same in every repetition: %d)" % len(a), True
    if len(a) < 2:
        return "untested (1 repetition)", False
    if all(v >= k for v in a) or all(v < k for v in a):
        return ("all %d repetitions on one side of %g (%g to %g)" % (len(a), k, min(a), max(a)),
                True)
    return "repetitions on both sides of %g: within noise" % k, False


def verdict(ok, significant=True):
    if significant:
        return "**met**" if ok else "**missed**"
    return "met, within noise" if ok else "missed, within noise"


def target_row(issue, what, measured=None, ok=None, sig=("-", True)):
    """One row of the targets table; measured None: the run lacks a figure."""
    if measured is None:
        return [str(issue), what, NOT_MEASURED, "-", "-"]
    return [str(issue), what, measured, verdict(ok, sig[1]), sig[0]]


OPS = {"<=": lambda r, k: r <= k, ">=": lambda r, k: r >= k, ">": lambda r, k: r > k}


def ratio_row(run, issue, what, ra, rb, get, op, k, unit=" ns", fmt_v=lambda v: "%.1f" % v,
              digits=2, exact=False):
    """get(ra) vs get(rb) (the medians) and their ratio, met if ratio `op` k;
    the repetitions of a against those of b scaled by k in a U test say
    whether the margin is more than noise. Not measured if a figure is
    missing."""
    a, b = (get(ra) if ra else None), (get(rb) if rb else None)
    if a is None or b is None:
        return target_row(issue, what)
    r = a / b if b else (1.0 if a == b else float("inf"))
    sig = significance([get(x) for x in run.reps(ra)], [k * get(x) for x in run.reps(rb)],
                       exact)
    return target_row(issue, what, "%s%s vs %s%s: %.*fx" % (fmt_v(a), unit, fmt_v(b), unit,
                                                            digits, r), OPS[op](r, k), sig)


def ips(b):
    return b.get("items_per_second") if b else None


def counter(name):
    return lambda b: b.get(name) if b else None


def better_general(run, workload, key, best=max, **params):
    """The row of tlsf-lock or sysheap-lock with the better `key` (best=max:
    higher is better), or None when neither ran."""
    rows = [r for r in (run.one(workload, g, **params) for g in GENERAL) if r and key in r]
    return best(rows, key=lambda r: r[key]) if rows else None


def targets(run, ic):
    """The issues' targets, each from this run's figures (and the icount
    file's); a figure the run lacks is "not measured"."""
    rows = []
    # issue 3
    s1 = run.one("threads", "smpheap", 1, size=64)
    f1 = run.one("threads", "floor-atomic", 1, size=64)
    p64 = run.one("pair", "smpheap", size=64)
    fa = run.one("pair", "floor-atomic", size=64)
    tm = lambda b: tmean_ns(run, b)  # noqa: E731
    # The floor target is the pure lock-free path's (the word-claim cache
    # goes below the floor by design): smpheap-nocache where the run has it.
    pure = NOCACHE if run.one("threads", NOCACHE, 1, size=64) else "smpheap"
    rows.append(ratio_row(run, 3, "runtime 64 B pair, lock-free path (%s), within 1.5x the "
                          "atomic floor (throughput, `threads` t=1)" % pure,
                          run.one("threads", pure, 1, size=64), f1, ns_per_item, "<=", 1.5))
    rows.append(ratio_row(run, 3, "same, per-operation latency (`pair`, mean of individually "
                          "timed pairs without the top 0.1 %)",
                          run.one("pair", pure, size=64), fa, tm, "<=", 1.5))
    t2 = run.one("threads", "smpheap", 2, size=64)
    rows.append(ratio_row(run, 3, "`threads` 2 on 2 cores: aggregate >= 1.8x one thread "
                          "(smpheap)", t2, s1, ips, ">=", 1.8, "/s", fmt))
    s8 = run.one("threads", "smpheap", 8, size=64)
    b8 = run.one("threads", "blockmap-lock", 8, size=64)
    rows.append(ratio_row(run, 3, "8 threads on 2 cores: smpheap p99.9 <= 1/10 of "
                          "blockmap-lock's", s8, b8, counter("p99.9_ns"), "<=", 0.1, " ns",
                          lambda v: "%.0f" % v, 3))
    for size in (64, 4096):
        rows.append(ratio_row(run, 3, "`handoff` %d B: smpheap >= mimalloc throughput" % size,
                              run.one("handoff", "smpheap", size=size),
                              run.one("handoff", "mimalloc", size=size), ips, ">=", 1.0, "/s",
                              fmt))
    ps = run.one("pipeline", "smpheap")
    pb = run.one("pipeline", "blockmap-lock")
    rows.append(ratio_row(run, 3, "`pipeline` on tgl: smpheap fits more pipelines than "
                          "blockmap-lock", ps, pb, counter("pipelines"), ">", 1.0, "",
                          lambda v: "%d" % v, exact=True))
    # issue 6: the per-thread word-claim cache
    tc1 = run.one("threads", "tcmalloc", 1, size=64)
    rows.append(ratio_row(run, 6, "runtime 64 B pair on one thread <= 0.6x tcmalloc's time "
                          "(throughput, `threads` t=1)", s1, tc1, ns_per_item, "<=", 0.6))
    rows.append(ratio_row(run, 6, "same, per-operation latency (`pair` 64 B, mean without the "
                          "top 0.1 %)", p64, run.one("pair", "tcmalloc", size=64), tm, "<=",
                          0.6))
    icf = (ic or {}).get("figures", {})
    what = "runtime 64 B alloc+free <= 20 instructions (callgrind `runtime64_pair`)"
    if "runtime64_pair" in icf:
        rows.append(target_row(6, what, "%.1f" % icf["runtime64_pair"],
                               icf["runtime64_pair"] <= 20,
                               ("exact (an instruction count)", True)))
    else:
        rows.append(target_row(6, what))
    rows.append(ratio_row(run, 6, "`threads` 64 B: 2 threads >= 1.9x one thread (smpheap)",
                          t2, s1, ips, ">=", 1.9, "/s", fmt))
    for size in (64, 4096):
        rows.append(ratio_row(run, 6, "`handoff` %d B: no loss, smpheap >= smpheap-nocache "
                              "throughput" % size, run.one("handoff", "smpheap", size=size),
                              run.one("handoff", NOCACHE, size=size), ips, ">=", 1.0, "/s", fmt))
    n8 = run.one("threads", NOCACHE, 8, size=64)
    rows.append(ratio_row(run, 6, "`threads` 8 threads, 64 B: no loss in p99.9, smpheap <= "
                          "smpheap-nocache", s8, n8, counter("p99.9_ns"), "<=", 1.0, " ns",
                          lambda v: "%.0f" % v))
    pipe, churn = cache_host(run)
    for what, cmp_ in (("`pipeline` on host: smpheap fits no fewer pipelines than "
                        "smpheap-nocache", pipe),
                       ("`churn` on host (runtime zone): smpheap's failure rate no higher "
                        "than smpheap-nocache's at each fill", churn)):
        if cmp_:
            rows.append(target_row(6, what, "; ".join(c[1] for c in cmp_),
                                   all(c[2] for c in cmp_), ("exact (seeded sequence)", True)))
        else:
            rows.append(target_row(6, what))
    rows += targets_issue11(run)
    if is_icount_run(run):
        # a bare-metal run under -icount measures issue 12's DSP targets
        # only: the host rows above are the host's (those it lacks are left
        # out rather than listed as not measured)
        rows = [r for r in rows if r[2] != NOT_MEASURED]
    rows += targets_issue12(run, ic)
    return rows


def is_icount_run(run):
    """A bare-metal run whose counter is read as instructions (QEMU -icount)."""
    return bool(run.ctx.get("insns_per_tick_milli"))


def exact_row(issue, what, value, ok, how, unit=" instructions"):
    """A target row of one instruction count (exact by construction: `how`)."""
    return target_row(issue, what, "%.1f%s" % (value, unit), ok, ("exact (%s)" % how, True))


def insns_figure(run, op, strat, direct=False):
    """A bare-metal `insns*` figure: instructions per operation, or None."""
    # named insns[-direct]/<op>/<strategy>: the strategy is the name's third part
    for b in run.find("insns-direct" if direct else "insns", op):
        if b["extra"][:1] == [strat]:
            return b.get("insns_per_op")
    return None


def insns_per_item(run, b):
    """Instructions per item of a bare-metal run's benchmark: its cycles per
    item (CCOUNT ticks) times the calibrated instructions per tick."""
    hz = float(run.ctx.get("cycles_hz", 0) or 0)
    ipt = float(run.ctx.get("insns_per_tick_milli", 0) or 0) / 1000
    i = ips(b)
    return hz / i * ipt if hz and ipt and i else None


def targets_issue12(run, ic):
    """Issue 12's targets (lean paths): the DSP's from a bare-metal run under
    -icount, the host's from a host run and its callgrind file."""
    return targets_issue12_dsp(run) if is_icount_run(run) else targets_issue12_host(run, ic)


def targets_issue12_dsp(run):
    rows = []
    ib = (run.find("insns") or [{}])[0]
    ipt = float(run.ctx.get("insns_per_tick_milli", 0) or 0) / 1000
    # each timed window and each baseline window is within one tick
    bound = (", within %.2f instructions" % (2 * ib["windows"] * ipt / ib["ops"])
             if ib.get("windows") and ib.get("ops") else "")
    qemu = "QEMU -icount: a deterministic count, CCOUNT ticks over %s operations%s" % (
        fmt(ib.get("ops"), 0), bound)
    own = insns_figure(run, "runtime_pair", "smpheap", direct=True)
    what = "Xtensa 64 B pair (smpheap's own API, `insns-direct`) <= 150 instructions"
    rows.append(exact_row(12, what, own, own <= 150, qemu) if own is not None
                else target_row(12, what))
    for op, what, k, strict in (
            ("runtime_pair", "Xtensa 64 B pair below blockmap-lock's (both through the "
             "strategy interface, `insns`)", 1.0, True),
            ("buffer_pair", "Xtensa buffer 4 KiB pair <= 0.8x blockmap-lock's (`insns`)", 0.8,
             False)):
        a, b = insns_figure(run, op, "smpheap"), insns_figure(run, op, "blockmap-lock")
        if a is None or b is None:
            rows.append(target_row(12, what))
            continue
        r = a / b if b else float("inf")
        rows.append(target_row(12, what, "%.1f vs %.1f instructions: %.2fx" % (a, b, r),
                               r < k if strict else r <= k, ("exact (%s)" % qemu, True)))
    sys_ = insns_figure(run, "sys_alloc", "smpheap", direct=True)
    what = "Xtensa system alloc (16 B, `insns-direct`) <= 30 instructions"
    rows.append(exact_row(12, what, sys_, sys_ <= 30, qemu) if sys_ is not None
                else target_row(12, what))
    a = run.one("batch", "smpheap", n=256, size=64)
    b = run.one("batch", "blockmap-lock", n=256, size=64)
    what = "Xtensa `batch` 64 B below blockmap-lock's per operation"
    ia, ib = insns_per_item(run, a), insns_per_item(run, b)
    if ia is None or ib is None:
        rows.append(target_row(12, what))
    else:
        rows.append(target_row(12, what, "%.1f vs %.1f instructions per operation: %.2fx"
                               % (ia, ib, ia / ib), ia < ib,
                               ("exact (QEMU -icount: a deterministic count, CCOUNT ticks "
                                "of %.0f instructions summed over the run)"
                                % (float(run.ctx["insns_per_tick_milli"]) / 1000), True)))
    a = run.one("fill", "smpheap", target=90)
    g = run.one("fill", "tlsf-lock", target=90)
    for side in ("alloc", "free"):
        key = side + "_max_insns"
        what = ("DSP worst case: smpheap's most costly %s in `fill` at 90 %% on tgl no higher "
                "than tlsf-lock's (instructions, ICOUNT)" % ("allocation" if side == "alloc"
                                                             else "free"))
        if not (a and g and key in a and key in g):
            rows.append(target_row(12, what))
            continue

        def worst(b):
            failed = side == "alloc" and b.get("alloc_max_insns_failed")
            return "%s: %.0f (a %d B %s%s)" % (b["strategy"], b[key],
                                               int(b.get(side + "_max_insns_size", 0)),
                                               "request" if side == "alloc" else "block",
                                               ", failed" if failed else "")
        rows.append(target_row(12, what, "%s vs %s" % (worst(a), worst(g)), a[key] <= g[key],
                               ("exact (every operation of a seeded sequence counted by "
                                "ICOUNT)", True)))
    return rows


def targets_issue12_host(run, ic):
    rows = []
    icf = (ic or {}).get("figures", {})
    cg = "an instruction count, callgrind"
    for key, what, limit in (
            ("tgl_runtime64_pair", "host pure path: `tgl` 64 B pair (cache off) <= 110 "
             "instructions (callgrind `tgl_runtime64_pair`)", 110),
            ("runtime64_pair_nocache", "host pure path: `smpheap-nocache` 64 B pair <= 110 "
             "instructions (callgrind `runtime64_pair_nocache`)", 110),
            ("runtime64_pair", "host cached: 64 B pair <= 60 instructions (callgrind "
             "`runtime64_pair`)", 60),
            ("sys_alloc", "host: system alloc <= 16 instructions (callgrind `sys_alloc`)", 16),
            ("buffer4k_pair", "host: buffer 4 KiB pair <= 200 instructions (callgrind "
             "`buffer4k_pair`)", 200)):
        rows.append(exact_row(12, what, icf[key], icf[key] <= limit, cg) if key in icf
                    else target_row(12, what))
    s1 = run.one("threads", "smpheap", 1, size=64)
    rows.append(ratio_row(run, 12, "host pure path: one thread >= 1.25x blockmap-lock's "
                          "throughput (`threads` t=1, 64 B, smpheap-nocache)",
                          run.one("threads", NOCACHE, 1, size=64),
                          run.one("threads", "blockmap-lock", 1, size=64), ips, ">=", 1.25,
                          "/s", fmt))
    rows.append(ratio_row(run, 12, "host cached: one thread >= tcmalloc's throughput "
                          "(`threads` t=1, 64 B)", s1,
                          run.one("threads", "tcmalloc", 1, size=64), ips, ">=", 1.0, "/s",
                          fmt))
    rows.append(ratio_row(run, 12, "host: 2 threads >= 1.9x one thread (`threads` 64 B, "
                          "smpheap)", run.one("threads", "smpheap", 2, size=64), s1, ips, ">=",
                          1.9, "/s", fmt))
    rows.append(ratio_row(run, 12, "host: 8 threads on 2 cores, smpheap p99.9 <= 1/10 of "
                          "blockmap-lock's", run.one("threads", "smpheap", 8, size=64),
                          run.one("threads", "blockmap-lock", 8, size=64), counter("p99.9_ns"),
                          "<=", 0.1, " ns", lambda v: "%.0f" % v, 3))
    return rows


def joined(sigs):
    """Several significance results as one: each distinct label once."""
    labels = []
    for label, _ in sigs:
        labels += [label] if label not in labels else []
    return "; ".join(labels), all(ok for _, ok in sigs)


def targets_issue11(run):
    """Issue 11's targets (the runtime zone on demand), from the workloads
    that measure them; the library that meets them comes later."""
    rows = []
    pipes = counter("pipelines")
    d = lambda v: "%d" % v  # noqa: E731
    ps, pb = run.one("pipeline", "smpheap"), run.one("pipeline", "blockmap-lock")
    rows.append(ratio_row(run, 11, "`pipeline` on tgl: smpheap fits >= 3.5x blockmap-lock's "
                          "pipelines", ps, pb, pipes, ">=", 3.5, "", d, exact=True))
    for wl in ("pipeline", "ipc4-pipelines"):
        b = run.one(wl, "smpheap")
        what = "`%s` on tgl: smpheap's first failure at >= 90 %% of its bytes in use" % wl
        if b and b.get("used_at_failure_pct") is not None:
            v = b["used_at_failure_pct"]
            rows.append(target_row(11, what, "%.1f %%" % v, v >= 90,
                                   against_constant([x.get("used_at_failure_pct")
                                                     for x in run.reps(b)], 90.0, True)))
        else:
            rows.append(target_row(11, what))
    for wl in ("pipeline", "ipc4-pipelines"):
        g = better_general(run, wl, "pipelines")
        rows.append(ratio_row(run, 11, "`%s` on tgl: smpheap fits >= 0.95x the better of "
                              "tlsf-lock/sysheap-lock's pipelines (%s)"
                              % (wl, g["strategy"] if g else "-"),
                              run.one(wl, "smpheap"), g, pipes, ">=", 0.95, "", d, exact=True))
    cells, oks, sigs = [], [], []
    for t in sorted({b["params"].get("target") for b in run.find("fill", "smpheap")}):
        a, g = run.one("fill", "smpheap", target=t), better_general(run, "fill", "success_pct",
                                                                     target=t)
        if not (a and g):
            continue
        r = a["success_pct"] / g["success_pct"] if g["success_pct"] else float("inf")
        cells.append("%d %%: %.1f vs %.1f %% (%s)" % (t, a["success_pct"], g["success_pct"],
                                                    g["strategy"]))
        oks.append(r >= 0.95)
        sigs.append(significance([x.get("success_pct") for x in run.reps(a)],
                                 [0.95 * x.get("success_pct") for x in run.reps(g)], True))
    what = ("`fill` on tgl: smpheap's success rate >= 0.95x the better of "
            "tlsf-lock/sysheap-lock's at every target")
    rows.append(target_row(11, what, "; ".join(cells), all(oks),
                           joined(sigs))
                if cells else target_row(11, what))
    cells, oks, sigs = [], [], []
    for z in (1, 2):
        a = run.one("churn", "smpheap", fill=90, zone=z)
        gs = [run.one("churn", g, fill=90, zone=z) for g in GENERAL]
        gs = [g for g in gs if g]
        if not (a and gs):
            continue
        fail = lambda b: b.get("failure_pct", 0.0)  # noqa: E731
        g = min(gs, key=fail)
        cells.append("%s: %s vs %s %% failed (%s)" % (CHURN_ZONES[z], fmt(fail(a), 2),
                                                     fmt(fail(g), 2), g["strategy"]))
        oks.append(fail(a) <= fail(g))
        sigs.append(significance([fail(x) for x in run.reps(a)], [fail(x) for x in run.reps(g)],
                                 True))
    what = "`churn` at 90 % on tgl: smpheap fails no more often than tlsf-lock and sysheap-lock"
    rows.append(target_row(11, what, "; ".join(cells), all(oks),
                           joined(sigs))
                if cells else target_row(11, what))
    for layout in (None, "tgl"):
        rows.append(ratio_row(run, 11, "buffer pair on %s: 256 KiB <= 2x the 4 KiB pair "
                              "(smpheap, mean without the top 0.1 %%)"
                              % (layout or run.ctx.get("layout", "host")),
                              run.one("pair", "smpheap", layout=layout, size=262144),
                              run.one("pair", "smpheap", layout=layout, size=4096),
                              lambda b: tmean_ns(run, b), "<=", 2.0))
    return rows


def cache_host(run):
    """smpheap vs smpheap-nocache on the host layout: ([pipeline], [churn per
    fill]), each entry (label, "a vs b", no worse) where both strategies ran."""
    pipe, churn = [], []
    a, b = run.one("pipeline", "smpheap", layout="host"), run.one("pipeline", NOCACHE,
                                                                  layout="host")
    if a and b and "pipelines" in a and "pipelines" in b:
        pipe.append(("pipeline", "%d vs %d pipelines" % (a["pipelines"], b["pipelines"]),
                     a["pipelines"] >= b["pipelines"]))
    fills = sorted({(x["params"].get("fill"), x["params"].get("zone"))
                    for x in run.find("churn", layout="host")},
                   key=lambda c: (c[1] or 0, c[0] or 0))
    for f, z in fills:
        a = run.one("churn", "smpheap", layout="host", fill=f, zone=z)
        b = run.one("churn", NOCACHE, layout="host", fill=f, zone=z)
        if a and b:
            fa_, fb_ = a.get("failure_pct", 0.0), b.get("failure_pct", 0.0)
            churn.append(("%d%% %s" % (f, CHURN_ZONES.get(z, "zone %s" % z)),
                          "%d%%%s: %s%% vs %s%% failed" % (f, "" if z == 1 else " zone %s" % z,
                                                           fmt(fa_, 2), fmt(fb_, 2)),
                          fa_ <= fb_))
    return pipe, churn


def icount_section(ic):
    if not ic:
        return ""
    f, t = ic["figures"], ic.get("targets", {})
    rows = []
    names = {"sys_alloc": "smpheap system alloc (16 B)",
             "runtime64_pair": "smpheap runtime 64 B alloc+free",
             "runtime64_pair_nocache": "smpheap-nocache runtime 64 B alloc+free (pure path)",
             "buffer4k_pair": "smpheap buffer 4 KiB alloc+free"}
    for k in ("sys_alloc", "runtime64_pair", "runtime64_pair_nocache", "buffer4k_pair"):
        if k in f:
            rows.append([names[k], "%.1f" % f[k], "<= %d" % t[k] if k in t else "-",
                         verdict(f[k] <= t[k]) if k in t else "-"])
    for s in ["smpheap", "blockmap-lock"] + STRATS[2:]:
        k = s + "_64_pair"
        if k in f:
            rows.append(["%s 64 B malloc+free (through the strategy interface)" % s,
                         "%.1f" % f[k], "-", "-"])
    return ("## Instructions per operation (callgrind)\n\n"
            "Host layout, one thread, %d operations per phase, a baseline loop around an "
            "empty function subtracted (%s). Stable where times are noisy.\n\n"
            % (ic["operations_per_phase"], ic.get("valgrind", "valgrind"))
            + table(["operation", "instructions", "target", ""], rows) + "\n")


def bounded_strategies(run):
    """Strategies with an arena (their runs report arena_bytes), in order."""
    seen = {b["strategy"] for b in run.rows if b.get("arena_bytes") is not None
            and b["layout"] is None}
    return sorted(seen, key=lambda s: ORDER.index(s) if s in ORDER else 99)


def pct(b, key):
    return "%.1f %%" % b[key] if b and b.get(key) is not None else "-"


def memory_section(run, plotter):
    """Memory efficiency on tgl: what fits in the same bytes."""
    strats = bounded_strategies(run)
    if not strats or not any(run.find(w) for w in ("pipeline", "ipc4-pipelines",
                                                   "ipc4-reload")):
        return ""  # e.g. the bare-metal run: fill only (its own section)
    peers = [s for s in run.strategies("ipc4-pipelines") if s not in strats]
    md = ["\n## Memory efficiency on tgl: the same bytes for every bounded strategy\n\n"
          "`pipeline`: synthetic pipelines; `ipc4-pipelines`: SOF IPC4-shaped pipelines "
          "(module structs, container chunks, private data measured on real modules, "
          "2 x max(ibs, obs) buffers, sometimes a 240 KiB KPB history buffer), created across "
          "cores until the first that does not fit; `used at failure`: the arena's bytes in "
          "use (live blocks, as the strategy counts them) when it did not. `ipc4-reload`: "
          "one topology created and destroyed N times (used bytes back at the baseline each "
          "time, or the benchmark fails), then the largest free block and a fill to the first "
          "failure on the reloaded heap. Arena: %s.%s\n\n"
          % (", ".join("%s %s B" % (s, fmt((run.one("pipeline", s) or run.one(
              "ipc4-pipelines", s) or {}).get("arena_bytes"), 0)) for s in strats),
             (" The unbounded peers (%s) get the same bytes as a budget (an ideal bound: "
              "their headers and fragmentation are not counted)." % ", ".join(peers))
             if peers else "")]
    rows = []
    for s_ in strats + peers:
        p, q, r = (run.one("pipeline", s_), run.one("ipc4-pipelines", s_),
                   run.one("ipc4-reload", s_))
        rows.append([s_, fmt(p and p.get("pipelines"), 0), pct(p, "used_at_failure_pct"),
                     fmt(q and q.get("pipelines"), 0), pct(q, "used_at_failure_pct"),
                     "%s%s" % (fmt(q and q.get("p50_ns"), 0),
                               " / %s" % fmt(q.get("p99_ns"), 0) if q else ""),
                     "%s after %s" % (fmt(r.get("pipelines_after"), 0), fmt(r.get("reloads"), 0))
                     if r else "-", pct(r, "used_at_failure_pct"),
                     "%s -> %s" % (fmt(r.get("largest_free_before"), 0),
                                   fmt(r.get("largest_free_after"), 0)) if r else "-"])
    md.append(table(["strategy", "pipeline: fit", "used at failure", "ipc4: fit",
                     "used at failure", "ipc4 setup p50 / p99 ns", "reload: fit",
                     "used at failure", "largest free B before -> after"], rows))
    cats = ["pipeline", "ipc4-pipelines", "ipc4 after reloads"]
    img = bars(plotter, "memory_pipelines", "pipelines that fit on tgl (same bytes)",
               "pipelines", cats,
               {s_: [(run.one("pipeline", s_) or {}).get("pipelines"),
                     (run.one("ipc4-pipelines", s_) or {}).get("pipelines"),
                     (run.one("ipc4-reload", s_) or {}).get("pipelines_after")]
                for s_ in strats})
    if img:
        md.append("\n![pipelines that fit](%s)\n" % img)
    img = bars(plotter, "memory_used_at_failure", "arena in use at the first failure (tgl)",
               "% of the arena", cats,
               {s_: [(run.one(w, s_) or {}).get("used_at_failure_pct")
                     for w in ("pipeline", "ipc4-pipelines", "ipc4-reload")] for s_ in strats})
    if img:
        md.append("\n![fill at first failure](%s)\n" % img)
    return "".join(md)


def fill_section(run, plotter):
    """Fill-to-target (Zephyr's heap stress method)."""
    fs = run.strategies("fill")
    if not fs:
        return ""
    tgts = sorted({b["params"].get("target") for b in run.find("fill")})
    md = ["\n## fill: fill to a target, Zephyr's heap stress method, on tgl\n\n"
          "Allocate below the target fill (with a chance falling from 1 at empty to 1/2 at "
          "the target), free a random block above it; sizes log-distributed (octave k with "
          "probability 2^-(k+1), from 16 B); a seeded sequence of %s operations, the same "
          "for every strategy. Fill = bytes asked by the live blocks / the arena (peers: the "
          "same bytes as a budget). Success rate of the allocations (average fill over the "
          "run).\n\n" % fmt((run.find("fill") or [{}])[0].get("iterations"), 0)]
    rows = []
    for s_ in fs:
        row = [s_]
        for t in tgts:
            b = run.one("fill", s_, target=t)
            row.append("%s (%s)" % (pct(b, "success_pct"), pct(b, "avg_fill_pct")) if b
                       else "-")
        rows.append(row)
    md.append(table(["strategy"] + ["target %d %%" % t for t in tgts], rows))
    worst = [b for b in run.find("fill") if "alloc_max_insns" in b]
    if worst:
        md.append("\n### fill: instructions of one operation (the worst case)\n\nEvery "
                  "allocation and free of the seeded sequence counted exactly (%s): p50 / "
                  "p99 / p99.9 / max, and the request size of the costliest one (failed: "
                  "the allocation did not succeed).\n\n"
                  % run.ctx.get("insns_counter", "the platform's instruction counter"))
        rows = []
        for b in sorted(worst, key=lambda b: (b["params"].get("target", 0),
                                              ORDER.index(b["strategy"])
                                              if b["strategy"] in ORDER else 99)):
            cells = [b["strategy"], "%d %%" % b["params"].get("target", 0)]
            for side in ("alloc", "free"):
                cells.append(" / ".join(fmt(b.get("%s_%s_insns" % (side, q)), 0)
                                        for q in ("p50", "p99", "p99.9", "max")))
                failed = side == "alloc" and b.get("alloc_max_insns_failed")
                cells.append("%d B%s" % (int(b.get(side + "_max_insns_size", 0)),
                                         ", failed" if failed else ""))
            rows.append(cells)
        md.append(table(["strategy", "target", "alloc p50/p99/p99.9/max", "costliest alloc",
                         "free p50/p99/p99.9/max", "costliest free"], rows))
    img = bars(plotter, "fill_success", "fill: allocation success rate by target",
               "% of allocations served", ["%d %%" % t for t in tgts],
               {s_: [(run.one("fill", s_, target=t) or {}).get("success_pct") for t in tgts]
                for s_ in fs})
    if img:
        md.append("\n![fill success](%s)\n" % img)
    return "".join(md)


def insns_section(run, plotter):
    """A bare-metal run's instruction counts (QEMU): every strategy its JSON
    has, by operation."""
    rows_ = [b for b in run.rows if b["workload"] in ("insns", "insns-direct")
             and b.get("insns_per_op") is not None]
    if not rows_:
        return ""
    ops, strats = [], []
    cell = {}
    for b in rows_:
        op = b["strategy"]
        strat = (b["run_name"].split("/") + ["", ""])[2]
        if b["workload"] == "insns-direct":
            strat += " (own API)"
        ops += [op] if op not in ops else []
        strats += [strat] if strat not in strats else []
        cell[(op, strat)] = b["insns_per_op"]
    strats.sort(key=lambda s: (ORDER.index(s.split(" ")[0]) if s.split(" ")[0] in ORDER else 99,
                               s))
    md = ["\n## Instructions per operation (bare metal)\n\nQEMU's instruction count per "
          "operation (`insns*` benchmarks), through the strategy interface unless marked "
          "\"own API\"; every strategy the run has, beside blockmap-lock.\n\n",
          table(["operation"] + strats,
                [[op] + [fmt(cell.get((op, s_)), 0) for s_ in strats] for op in ops])]
    img = bars(plotter, "insns", "instructions per operation (bare metal)", "instructions",
               ops, {s_: [cell.get((op, s_)) for op in ops] for s_ in strats})
    if img:
        md.append("\n![instructions per operation](%s)\n" % img)
    return "".join(md)


def newest_complete_run(machine_dir):
    """The newest run of a machine that is valid JSON and was not filtered."""
    paths = sorted((p for p in glob.glob(os.path.join(machine_dir, "*.json"))
                    if not os.path.basename(p).startswith("icount")), reverse=True)
    for p in paths:
        doc = load_json(p)
        if doc is None:
            continue
        f = run_filter(doc)
        if f is not None:
            print("report: %s left out: a filtered run (benchmark_filter %r)" % (p, f))
            continue
        return Run(p, doc)
    if paths:
        print("report: %s: no complete run, no report" % machine_dir)
    return None


def cache_section(run):
    """smpheap vs smpheap-nocache on the host layout (issue 6)."""
    pipe_s = run.one("pipeline", "smpheap", layout="host")
    pipe_n = run.one("pipeline", NOCACHE, layout="host")
    churn = run.find("churn", layout="host")
    if not (pipe_s or pipe_n or churn):
        return ""
    cap = (pipe_s or pipe_n or {}).get("pipeline_cap")
    md = ["\n## word-claim cache on the host layout: smpheap vs smpheap-nocache\n\n"
          "The same heap shape (`host` layout; %s) with the per-thread word-claim cache on "
          "(`smpheap`) and off (`smpheap-nocache`). `pipeline`: pipelines created until the "
          "first that does not fit (at most %s); `churn`: random sizes "
          "and lifetimes around a fill level of the runtime zone's capacity. Issue 6: the "
          "cache fails no more often than the pure path at the same fill.\n\n"
          % ("capacity: %s" % run.ctx["host_capacity"] if "host_capacity" in run.ctx
             else "capacity not recorded", fmt(cap, 0))]
    rows = []
    pipe, cmp_churn = cache_host(run)
    ok = {c[0]: c[2] for c in pipe + cmp_churn}

    def pipes(b):
        if not b:
            return NOT_MEASURED
        return "%s pipelines, %s%% failed" % (fmt(b.get("pipelines"), 0),
                                              fmt(b.get("failure_pct", 0.0), 2))
    rows.append(["pipeline", pipes(pipe_s), pipes(pipe_n),
                 verdict(ok["pipeline"]) if "pipeline" in ok else "-"])
    cfgs = sorted({(b["params"].get("fill"), b["params"].get("zone")) for b in churn},
                  key=lambda c: (c[1] or 0, c[0] or 0))
    for f, z in cfgs:
        label = "%d%% %s" % (f, CHURN_ZONES.get(z, "zone %s" % z))
        cells = []
        for s_ in ("smpheap", NOCACHE):
            b = run.one("churn", s_, layout="host", fill=f, zone=z)
            cells.append("%s%% failed" % fmt(b.get("failure_pct", 0.0), 2) if b
                         else NOT_MEASURED)
        rows.append(["churn " + label] + cells + [verdict(ok[label]) if label in ok else "-"])
    md.append(table(["benchmark", "smpheap", NOCACHE, "failures no higher"], rows))
    return "".join(md)


def report(machine_dir):
    run = newest_complete_run(machine_dir)
    if not run:
        return None
    ics = sorted(glob.glob(os.path.join(machine_dir, "icount-*.json")))
    ic = json.load(open(ics[-1])) if ics else None
    plotter = Plotter(os.path.join(machine_dir, "plots"))
    ctx = run.ctx
    md = ["# Benchmark report: %s\n" % os.path.basename(machine_dir.rstrip("/"))]
    md.append("From `%s` (rendered by bench/tools/report.py; every number below is read from "
              "that file%s).\n" % (os.path.basename(run.path),
                                   " and `%s`" % os.path.basename(ics[-1]) if ics else ""))
    keys = ["date", "machine", "cpu_model", "topology", "num_cpus", "mhz_per_cpu", "cycles_hz",
            "cycle_counter", "cycle_counter_step", "timer_overhead_cycles", "compiler",
            "c_flags", "compiler_flags", "platform", "git_revision", "suite", "layouts",
            "pinning", "tgl_capacity", "host_capacity", "benchmark_filter", "kernel", "driver",
            "load_avg"]
    keys += sorted(k for k in ctx if k.startswith("strategy."))
    md.append(table(["context", "value"],
                    [[k, str(ctx[k]).replace("|", "/")] for k in keys if k in ctx]))
    md.append("\nTimes are per operation unless said otherwise. Latency counters come from "
              "per-operation cycle counts (timer overhead subtracted) in a log-linear "
              "histogram; `_ns` = cycles / cycles_hz. With a cycle counter that moves in "
              "steps (cycle_counter_step above), single-operation samples are multiples of "
              "that step: medians below it are coarse, means and throughputs are not.\n")

    trows = targets(run, ic)
    if any(r[2] != NOT_MEASURED for r in trows):
        md.append("\n## Targets (issues 3, 6, 11 and 12)\n\nEach row from this run's medians; "
                  "the last column says whether the margin to the target is more than the "
                  "noise between repetitions (two-sided Mann-Whitney U test at %g, as "
                  "compare.py: the repetitions of one figure against those of the other "
                  "scaled by the target's factor). A row met or missed within the noise says "
                  "so. With 3 repetitions the smallest p the test can give is 0.1: only "
                  "`make bench FULL=1` (5) can show a timing margin as significant. Counts "
                  "of the seeded workloads have no spread and are exact.\n\n" % ALPHA +
                  table(["issue", "target", "measured", "", "significance"], trows))
    md.append("\n" + icount_section(ic))

    # pair: ns per pair by size, floors beside
    pair_strats = [s for s in run.strategies("pair") if s not in FLOORS]
    sizes = sorted({b["params"].get("size") for b in run.find("pair")
                    if b["strategy"] not in FLOORS and b["params"].get("size")})
    if sizes:
        floors = {f: run.one("pair", f) for f in FLOORS}
        md.append("\n## pair: alloc+free of one size\n\nMean ns per pair without the top 0.1 %% "
                  "of samples (each operation timed; the floors: atomic %s ns, plain %s ns per "
                  "claim+release pair), then p50 / p99.9 / max of the pair in ns. The plain "
                  "mean (preemptions included) is `real_time` in the JSON.\n\n" % (
                      fmt(tmean_ns(run, floors["floor-atomic"])),
                      fmt(tmean_ns(run, floors["floor-plain"]))))
        rows = []
        for size in sizes:
            row = [str(size)]
            for s in pair_strats:
                b = run.one("pair", s, size=size)
                row.append("%s (%s/%s/%s)" % (fmt(tmean_ns(run, b)), fmt(b["p50_ns"], 0),
                                             fmt(b["p99.9_ns"], 0), fmt(b["max_ns"], 0))
                           if b else "-")
            rows.append(row)
        md.append(table(["size"] + pair_strats, rows))
        img = lines_plot(plotter, "pair_sizes", "pair: ns per alloc+free (mean without top 0.1%)",
                         "size (bytes)", "ns per pair", sizes,
                         dict({s: [tmean_ns(run, run.one("pair", s, size=z)) for z in sizes]
                               for s in pair_strats},
                              **{f + " (any size)": [tmean_ns(run, floors[f])] * len(sizes)
                                 for f in FLOORS if floors[f] and tmean_ns(run, floors[f])}),
                         logx=True, logy=True)
        if img:
            md.append("\n![pair by size](%s)\n" % img)
        # percentiles at 64 B, floors included
        ps = run.strategies("pair")
        rows = []
        series = {}
        for s in ps:
            b = run.one("pair", s, size=64)
            if not b:
                continue
            vals = [b.get(p + "_ns") for p in PCTS]
            rows.append([s] + vals + [b.get("alloc_p99.9_cyc"), b.get("free_p99.9_cyc")])
            series[s] = [max(v, 0.1) if v is not None else None for v in vals]
        md.append("\n### Latency percentiles, 64 B pair (ns)\n\n")
        md.append(table(["strategy"] + PCTS + ["alloc p99.9 cyc", "free p99.9 cyc"], rows))
        img = lines_plot(plotter, "latency_pair64", "pair 64 B: latency percentiles",
                         "percentile", "ns (log)", list(range(len(PCTS))), series, logy=True,
                         xtics=list(zip(PCTS, range(len(PCTS)))))
        if img:
            md.append("\n![latency percentiles](%s)\n" % img)

    # threads: scaling and tail under contention
    th_strats = run.strategies("threads")
    threads = sorted({b["threads"] for b in run.find("threads", size=64)})
    if threads:
        md.append("\n## threads: every thread pairs on its own (64 B)\n\nAggregate alloc+free "
                  "pairs per second (windows of 16 untimed pairs), and p99.9 / max of a "
                  "sampled, individually timed pair (ns). Counts above 2 oversubscribe the "
                  "2 cores: a preempted lock holder stalls everyone.\n\n")
        rows = []
        for s in th_strats:
            row = [s]
            for t in threads:
                b = run.one("threads", s, t, size=64)
                row.append("%s/s (%s / %s)" % (fmt(b["items_per_second"]), fmt(b["p99.9_ns"], 0),
                                               fmt(b["max_ns"], 0)) if b else "-")
            rows.append(row)
        md.append(table(["strategy"] + ["%d thr" % t for t in threads], rows))
        img = lines_plot(plotter, "threads_scaling", "threads: aggregate throughput",
                         "threads", "pairs per second", threads,
                         {s: [(run.one("threads", s, t, size=64) or {}).get("items_per_second")
                              for t in threads] for s in th_strats}, logx=True)
        if img:
            md.append("\n![thread scaling](%s)\n" % img)
        img = lines_plot(plotter, "threads_p999", "threads: p99.9 of one pair",
                         "threads", "ns (log)", threads,
                         {s: [(run.one("threads", s, t, size=64) or {}).get("p99.9_ns")
                              for t in threads] for s in th_strats}, logx=True, logy=True)
        if img:
            md.append("\n![p99.9 under contention](%s)\n" % img)

    # handoff
    hs = run.strategies("handoff")
    hsizes = sorted({b["params"].get("size") for b in run.find("handoff")})
    if hs:
        md.append("\n## handoff: one core allocates, another frees\n\nBlocks handed over per "
                  "second through an SPSC ring (2 threads), p99.9 of alloc / of the remote "
                  "free in cycles.\n\n")
        rows = []
        for s in hs:
            row = [s]
            for z in hsizes:
                b = run.one("handoff", s, 2, size=z)
                row.append("%s/s (%s / %s)" % (fmt(b["items_per_second"]),
                                               fmt(b.get("alloc_p99.9_cyc"), 0),
                                               fmt(b.get("free_p99.9_cyc"), 0)) if b else "-")
            rows.append(row)
        md.append(table(["strategy"] + ["%d B" % z for z in hsizes], rows))
        img = bars(plotter, "handoff", "handoff throughput (2 threads)", "blocks per second",
                   ["%d B" % z for z in hsizes],
                   {s: [(run.one("handoff", s, 2, size=z) or {}).get("items_per_second")
                        for z in hsizes] for s in hs})
        if img:
            md.append("\n![handoff](%s)\n" % img)

    # batch
    for wl, what in (("batch", "N allocations then N frees (reverse order)"),
                     ("batch-sys", "N system allocations, then the core's system heap reset "
                                   "(peers: freed one by one, untimed)")):
        bs = run.strategies(wl)
        if not bs:
            continue
        cfgs = []
        for b in run.find(wl):
            c = (b["params"].get("n"), b["params"].get("size"))
            if c not in cfgs:
                cfgs.append(c)
        md.append("\n## %s: %s\n\nMean ns per operation without the top 0.1 %% "
                  "(p99.9 ns).\n\n" % (wl, what))
        rows = []
        for s in bs:
            row = [s]
            for n, z in cfgs:
                b = run.one(wl, s, n=n, size=z)
                row.append("%s (%s)" % (fmt(tmean_ns(run, b)), fmt(b["p99.9_ns"], 0)) if b else "-")
            rows.append(row)
        md.append(table(["strategy"] + ["n=%s, %s B" % c for c in cfgs], rows))

    # pipeline
    pls = run.strategies("pipeline")
    if pls:
        budget = next((run.one("pipeline", s).get("budget_bytes") for s in pls
                       if run.one("pipeline", s).get("budget_bytes")), None)
        md.append("\n## pipeline: synthetic audio pipelines on the tgl layout\n\nPipelines are "
                  "created (component structs of 100-600 B, period buffers) until the first "
                  "that does not fit (at most %s); setup and teardown per pipeline in ns. "
                  % fmt((run.one("pipeline", pls[0]) or {}).get("pipeline_cap"), 0)
                  + ("The unbounded peers get smpheap's runtime and buffer bytes (%s B) as a "
                     "budget, counted in their blocks' usable sizes (`peak used B` for them): "
                     "their headers and external fragmentation are not counted, so theirs is "
                     "a bound in their favour. smpheap and blockmap-lock stop when a block "
                     "map (a class on some core, or the buffer pages) runs out, which on tgl "
                     "comes long before its bytes do.\n\n" % fmt(budget, 0) if budget else
                     "\n\n"))
        rows = []
        for s in pls:
            b = run.one("pipeline", s)
            rows.append([s, fmt(b["pipelines"], 0), fmt(b.get("peak_used_bytes"), 0),
                         fmt(b.get("requested_bytes"), 0), fmt(b["p50_ns"], 0),
                         fmt(b["p99_ns"], 0), fmt(b["max_ns"], 0),
                         fmt(b.get("free_p50_cyc", 0) * 1e9 / float(ctx.get("cycles_hz", 1e9)),
                             0) if "cycles_hz" in ctx else "-"])
        md.append(table(["strategy", "pipelines", "peak used B", "requested B",
                         "setup p50", "setup p99", "setup max", "teardown p50"], rows))

    # churn
    cs = run.strategies("churn")
    if cs:
        cfgs = [(50, 1), (90, 1), (50, 2), (90, 2)]
        label = {1: "runtime 16 B-4 KiB", 2: "buffer 256 B-32 KiB"}
        md.append("\n## churn: random sizes and lifetimes on the tgl layout\n\nFill = requested "
                  "bytes / the zone's capacity (the peers get smpheap's capacity as their "
                  "budget and never fail). Failure rate of allocations, smallest / last "
                  "largest free block (bytes), p99.9 ns of an operation.\n\n")
        rows = []
        for s in cs:
            row = [s]
            for f, z in cfgs:
                b = run.one("churn", s, fill=f, zone=z)
                if not b:
                    row.append("-")
                    continue
                lf = ("%s/%s" % (fmt(b["largest_free_min"], 0), fmt(b["largest_free_last"], 0))
                      if "largest_free_min" in b else "n/a")
                row.append("%s%% (%s, %s)" % (fmt(b.get("failure_pct", 0), 2), lf,
                                             fmt(b["p99.9_ns"], 0)))
            rows.append(row)
        md.append(table(["strategy"] + ["%d%% %s" % (f, label[z]) for f, z in cfgs], rows))
        img = bars(plotter, "churn_failures", "churn: allocation failure rate", "% failed",
                   ["%d%% %s" % (f, label[z]) for f, z in cfgs],
                   {s: [(run.one("churn", s, fill=f, zone=z) or {}).get("failure_pct")
                        for f, z in cfgs] for s in cs if run.find("churn", s)
                    and s in ("smpheap", "blockmap-lock")})
        if img:
            md.append("\n![churn failures](%s)\n" % img)
        series = {}
        for s_ in ("smpheap", "blockmap-lock"):
            for f, z in cfgs:
                b = run.one("churn", s_, fill=f, zone=z)
                if b and z == 2 and all("largest_free_t%d" % i in b for i in range(10)):
                    series["%s %d%%" % (s_, f)] = [b["largest_free_t%d" % i] / 1024.0
                                                   for i in range(10)]
        img = lines_plot(plotter, "churn_largest_free", "churn, buffer zone: largest free block",
                         "tenth of the run", "KiB", list(range(10)), series)
        if img:
            md.append("\n![largest free over time](%s)\n" % img)

    md.append(memory_section(run, plotter))
    md.append(fill_section(run, plotter))
    md.append(insns_section(run, plotter))
    if run.errors:
        md.append("\n## Benchmarks that failed\n\n" + table(
            ["benchmark", "error"], [[n, m.replace("|", "/")] for n, m in run.errors]))

    cache = cache_section(run)
    if cache:
        md.append(cache)

    # replay
    rs = run.strategies("replay")
    if rs:
        traces = []
        for b in run.find("replay"):
            t = b["extra"][0] if b["extra"] else "?"
            if t not in traces:
                traces.append(t)
        md.append("\n## replay: allocation traces (results/traces/)\n\nMean ns per operation "
                  "without the top 0.1 % (p99.9 ns, max ns); one thread per core of the "
                  "trace.\n\n")
        rows = []
        for s in rs:
            row = [s]
            for t in traces:
                b = [x for x in run.find("replay", s) if x["extra"] and x["extra"][0] == t]
                b = b[0] if b else None
                if b:
                    row.append("%s (%s, %s)" % (fmt(tmean_ns(run, b)), fmt(b["p99.9_ns"], 0),
                                                fmt(b["max_ns"], 0)))
                else:
                    row.append("-")
            rows.append(row)
        md.append(table(["strategy"] + traces, rows))

    # anything else the run holds (e.g. bare-metal instruction figures)
    other = sorted({b["workload"] for b in run.rows} -
                   {"pair", "threads", "handoff", "batch", "batch-sys", "pipeline", "churn",
                    "replay", "ipc4-pipelines", "ipc4-reload", "fill", "insns", "insns-direct"})
    for wl in other:
        rows = []
        for b in run.find(wl):
            cnt = {k: v for k, v in b.items() if isinstance(v, (int, float)) and k not in (
                "family_index", "per_family_instance_index", "repetitions", "repetition_index",
                "threads", "iterations", "cpu_time")}
            rows.append([b["name"], ", ".join("%s=%s" % (k, fmt(v, 2)) for k, v in
                                              sorted(cnt.items()))])
        md.append("\n## %s\n\n" % wl + table(["benchmark", "figures"], rows))

    plotter.close()
    with open(os.path.join(machine_dir, "report.md"), "w") as f:
        f.write("\n".join(md))
    return run, ic


def instruction_figures(run, ic):
    """Instructions per operation of one machine, under the host's names:
    callgrind's icount file, or the bare-metal run's insns* benchmarks."""
    f = dict((ic or {}).get("figures", {}))
    direct = {"sys_alloc": "sys_alloc", "runtime_pair": "runtime64_pair",
              "buffer_pair": "buffer4k_pair"}
    for b in run.rows:
        v = b.get("insns_per_op")
        if v is None:
            continue
        op, strat = b["strategy"], (b["run_name"].split("/") + ["", ""])[2]
        if b["workload"] == "insns-direct" and strat == "smpheap" and op in direct:
            f.setdefault(direct[op], v)
        elif b["workload"] == "insns" and op == "runtime_pair":
            f.setdefault(strat + "_64_pair", v)
    return f


def in_units(run, counts):
    """A counter-based figure of `run` in what its unit is: host cycles and
    ns, or, for a run whose counter ticks once per several instructions
    (QEMU -icount: the context's insns_per_tick_milli), instructions."""
    if counts is None:
        return "-"
    per_tick = run.ctx.get("insns_per_tick_milli")
    if per_tick:
        per = float(per_tick) / 1000
        return "%s instructions (%s CCOUNT ticks of %.0f)" % (fmt(counts * per, 0),
                                                               fmt(counts, 0), per)
    hz = float(run.ctx.get("cycles_hz", 0) or 0)
    return "%s cycles / %s ns" % (fmt(counts, 0), fmt(counts * 1e9 / hz) if hz else "?")


def clock_of(run):
    """The machine's counter, said as what it is."""
    hz = run.ctx.get("cycles_hz", "?")
    per_tick = run.ctx.get("insns_per_tick_milli")
    if per_tick:
        return "CCOUNT %s Hz, 1 tick = %.0f instructions (-icount)" % (
            hz, float(per_tick) / 1000)
    return "%s cycles/s" % hz


def compare(results_dir, runs):
    """results/README.md: the machines side by side, in cycles (comparable
    across clocks) and ns."""
    md = ["# Results\n",
          "One folder per machine: `<date>.json` (Google Benchmark JSON, readable by "
          "`compare.py`), `icount-<date>.json` (callgrind), `report.md` with plots. "
          "`make bench` adds a run and re-renders; `traces/` holds the replay traces.\n",
          "## Machines side by side\n",
          "Newest run of each machine. Each figure says its unit: `cycles` are a host's "
          "cycle counter (the TSC on x86-64) and `ns` its wall time; on the Xtensa run "
          "under QEMU `-icount` the counter (CCOUNT) ticks once per %s instructions, so "
          "its figures are given as instructions (ticks x instructions per tick), never as "
          "cycles. Ratios between strategies on one machine are the figures to compare "
          "across machines.\n" % ", ".join(
              sorted({"%.0f" % (float(r[0].ctx["insns_per_tick_milli"]) / 1000)
                      for r in runs.values() if r[0].ctx.get("insns_per_tick_milli")}) or ["N"])]
    names = sorted(runs)
    md.append(table(["machine", "run", "cpu", "counter", "git"],
                    [[m, os.path.basename(runs[m][0].path),
                      str(runs[m][0].ctx.get("cpu_model", runs[m][0].ctx.get("platform", "?"))),
                      clock_of(runs[m][0]),
                      str(runs[m][0].ctx.get("git_revision", "?"))] for m in names]))
    rows = []
    for s in FLOORS + STRATS:
        row = [s]
        any_ = False
        for m in names:
            b = runs[m][0].one("pair", s, size=64)
            if b:
                any_ = True
                row.append(in_units(runs[m][0], b.get("mean_p99.9_cyc", b.get("mean_cyc"))))
            else:
                row.append("-")
        if any_:
            rows.append(row)
    if rows:
        md.append("\n### pair 64 B: mean per alloc+free (top 0.1 % of samples left out)\n\n"
                  + table(["strategy"] + names, rows))
    for wl in ("pipeline", "ipc4-pipelines"):
        rows = []
        for s in STRATS:
            row = [s]
            any_ = False
            for m in names:
                b = runs[m][0].one(wl, s)
                row.append(fmt(b["pipelines"], 0) if b and "pipelines" in b else "-")
                any_ = any_ or b is not None
            if any_:
                rows.append(row)
        if rows:
            md.append("\n### %s: pipelines that fit on tgl (a count)\n\n" % wl
                      + table(["strategy"] + names, rows))
    rows = []
    figs = {m: instruction_figures(*runs[m]) for m in names}
    for k in ["sys_alloc", "runtime64_pair", "runtime64_pair_nocache", "buffer4k_pair"] + \
            [st + "_64_pair" for st in STRATS]:
        row = [k] + [fmt(figs[m].get(k)) for m in names]
        if any(c != "-" for c in row[1:]):
            rows.append(row)
    if rows:
        md.append("\n### instructions per operation (instructions)\n\nsys_alloc, runtime64_pair, buffer4k_pair: "
                  "smpheap's own API (16 B system alloc, 64 B runtime pair, 4 KiB buffer "
                  "pair); `<strategy>_64_pair`: a 64 B pair through the strategy interface. "
                  "Host: callgrind; Xtensa: QEMU instruction counts (`insns*` benchmarks).\n\n"
                  + table(["phase"] + names, rows))
    rows = [[m] + r[1:] for m in names for r in targets_issue12(*runs[m])]
    if rows:
        md.append("\n### Issue 12's targets (lean paths), every machine\n\nThe DSP's from "
                  "the bare-metal run under QEMU -icount, the host's from the host run and "
                  "its callgrind counts (each machine's report.md has them beside the other "
                  "issues' targets).\n\n"
                  + table(["machine", "target", "measured", "", "significance"], rows))
    md.append("\nPer-machine details: " + ", ".join("[%s](%s/report.md)" % (m, m) for m in names)
              + "\n")
    with open(os.path.join(results_dir, "README.md"), "w") as f:
        f.write("\n".join(md))


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "results"
    runs = {}
    for d in sorted(glob.glob(os.path.join(results, "*/"))):
        r = report(d)
        if r:
            runs[os.path.basename(d.rstrip("/"))] = r
            print("report: %sreport.md" % d)
    if runs:
        compare(results, runs)
        print("report: %s/README.md (%d machines)" % (results, len(runs)))


main()
