/* main_host.c - smpheap-stress on Linux: one pthread per worker, each bound to
 * a core with smpheap_host_bind(); the main thread is the controller (books
 * once a second, hotplug, progress lines, the closing PASS/FAIL line).
 *
 *   smpheap-stress [--threads N] [--seconds S] [--seed X] [--zones sys,runtime,buffer]
 *                  [--layout NAME] [--hotplug] [--strategy NAME | --strategy-lib NAME=PATH.so]
 *                  [--json FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peers.h"
#include "rng.h"
#include "smpheap/host.h"
#include "strategy.h"
#include "stress_core.h"
#include "stress_layouts.h"

/* Which sanitizer this binary runs under, for the JSON context. */
#if defined(__SANITIZE_THREAD__)
#define SANITIZER "thread"
#elif defined(__SANITIZE_ADDRESS__)
#define SANITIZER "address"
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SANITIZER "thread"
#elif __has_feature(address_sanitizer)
#define SANITIZER "address"
#endif
#endif
#ifndef SANITIZER
#define SANITIZER "none"
#endif
#ifdef __clang__
#define COMPILER "clang " __clang_version__
#else
#define COMPILER "gcc " __VERSION__
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Parked workers and a waiting controller sleep a little: with 16 threads on
 * 2 CPUs, spinning would steal the CPU from the workers that still run. */
static void relax(void)
{
	struct timespec ts = {0, 50 * 1000};
	nanosleep(&ts, NULL);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- faults, to prove the checks catch them (--inject) -------------------- */

/* smpheap with a bug put in on purpose, every FAULT_EVERY-th call of a
 * thread: the driver must report it (CTest runs these and expects FAIL). */
enum fault { FAULT_NONE, FAULT_DOUBLE, FAULT_LEAK, FAULT_SCRIBBLE };
#define FAULT_EVERY 4999
static enum fault fault;
static struct strategy faulty, *real; /* the faulty one wraps the real smpheap */
static struct strategy_ops faulty_ops;
static __thread unsigned fault_calls;
static __thread void *fault_last;

static void *fault_alloc_ex(struct strategy *s, void *t, enum strat_kind kind, uint32_t caps,
			    size_t size, size_t align)
{
	void *p = real->ops->alloc_ex(real, t, kind, caps, size, align);
	(void)s;
	if (fault == FAULT_DOUBLE && p && kind == STRAT_RUNTIME) {
		/* hand the previous runtime block out again (it may be live) */
		if (++fault_calls % FAULT_EVERY == 0 && fault_last && fault_last != p &&
		    smpheap_usable_size(real->heap, fault_last) >= size) {
			real->ops->free(real, t, p, kind);
			return fault_last;
		}
		fault_last = p;
	}
	return p;
}

static int fault_free(struct strategy *s, void *t, void *p, enum strat_kind kind)
{
	(void)s;
	if (++fault_calls % FAULT_EVERY == 0) {
		if (fault == FAULT_LEAK)
			return 0; /* say freed, free nothing */
		if (fault == FAULT_SCRIBBLE && kind != STRAT_SYS)
			((unsigned char *)p)[smpheap_usable_size(real->heap, p)] ^=
			    1; /* one past the end */
	}
	return real->ops->free(real, t, p, kind);
}

/* The real strategy with its allocation and free replaced. */
static struct strategy *inject_fault(struct strategy *s)
{
	real = s;
	faulty = *s;
	faulty_ops = *s->ops;
	faulty_ops.alloc_ex = fault_alloc_ex;
	faulty_ops.free = fault_free;
	faulty.ops = &faulty_ops;
	faulty.name = "smpheap+injected-fault";
	return &faulty;
}

static int parse_fault(const char *name)
{
	if (!strcmp(name, "double-handout"))
		fault = FAULT_DOUBLE;
	else if (!strcmp(name, "leak"))
		fault = FAULT_LEAK;
	else if (!strcmp(name, "scribble"))
		fault = FAULT_SCRIBBLE;
	else
		return -1;
	return 0;
}

/* ---- options ------------------------------------------------------------- */

/* What --strategy takes: smpheap, the bounded strategies of bench/strategies
 * over the layout's bytes, the process malloc and the host peers. */
#define STRATEGY_NAMES                                                                             \
	"smpheap, blockmap-lock, malloc, glibc, jemalloc, mimalloc, tcmalloc, tbbmalloc"

struct options {
	unsigned threads;
	unsigned seconds;
	uint64_t seed;
	unsigned zone_mask;
	const char *layout;
	bool hotplug;
	const char *strategy;
	const char *strategy_lib; /* NAME=PATH.so, or NULL */
	const char *json;
	uint64_t ops;
	bool inject;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smpheap-stress [options]\n"
		"  --threads N        worker threads (default: 2 x the machine's cores)\n"
		"  --seconds S        run time; the run always stops by itself (default 10)\n"
		"  --seed X           decision seed, decimal or 0x-hex (default: from the clock)\n"
		"  --zones LIST       comma list of sys,runtime,buffer (default: all)\n"
		"  --layout NAME      host, tgl, apl, or small (tiny: every zone at exhaustion)\n"
		"  --hotplug          a controller takes cores down and up while workers run\n"
		"  --strategy NAME    " STRATEGY_NAMES " (default smpheap)\n"
		"  --strategy-lib NAME=PATH.so\n"
		"                     a shared library exporting malloc and free (and\n"
		"                     optionally malloc_usable_size, aligned_alloc), named NAME\n"
		"  --json FILE        also write the figures as JSON\n"
		"  --ops N            stop each worker after N operations (with --threads 1 and\n"
		"                     no --hotplug a run is then exactly reproducible from its "
		"seed)\n"
		"  --inject FAULT     (self-test) put a bug into smpheap's calls: double-handout,\n"
		"                     leak or scribble; the run must then FAIL\n");
}

static int parse_zones(const char *list, unsigned *mask)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "sys"))
			*mask |= 1u << SMPHEAP_ZONE_SYS;
		else if (!strcmp(t, "runtime"))
			*mask |= 1u << SMPHEAP_ZONE_RUNTIME;
		else if (!strcmp(t, "buffer"))
			*mask |= 1u << SMPHEAP_ZONE_BUFFER;
		else
			return -1;
	}
	return *mask ? 0 : -1;
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"threads", required_argument, NULL, 't'},
	    {"seconds", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'x'},
	    {"zones", required_argument, NULL, 'z'},
	    {"layout", required_argument, NULL, 'l'},
	    {"hotplug", no_argument, NULL, 'H'},
	    {"strategy", required_argument, NULL, 'S'},
	    {"json", required_argument, NULL, 'j'},
	    {"ops", required_argument, NULL, 'o'},
	    {"inject", required_argument, NULL, 'i'},
	    {"strategy-lib", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	o->threads = 2 * smpheap_host_cores(); /* oversubscribed on any machine */
	o->seconds = 10;
	o->seed = now_ns() ^ ((uint64_t)getpid() << 32);
	o->zone_mask = 7;
	o->layout = "host";
	o->hotplug = false;
	o->strategy = "smpheap";
	o->strategy_lib = NULL;
	o->json = NULL;
	o->ops = 0;
	o->inject = false;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o->threads = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o->threads || o->threads > STRESS_MAX_WORKERS) {
				fprintf(stderr, "smpheap-stress: --threads must be 1..%d\n",
					STRESS_MAX_WORKERS);
				return -1;
			}
			break;
		case 's':
			o->seconds = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o->seconds || o->seconds > 24 * 3600) {
				fprintf(stderr, "smpheap-stress: --seconds must be 1..86400\n");
				return -1;
			}
			break;
		case 'x':
			o->seed = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "smpheap-stress: bad --seed '%s'\n", optarg);
				return -1;
			}
			break;
		case 'z':
			if (parse_zones(optarg, &o->zone_mask)) {
				fprintf(stderr,
					"smpheap-stress: --zones takes sys,runtime,buffer\n");
				return -1;
			}
			break;
		case 'l':
			o->layout = optarg;
			break;
		case 'H':
			o->hotplug = true;
			break;
		case 'S':
			o->strategy = optarg;
			break;
		case 'L':
			o->strategy_lib = optarg;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'i':
			if (parse_fault(optarg)) {
				fprintf(stderr, "smpheap-stress: --inject takes double-handout, "
						"leak, scribble\n");
				return -1;
			}
			o->inject = true;
			break;
		case 'o':
			o->ops = strtoull(optarg, &end, 0);
			if (*end || !o->ops) {
				fprintf(stderr, "smpheap-stress: bad --ops '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static const struct smpheap_layout *find_layout(const char *name)
{
	if (!strcmp(name, "small"))
		return &stress_layout_small;
	return smpheap_layout_by_name(name);
}

/* ---- workers ------------------------------------------------------------- */

static struct stress run;
static struct smpheap *heap;

static void *worker_main(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	smpheap_host_bind(run.workers[i].core);
	stress_worker_run(&run, i);
	return NULL;
}

/* ---- output -------------------------------------------------------------- */

static void progress(unsigned sec, const struct stress_totals *t, size_t ops_before)
{
	printf("[%4us] ops/s %9zu  live %5zu  nulls %8zu  bad-inputs %6zu  handoffs %8zu  "
	       "hotplug %zu down/%zu up  banks-released %zu  checks %zu\n",
	       sec, t->ops - ops_before, t->live, t->nulls, t->bad_inputs, t->handoffs,
	       t->core_downs, t->core_ups, t->banks_released, t->quiesces);
	fflush(stdout);
}

static void write_json(const char *path, const struct options *o, const struct strategy *st,
		       const char *layout, bool pass, const struct stress_totals *t, double seconds,
		       const struct stress_failure *f)
{
	FILE *fp = fopen(path, "w");
	if (!fp) {
		fprintf(stderr, "smpheap-stress: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(fp, "{\n  \"tool\": \"smpheap-stress\",\n  \"result\": \"%s\",\n",
		pass ? "PASS" : "FAIL");
	fprintf(fp, "  \"strategy\": \"%s\",\n  \"strategy_version\": \"%s\",\n", st->name,
		st->version);
	fprintf(fp, "  \"layout\": \"%s\",\n  \"threads\": %u,\n", layout, o->threads);
	fprintf(fp, "  \"seconds\": %.3f,\n  \"seed\": \"0x%016" PRIx64 "\",\n", seconds, o->seed);
	fprintf(fp, "  \"zones\": \"%s%s%s\",\n  \"hotplug\": %s,\n",
		o->zone_mask & 1 ? "sys " : "", o->zone_mask & 2 ? "runtime " : "",
		o->zone_mask & 4 ? "buffer" : "", o->hotplug ? "true" : "false");
	fprintf(fp, "  \"topology\": \"%s\",\n", smpheap_host_topology());
	time_t now = time(NULL);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(fp, "  \"date\": \"%s\",\n  \"compiler\": \"%s\",\n  \"sanitizer\": \"%s\",\n",
		date, COMPILER, SANITIZER);
	fprintf(fp,
		"  \"ops\": %zu,\n  \"allocs\": %zu,\n  \"frees\": %zu,\n  \"handoffs\": %zu,\n"
		"  \"received\": %zu,\n  \"reallocs\": %zu,\n  \"nulls\": %zu,\n"
		"  \"bad_inputs\": %zu,\n  \"frees_while_core_down\": %zu,\n",
		t->ops, t->allocs, t->frees, t->handoffs, t->received, t->reallocs, t->nulls,
		t->bad_inputs, t->down_frees);
	fprintf(fp,
		"  \"nulls_by_zone\": {\"sys\": %zu, \"runtime\": %zu, \"buffer\": %zu},\n"
		"  \"recoveries\": %zu,\n",
		t->zone_nulls[0], t->zone_nulls[1], t->zone_nulls[2], t->recoveries);
	fprintf(fp,
		"  \"core_downs\": %zu,\n  \"core_ups\": %zu,\n  \"sweeps\": %zu,\n"
		"  \"banks_released\": %zu,\n  \"bank_release_count\": %zu,\n"
		"  \"sys_blocks_reset\": %zu,\n  \"quiescent_checks\": %zu,\n",
		t->core_downs, t->core_ups, t->sweeps, t->banks_released, t->bank_release_count,
		t->sys_resets, t->quiesces);
	fprintf(fp,
		"  \"latency_ns\": {\"p50\": %zu, \"p99\": %zu, \"p99.9\": %zu, \"max\": %zu,"
		" \"note\": \"percentiles are log2-bucket upper bounds\"}",
		stress_hist_quantile(t, 500), stress_hist_quantile(t, 990),
		stress_hist_quantile(t, 999), t->lat_max);
	if (f)
		fprintf(
		    fp,
		    ",\n  \"failure\": {\"what\": \"%s\", \"worker\": %d, \"op\": %" PRIu64
		    ", \"ptr\": \"%p\", \"len\": %zu, \"offset\": %zu, \"expected\": \"0x%" PRIx64
		    "\", \"got\": \"0x%" PRIx64 "\"}",
		    f->what, f->worker, f->op, f->ptr, f->len, f->offset, f->expected, f->got);
	fprintf(fp, "\n}\n");
	fclose(fp);
}

/* ---- the controller ------------------------------------------------------ */

/* The controller's generator: the stream after the workers' (rng.h). */
static rng_t ctl_rng;

static unsigned ctl_rand(unsigned n)
{
	return rng_below(&ctl_rng, n);
}

/* The allocator named by --strategy or --strategy-lib, ready to run. */
static struct strategy chosen;
static void *bounded_mem;

static struct strategy *make_strategy(const struct options *o, const struct smpheap_layout *layout)
{
	char err[512];

	if (o->strategy_lib) {
		if (strategy_lib_init(&chosen, o->strategy_lib, err, sizeof(err))) {
			fprintf(stderr, "smpheap-stress: %s\n", err);
			return NULL;
		}
		return &chosen;
	}
	if (!strcmp(o->strategy, "smpheap")) {
		heap = smpheap_host_create(layout);
		if (!heap) {
			fprintf(stderr, "smpheap-stress: smpheap_host_create: %s\n",
				strerror(errno));
			return NULL;
		}
		strategy_smpheap_init(&chosen, heap, NULL);
		return o->inject ? inject_fault(&chosen) : &chosen;
	}
	if (o->inject) {
		fprintf(stderr, "smpheap-stress: --inject puts its bugs into smpheap only\n");
		return NULL;
	}
	if (!strcmp(o->strategy, "malloc")) {
		strategy_malloc_init(&chosen);
		return &chosen;
	}
	const struct strategy_bounded *b = strategy_bounded_find(o->strategy);
	if (b) {
		/* over the layout's bytes, as smpheap */
		size_t len = b->size(layout);
		bounded_mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
		if (!bounded_mem || b->init(&chosen, bounded_mem, len, layout)) {
			fprintf(stderr, "smpheap-stress: %s over the %s layout: init failed\n",
				b->name, layout->name);
			return NULL;
		}
		return &chosen;
	}
	for (int i = 0; i < PEER_COUNT; i++) {
		if (strcmp(o->strategy, peer_name((enum peer_id)i)))
			continue;
		if (strategy_peer_init(&chosen, (enum peer_id)i, err, sizeof(err))) {
			fprintf(stderr, "smpheap-stress: %s\n", err);
			return NULL;
		}
		return &chosen;
	}
	fprintf(stderr, "smpheap-stress: unknown strategy '%s' (%s)\n", o->strategy,
		STRATEGY_NAMES);
	return NULL;
}

int main(int argc, char **argv)
{
	struct options o;
	if (parse(argc, argv, &o))
		return 2;
	const struct smpheap_layout *layout = find_layout(o.layout);
	if (!layout) {
		fprintf(stderr, "smpheap-stress: unknown layout '%s' (host, tgl, apl, small)\n",
			o.layout);
		return 2;
	}
	const char *why = NULL;
	if (smpheap_layout_validate(layout, &why)) {
		fprintf(stderr, "smpheap-stress: layout %s is invalid: %s\n", o.layout, why);
		return 2;
	}

	struct strategy *st = make_strategy(&o, layout);
	if (!st)
		return 2;

	unsigned n = o.threads;
	struct stress_config cfg = {
	    .seed = o.seed,
	    .workers = n,
	    .cores = layout->cores,
	    .zone_mask = o.zone_mask,
	    .layout = layout,
	    .now = now_ns,
	    .relax = relax,
	    .max_ops = o.ops,
	};
	struct stress_worker *workers = aligned_alloc(64, sizeof(*workers) * n);
	struct stress_ring *rings = aligned_alloc(64, sizeof(*rings) * n * n);
	struct stress_span *spans = calloc(stress_span_capacity(n), sizeof(*spans));
	if (!workers || !rings || !spans) {
		fprintf(stderr, "smpheap-stress: out of memory\n");
		return 2;
	}
	memset(workers, 0, sizeof(*workers) * n);
	memset(rings, 0, sizeof(*rings) * n * n);
	if (stress_init(&run, &cfg, st, workers, rings, spans)) {
		fprintf(stderr, "smpheap-stress: bad configuration\n");
		return 2;
	}

	printf("smpheap-stress: strategy %s, layout %s (%u cores), %u threads, %u s, seed "
	       "0x%016" PRIx64 ", zones%s%s%s%s\n",
	       st->name, layout->name, layout->cores, n, o.seconds, o.seed,
	       o.zone_mask & 1 ? " sys" : "", o.zone_mask & 2 ? " runtime" : "",
	       o.zone_mask & 4 ? " buffer" : "", o.hotplug ? ", hotplug" : "");
	printf("smpheap-stress: machine: %s\n", smpheap_host_topology());
	if (o.hotplug && layout->cores < 2)
		printf(
		    "smpheap-stress: layout has one core: nothing to take down, --hotplug idle\n");
	fflush(stdout);

	/* The controller acts as core 0 (it never allocates; frees at the end). */
	smpheap_host_bind(0);
	pthread_t *tids = calloc(n, sizeof(*tids));
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, worker_main, (void *)(uintptr_t)i)) {
			fprintf(stderr, "smpheap-stress: pthread_create failed\n");
			return 2;
		}

	ctl_rng = rng_seed(o.seed, STRESS_MAX_WORKERS);
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)o.seconds * 1000000000u;
	uint64_t next_sec = t0 + 1000000000u, next_hp = t0 + 100000000u, up_at = 0, sweep_at = 0;
	int down = -1;
	unsigned sec = 0;
	size_t ops_before = 0;
	bool hotplug = o.hotplug && layout->cores > 1;
	while (!stress_failure(&run)) {
		uint64_t t = now_ns();
		if (t >= end || (o.ops && stress_finished(&run) == n)) {
			/* At least one check of the books while the workers are
			 * live: a short run (or one whose core downs took its
			 * whole time, as under TSan) would otherwise end before
			 * its first one-second mark. */
			if (sec == 0)
				(void)stress_quiesce(&run); /* a failure is recorded in run */
			break;
		}
		if (hotplug) {
			if (down < 0 && t >= next_hp) {
				down = 1 + (int)ctl_rand(layout->cores - 1); /* core 0 stays up */
				if (stress_core_down(&run, (unsigned)down))
					break;
				up_at = now_ns() + 40000000u + ctl_rand(200) * 1000000u;
				sweep_at = now_ns() + 20000000u;
			} else if (down >= 0 && t >= up_at) {
				if (stress_core_up(&run, (unsigned)down))
					break;
				down = -1;
				next_hp = now_ns() + 20000000u + ctl_rand(200) * 1000000u;
			} else if (down >= 0 && t >= sweep_at) {
				if (stress_core_sweep(&run, (unsigned)down))
					break;
				sweep_at = now_ns() + 20000000u;
			}
		}
		if (t >= next_sec) {
			if (stress_quiesce(&run))
				break;
			struct stress_totals tt;
			stress_totals(&run, &tt);
			progress(++sec, &tt, ops_before);
			ops_before = tt.ops;
			next_sec += 1000000000u;
		}
		sleep_ms(5);
	}
	stress_stop(&run);
	for (unsigned i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	double secs = (double)(now_ns() - t0) / 1e9;
	int rc = stress_failure(&run) ? -1 : stress_finish(&run);

	struct stress_totals t;
	stress_totals(&run, &t);
	const struct stress_failure *f = stress_failure(&run);
	bool pass = rc == 0 && !f;
	if (pass) {
		printf("PASS smpheap-stress %s/%s: %u threads %.1f s seed 0x%016" PRIx64
		       ": %zu ops (%zu allocs, %zu frees, %zu handoffs, %zu reallocs), %zu nulls "
		       "(sys %zu, runtime %zu, buffer %zu; %zu recoveries), %zu bad inputs "
		       "rejected, hotplug %zu down/%zu up, %zu frees while a core "
		       "was down, banks released %zu (count %zu), %zu quiescent checks, "
		       "latency p50 %zu ns p99 %zu ns max %zu ns\n",
		       st->name, layout->name, n, secs, o.seed, t.ops, t.allocs, t.frees,
		       t.handoffs, t.reallocs, t.nulls, t.zone_nulls[0], t.zone_nulls[1],
		       t.zone_nulls[2], t.recoveries, t.bad_inputs, t.core_downs, t.core_ups,
		       t.down_frees, t.banks_released, t.bank_release_count, t.quiesces,
		       stress_hist_quantile(&t, 500), stress_hist_quantile(&t, 990), t.lat_max);
	} else {
		printf("FAIL smpheap-stress %s/%s: %u threads %.1f s seed 0x%016" PRIx64
		       ": %s: worker %d op %" PRIu64
		       " ptr %p len %zu offset %zu expected 0x%" PRIx64 " got 0x%" PRIx64
		       "; after %zu ops, max latency %zu ns\n",
		       st->name, layout->name, n, secs, o.seed, f ? f->what : "?",
		       f ? f->worker : -1, f ? f->op : 0, f ? f->ptr : NULL, f ? f->len : 0,
		       f ? f->offset : 0, f ? f->expected : 0, f ? f->got : 0, t.ops, t.lat_max);
		printf("FAIL replay: smpheap-stress --seed 0x%016" PRIx64
		       " --threads %u --layout %s --strategy%s %s%s (worker -1: the controller)\n",
		       o.seed, n, o.layout, o.strategy_lib ? "-lib" : "",
		       o.strategy_lib ? o.strategy_lib : o.strategy, o.hotplug ? " --hotplug" : "");
	}
	if (o.json)
		write_json(o.json, &o, st, layout->name, pass, &t, secs, f);
	free(tids);
	free(spans);
	free(rings);
	free(workers);
	if (heap && pass)
		smpheap_host_destroy(heap);
	free(bounded_mem);
	return pass ? 0 : 1;
}
