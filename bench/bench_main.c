/* bench_main.c - the host benchmark suite: every workload over every
 * strategy, run by Google Benchmark through the C shim.
 *
 *   smpheap-bench [--bench_full] [--bench_traces=DIR] [--bench_allow_missing]
 *                 [--strategy-lib NAME=PATH.so]... [--benchmark_* flags]
 *
 * Strategies: the bounded ones, smpheap and bounded_heaps[] (blockmap-lock,
 * tlsf-lock, sysheap-lock), each built in the same bytes on the `host`
 * layout (pair, batch, batch-sys, threads, handoff, replay) and on the `tgl`
 * layout (pipeline, churn, ipc4-pipelines, ipc4-reload, fill, and pair at
 * 4 KiB and 256 KiB: where running out of memory, or long buffer runs, are
 * the point); smpheap-nocache (smpheap on `host` with the word-claim cache
 * off); the host peers (peers.c: each through its own library) and any
 * --strategy-lib allocator, wherever an unbounded strategy runs (on tgl with
 * smpheap's bytes as a budget); and the two floors. smpheap and
 * smpheap-nocache also run pipeline and runtime-zone churn on `host`
 * (pipeline/<strategy>/host, churn/<strategy>/host/...: issue 6).
 * Everything about the run (topology, CPU, compiler, layouts, git revision,
 * library versions, what each strategy is and where its design comes from,
 * timer calibration) goes into the JSON context. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_host.h"
#include "peers.h"
#include "smpheap/host.h"
#include "workloads.h"

#ifndef BENCH_TRACE_DIR
#define BENCH_TRACE_DIR "results/traces"
#endif
#ifndef BENCH_SOURCE_DIR
#define BENCH_SOURCE_DIR "."
#endif
#ifndef BENCH_C_FLAGS
#define BENCH_C_FLAGS "?"
#endif

static void host_bind(unsigned core)
{
	smpheap_host_bind(core);
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "smpheap-bench: %s: %s\n", what, why);
	exit(1);
}

/* jemalloc and tcmalloc use initial-exec TLS; dlopen() can place it only in
 * glibc's static-TLS surplus (512 bytes by default, too small for both).
 * Re-execute once with a larger surplus; nothing else changes. */
static void ensure_static_tls(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES");
	char buf[1024];

	if (t && strstr(t, "glibc.rtld.optional_static_tls"))
		return;
	snprintf(buf, sizeof(buf), "%s%sglibc.rtld.optional_static_tls=65536", t ? t : "",
		 t ? ":" : "");
	setenv("GLIBC_TUNABLES", buf, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr,
		"smpheap-bench: re-exec with GLIBC_TUNABLES failed (%s); "
		"jemalloc/tcmalloc may not load\n",
		strerror(errno));
}

static char *read_cmd(const char *cmd)
{
	static char out[8][256];
	static unsigned n;
	char *buf = out[n++ % 8];
	FILE *f = popen(cmd, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, 256, f))
			buf[0] = 0;
		pclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	return buf[0] ? buf : "unknown";
}

static char *cpu_model(void)
{
	static char model[256] = "unknown";
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return model;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	fclose(f);
	return model;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct strategy s_floor_atomic, s_floor_plain;
static struct strategy s_smph_host, s_smph_tgl;
/* bounded_heaps[i] on each layout (declared below) */
static struct strategy s_heaps_host[8], s_heaps_tgl[8];
/* smpheap with the word-claim cache off: the pure lock-free path, beside
 * `smpheap` so the cache's gain (or cost) is measured in the same run. */
static struct strategy s_smph_nocache;
static struct smpheap_layout nocache_layout;

static void make_nocache(const char *rev)
{
	struct smpheap *h;

	nocache_layout = *smpheap_layout_by_name("host");
	nocache_layout.name = "host-nocache";
	for (unsigned k = 0; k < nocache_layout.class_count; k++)
		nocache_layout.classes[k].cache_max = 0;
	h = smpheap_host_create(&nocache_layout);
	if (!h)
		die("smpheap_host_create", strerror(errno));
	strategy_smpheap_init(&s_smph_nocache, h, rev);
	s_smph_nocache.name = "smpheap-nocache";
}
static struct strategy s_peers[PEER_COUNT];
static bool have_peer[PEER_COUNT];
/* --strategy-lib NAME=PATH.so: a user's allocators, run wherever a peer runs */
static struct strategy s_libs[STRATEGY_LIB_MAX];
static char lib_spec[STRATEGY_LIB_MAX][512];
static unsigned nlibs;

static void add_lib(const char *spec)
{
	char err[256];

	if (nlibs == STRATEGY_LIB_MAX)
		die("--strategy-lib", "too many (at most STRATEGY_LIB_MAX)");
	if (strategy_lib_init(&s_libs[nlibs], spec, err, sizeof(err)))
		die(spec, err);
	snprintf(lib_spec[nlibs], sizeof(lib_spec[nlibs]),
		 "a user's allocator, loaded with --strategy-lib %s", spec);
	nlibs++;
}

#define MAX_TRACES 8
static struct trace traces[MAX_TRACES];
static unsigned ntraces;

static void load_traces(const char *dir)
{
	static const char *const files[] = {"sof-pipelines-2core", "kpb-handoff-4core"};

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]) && ntraces < MAX_TRACES; i++) {
		char path[1024];
		FILE *f;
		long len;
		char *text;
		struct trace_op *ops;
		unsigned line;
		int r;

		snprintf(path, sizeof(path), "%s/%s.trace", dir, files[i]);
		f = fopen(path, "rb");
		if (!f)
			die(path, strerror(errno));
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		text = malloc((size_t)len + 1);
		ops = calloc((size_t)len / 8 + 1, sizeof(*ops)); /* a line is > 8 bytes */
		if (!text || !ops || fread(text, 1, (size_t)len, f) != (size_t)len)
			die(path, "cannot read");
		fclose(f);
		r = trace_parse(text, (size_t)len, ops, (size_t)len / 8 + 1, &traces[ntraces],
				&line);
		if (r) {
			fprintf(stderr, "smpheap-bench: %s:%u: bad trace (%d)\n", path, line, r);
			exit(1);
		}
		traces[ntraces].name = files[i];
		ntraces++;
		free(text);
	}
}

static void check_owned(struct strategy *s)
{
	void *t = s->ops->thread_init(s, 0, 0);
	void *p = strategy_alloc(s, t, 64, STRAT_RUNTIME);

	if (!p || !s->ops->owns(s, p))
		die(s->name, "a block it returned is not its own");
	strategy_free(s, t, p, STRAT_RUNTIME);
	s->ops->thread_fini(s, t);
}

/* The bounded heaps other than smpheap, each built over a layout's bytes:
 * every bounded strategy runs in the same bytes (the general heaps get the
 * runtime and buffer zones' bytes as one arena). `design` goes into the
 * JSON context: what it is and where its design comes from. */
static const struct bounded_heap {
	const char *name;
	size_t (*size)(const struct smpheap_layout *layout);
	int (*init)(struct strategy *s, void *mem, size_t len, const struct smpheap_layout *layout);
	const char *design;
} bounded_heaps[] = {
    {"blockmap-lock", blockmap_lock_size, strategy_blockmap_lock_init,
     "the legacy DSP block-map heap (SOF's pre-Zephyr allocator): block maps per size with "
     "first_free and a linear scan, first-fit page runs, one global TTAS spinlock; written "
     "here from its description (strategies/blockmap_lock.c)"},
    {"tlsf-lock", tlsf_lock_size, strategy_tlsf_lock_init,
     "TLSF, the allocator of ESP-IDF, NuttX and RIOT: two-level segregated fit as Masmano, "
     "Ripoll, Crespo and Real describe it (ECRTS 2004), written here from the paper "
     "(strategies/tlsf.c), one TTAS spinlock around each call; the layout's runtime and buffer "
     "bytes as one arena"},
    {"sysheap-lock", sysheap_lock_size, strategy_sysheap_lock_init,
     "a heap of sys_heap's design, written here: from Zephyr's heap.rst and the comments of "
     "lib/heap/heap.h (8-byte chunks, power-of-two buckets, CONFIG_SYS_HEAP_ALLOC_LOOPS=3), "
     "strategies/sysheap.c; one spinlock around each call, as k_heap (what SOF on Zephyr "
     "allocates from); the layout's runtime and buffer bytes as one arena"},
};
#define BOUNDED_HEAPS (sizeof(bounded_heaps) / sizeof(bounded_heaps[0]))

/* What each host peer is, for the JSON context (its version is in
 * strategy.<name>). */
static const struct {
	const char *name, *design;
} peer_designs[] = {
    {"glibc", "glibc's malloc (ptmalloc2: per-thread arenas, tcache), the process malloc"},
    {"jemalloc", "jemalloc (Evans, 2006: size-class slabs in per-CPU/thread arenas), Debian's"},
    {"mimalloc", "mimalloc (Leijen, Zorn, de Moura, 2019: free-list sharding per page), Debian's"},
    {"tcmalloc", "gperftools tcmalloc (per-thread caches over a central page heap), minimal"},
    {"tbbmalloc", "oneTBB's scalable allocator (per-thread heaps of size-class bins), Debian's "
		  "libtbbmalloc2"},
};

static const char *peer_design(const char *name)
{
	for (unsigned i = 0; i < sizeof(peer_designs) / sizeof(peer_designs[0]); i++)
		if (!strcmp(peer_designs[i].name, name))
			return peer_designs[i].design;
	return NULL;
}

static void make_bounded(const char *layout_name, struct strategy *smph, struct strategy *heaps,
			 const char *rev)
{
	const struct smpheap_layout *l = smpheap_layout_by_name(layout_name);
	struct smpheap *h;

	if (!l)
		die(layout_name, "no such layout");
	h = smpheap_host_create(l);
	if (!h)
		die("smpheap_host_create", strerror(errno));
	strategy_smpheap_init(smph, h, rev);
	check_owned(smph);
	for (unsigned i = 0; i < BOUNDED_HEAPS; i++) {
		size_t len = bounded_heaps[i].size(l);
		void *mem = map(len);

		if (!mem || bounded_heaps[i].init(&heaps[i], mem, len, l))
			die(bounded_heaps[i].name, "cannot build it on the layout");
		check_owned(&heaps[i]);
	}
}

/* "name s/r/b B, ..." (sys/runtime/buffer capacities) of smpheap and the
 * bounded heaps on one layout. */
static void capacities(char *out, size_t len, struct strategy *smph, struct strategy *heaps)
{
	size_t n = 0;

	for (unsigned i = 0; i <= BOUNDED_HEAPS && n < len; i++) {
		struct strategy *s = i ? &heaps[i - 1] : smph;

		n += (size_t)snprintf(out + n, len - n, "%s%s %zu/%zu/%zu B", i ? ", " : "",
				      s->name, s->ops->capacity(s, STRAT_SYS),
				      s->ops->capacity(s, STRAT_RUNTIME),
				      s->ops->capacity(s, STRAT_BUFFER));
	}
	if (n < len)
		snprintf(out + n, len - n, " (sys/runtime/buffer)");
}

/* A workload on the tgl bytes; an unbounded peer gets smpheap's tgl zone
 * bytes as its budget. */
static void register_tgl(enum wl_kind kind, struct strategy *s, bool full)
{
	struct wl_def *d = wl_register(kind, s, full);

	for (int k = 0; d && k < STRAT_KINDS; k++)
		d->ref_capacity[k] = s_smph_tgl.ops->capacity(&s_smph_tgl, (enum strat_kind)k);
	if (d)
		d->ref_arena = s_smph_tgl.arena;
}

int main(int argc, char **argv)
{
	bool full = false, allow_missing = false;
	const char *trace_dir = BENCH_TRACE_DIR;
	static char buf[16][512], design_key[8][64], heap_key[8][64], peer_key[PEER_COUNT][64],
	    peer_design_key[PEER_COUNT][64], lib_key[STRATEGY_LIB_MAX][2][64];
	char err[256];
	int n = 1;

	ensure_static_tls(argv);
	/* our own flags; the rest go to Google Benchmark */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bench_full"))
			full = true;
		else if (!strcmp(argv[i], "--bench_allow_missing"))
			allow_missing = true;
		else if (!strncmp(argv[i], "--bench_traces=", 15))
			trace_dir = argv[i] + 15;
		else if (!strcmp(argv[i], "--strategy-lib") && i + 1 < argc)
			add_lib(argv[++i]);
		else if (!strncmp(argv[i], "--strategy-lib=", 15))
			add_lib(argv[i] + 15);
		else
			argv[n++] = argv[i];
	}
	argc = n;
	argv[argc] = NULL;

	wl_platform.bind = host_bind;
	bench_cycles_hz();
	wl_calibrate_timer();

	const char *rev =
	    read_cmd("git -C " BENCH_SOURCE_DIR " describe --always --dirty 2>/dev/null");

	strategy_floor_atomic_init(&s_floor_atomic);
	strategy_floor_plain_init(&s_floor_plain);
	make_bounded("host", &s_smph_host, s_heaps_host, rev);
	make_bounded("tgl", &s_smph_tgl, s_heaps_tgl, rev);
	make_nocache(rev);
	check_owned(&s_smph_nocache);
	for (int i = 0; i < PEER_COUNT; i++) {
		if (strategy_peer_init(&s_peers[i], (enum peer_id)i, err, sizeof(err)) == 0) {
			have_peer[i] = true;
			continue;
		}
		if (!allow_missing)
			die(peer_name((enum peer_id)i), err);
		fprintf(stderr, "smpheap-bench: %s left out: %s\n", peer_name((enum peer_id)i),
			err);
	}
	load_traces(trace_dir);

	/* the context: everything needed to tell what ran where */
	bench_context("topology", smpheap_host_topology());
	bench_context("cpu_model", cpu_model());
	snprintf(buf[0], sizeof(buf[0]), "%llu", (unsigned long long)bench_cycles_hz());
	bench_context("cycles_hz", buf[0]);
	bench_context("cycle_counter",
#if defined(__x86_64__)
		      "rdtsc between lfences"
#else
		      "platform counter"
#endif
	);
	snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)wl_timer_overhead());
	bench_context("timer_overhead_cycles", buf[1]);
	snprintf(buf[9], sizeof(buf[9]), "%llu", (unsigned long long)wl_timer_step());
	bench_context("cycle_counter_step", buf[9]);
	snprintf(buf[2], sizeof(buf[2]), "gcc-compatible %s", __VERSION__);
	bench_context("compiler", buf[2]);
	bench_context("c_flags", BENCH_C_FLAGS);
	bench_context("git_revision", rev);
	bench_context("layouts", "host: pair batch batch-sys threads handoff replay, and "
				 "pipeline/<strategy>/host churn/<strategy>/host (smpheap, "
				 "smpheap-nocache); tgl: pipeline churn ipc4-pipelines ipc4-reload "
				 "fill, pair/<strategy>/tgl (bounded strategies)");
	bench_context("suite", full ? "full" : "default");
	bench_context("machine", read_cmd("hostname"));
	bench_context("kernel", read_cmd("uname -sr"));
	bench_context("pinning", "thread i acts as core i, pinned by hwloc to PU i mod PUs "
				 "(smpheap_host_bind) for every strategy");
	bench_context("strategy.smpheap", s_smph_host.version);
	bench_context("strategy.smpheap-nocache", s_smph_nocache.version);
	bench_context("design.smpheap",
		      "this repository's lock-free three-zone heap (lib/, README.md, DESIGN.md)");
	for (unsigned i = 0; i < BOUNDED_HEAPS; i++) {
		snprintf(heap_key[i], sizeof(heap_key[i]), "strategy.%s", bounded_heaps[i].name);
		bench_context(heap_key[i], s_heaps_host[i].version);
		snprintf(design_key[i], sizeof(design_key[i]), "design.%s", bounded_heaps[i].name);
		bench_context(design_key[i], bounded_heaps[i].design);
	}
	bench_context("strategy.floor-atomic", s_floor_atomic.version);
	bench_context("strategy.floor-plain", s_floor_plain.version);
	for (int i = 0; i < PEER_COUNT; i++) {
		snprintf(peer_key[i], sizeof(peer_key[i]), "strategy.%s",
			 peer_name((enum peer_id)i));
		bench_context(peer_key[i], have_peer[i] ? s_peers[i].version : "not available");
		snprintf(peer_design_key[i], sizeof(peer_design_key[i]), "design.%s",
			 peer_name((enum peer_id)i));
		if (peer_design(peer_name((enum peer_id)i)))
			bench_context(peer_design_key[i], peer_design(peer_name((enum peer_id)i)));
	}
	capacities(buf[8], sizeof(buf[8]), &s_smph_tgl, s_heaps_tgl);
	bench_context("tgl_capacity", buf[8]);
	capacities(buf[10], sizeof(buf[10]), &s_smph_host, s_heaps_host);
	bench_context("host_capacity", buf[10]);
	bench_context("layout.host", smpheap_layout_by_name("host")->origin);
	bench_context("layout.tgl", smpheap_layout_by_name("tgl")->origin);
	bench_context("strategy.smpheap.tgl", s_smph_tgl.version);
	bench_context("percentiles", "p* counters: cycles (_cyc) and ns (_ns) per operation, timer "
				     "overhead subtracted; see bench/README.md per workload");

	for (unsigned i = 0; i < nlibs; i++) {
		snprintf(lib_key[i][0], sizeof(lib_key[i][0]), "strategy.%s", s_libs[i].name);
		bench_context(lib_key[i][0], s_libs[i].version);
		snprintf(lib_key[i][1], sizeof(lib_key[i][1]), "design.%s", s_libs[i].name);
		bench_context(lib_key[i][1], lib_spec[i]);
	}

	/* the registrations: every workload over every strategy it applies to */
	struct strategy *host_set[24], *tgl_set[24];
	unsigned nh = 0, nt = 0;

	host_set[nh++] = &s_smph_host;
	host_set[nh++] = &s_smph_nocache;
	tgl_set[nt++] = &s_smph_tgl;
	for (unsigned i = 0; i < BOUNDED_HEAPS; i++) {
		host_set[nh++] = &s_heaps_host[i];
		tgl_set[nt++] = &s_heaps_tgl[i];
	}
	for (int i = 0; i < PEER_COUNT; i++)
		if (have_peer[i]) {
			host_set[nh++] = &s_peers[i];
			tgl_set[nt++] = &s_peers[i];
		}
	for (unsigned i = 0; i < nlibs; i++) {
		host_set[nh++] = &s_libs[i];
		/* on tgl an unbounded strategy is held to a budget counted in
		 * usable sizes: without malloc_usable_size it cannot be */
		if (s_libs[i].ops->usable)
			tgl_set[nt++] = &s_libs[i];
		else
			fprintf(stderr,
				"smpheap-bench: %s left out of the tgl workloads: no "
				"malloc_usable_size to hold it to the budget\n",
				s_libs[i].name);
	}

	wl_register(WL_PAIR, &s_floor_atomic, full);
	wl_register(WL_PAIR, &s_floor_plain, full);
	for (unsigned i = 0; i < nh; i++)
		wl_register(WL_PAIR, host_set[i], full);
	wl_register(WL_THREADS, &s_floor_atomic, full);
	for (unsigned i = 0; i < nh; i++)
		wl_register(WL_THREADS, host_set[i], full);
	for (unsigned i = 0; i < nh; i++)
		wl_register(WL_HANDOFF, host_set[i], full);
	for (unsigned i = 0; i < nh; i++)
		wl_register(WL_BATCH, host_set[i], full);
	for (unsigned i = 0; i < nh; i++)
		wl_register(WL_BATCH_SYS, host_set[i], full);
	/* where memory runs out, on the tgl bytes: the unbounded peers work in
	 * a budget of the bytes smpheap has there */
	static const enum wl_kind tgl_kinds[] = {WL_PIPELINE, WL_CHURN, WL_IPC4, WL_FILL};

	for (unsigned k = 0; k < sizeof(tgl_kinds) / sizeof(tgl_kinds[0]); k++)
		for (unsigned i = 0; i < nt; i++)
			register_tgl(tgl_kinds[k], tgl_set[i], full);
	for (unsigned i = 0; i < nt; i++) {
		if (!tgl_set[i]->bounded)
			continue;
		/* the reload loop checks used bytes: bounded strategies only */
		wl_register(WL_IPC4_RELOAD, tgl_set[i], full);
		/* issue 11: the buffer pair's run cost where the runs are long */
		wl_register_layout(WL_PAIR, tgl_set[i], full, "tgl");
	}
	/* issue 6: the word-claim cache where memory runs out, on the host
	 * layout, against the same heap with the cache off */
	wl_register_layout(WL_PIPELINE, &s_smph_host, full, "host");
	wl_register_layout(WL_PIPELINE, &s_smph_nocache, full, "host");
	wl_register_layout(WL_CHURN, &s_smph_host, full, "host");
	wl_register_layout(WL_CHURN, &s_smph_nocache, full, "host");
	for (unsigned t = 0; t < ntraces; t++)
		for (unsigned i = 0; i < nh; i++)
			wl_register_replay(host_set[i], &traces[t], full);

	return bench_main(argc, argv);
}
