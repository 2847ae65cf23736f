/* test_workloads.c - the new workloads' own checks, run through the
 * bare-metal driver on the tgl layout (a second or two):
 *   - ipc4-reload over the four bounded strategies: no error, N reloads, the
 *     used bytes back at the baseline, the fragmentation figures reported;
 *   - ipc4-reload over a strategy that leaks (blockmap-lock dropping one
 *     free in 97): the benchmark fails with the baseline error;
 *   - ipc4-pipelines: pipelines fit, the fill at the first failure is a
 *     fraction of the arena;
 *   - fill: a success rate and an average fill at or below each target. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_host.h"
#include "check.h"
#include "smpheap/host.h"
#include "workloads.h"

static char out[1 << 20];
static size_t nout;

static void put(int c)
{
	if (nout < sizeof(out) - 1)
		out[nout++] = (char)c;
}

/* The JSON object of the benchmark whose name starts with `name`, as a
 * string cut out of the output (NULL if absent). */
static char *bench_object(const char *name)
{
	static char obj[8192];
	char key[256];
	const char *at, *end;

	snprintf(key, sizeof(key), "\"name\": \"%s", name);
	at = strstr(out, key);
	if (!at)
		return NULL;
	end = strchr(at, '}');
	if (!end || (size_t)(end - at) >= sizeof(obj))
		return NULL;
	memcpy(obj, at, (size_t)(end - at));
	obj[end - at] = 0;
	return obj;
}

/* The value of counter `key` in `obj`; -1 if absent. */
static double counter(const char *obj, const char *key)
{
	char k[128];
	const char *at;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	at = obj ? strstr(obj, k) : NULL;
	return at ? strtod(at + strlen(k), NULL) : -1;
}

static struct strategy smph, bml, leaky, tlsf, sysh;
static struct strategy_ops leaky_ops;
static unsigned leaky_frees;

static void bind(unsigned core)
{
	smpheap_host_bind(core);
}

static int leaky_free(struct strategy *s, void *t, void *p, enum strat_kind kind)
{
	if (++leaky_frees % 97 == 0)
		return 0; /* the leak: the block stays allocated */
	return bml.ops->free(s, t, p, kind);
}

int main(void)
{
	const struct smpheap_layout *l = smpheap_layout_by_name("tgl");
	struct smpheap *h = smpheap_host_create(l);
	size_t len = blockmap_lock_size(l);
	void *mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
	void *mem2 = aligned_alloc(64, (len + 63) & ~(size_t)63);
	struct bench_baremetal_platform p = {0};
	char *o;

	CHECK(h && mem && mem2);
	strategy_smpheap_init(&smph, h, NULL);
	CHECK(strategy_blockmap_lock_init(&bml, mem, len, l) == 0);
	CHECK(strategy_blockmap_lock_init(&leaky, mem2, len, l) == 0);
	size_t tlen = tlsf_lock_size(l), slen = sysheap_lock_size(l);
	void *tmem = aligned_alloc(64, (tlen + 63) & ~(size_t)63);
	void *smem = aligned_alloc(64, (slen + 63) & ~(size_t)63);

	CHECK(tmem && smem);
	CHECK(strategy_tlsf_lock_init(&tlsf, tmem, tlen, l) == 0);
	CHECK(strategy_sysheap_lock_init(&sysh, smem, slen, l) == 0);
	leaky_ops = *leaky.ops;
	leaky_ops.free = leaky_free;
	leaky.ops = &leaky_ops;
	leaky.name = "leaky";

	wl_platform.bind = bind;
	wl_calibrate_timer();
	wl_register(WL_IPC4_RELOAD, &smph, false);
	wl_register(WL_IPC4_RELOAD, &bml, false);
	wl_register(WL_IPC4_RELOAD, &leaky, false);
	wl_register(WL_IPC4_RELOAD, &tlsf, false);
	wl_register(WL_IPC4_RELOAD, &sysh, false);
	wl_register(WL_IPC4, &smph, false);
	wl_register(WL_IPC4, &bml, false);
	wl_register(WL_FILL, &bml, false);
	p.putchar = put;
	p.cycles_hz = bench_host_calibrate();
	p.min_cycles = 1;
	bench_baremetal_run(&p); /* its result counts the failed benchmark, checked below */

	const char *const good[] = {"ipc4-reload/smpheap/", "ipc4-reload/blockmap-lock/",
				    "ipc4-reload/tlsf-lock/", "ipc4-reload/sysheap-lock/"};

	for (unsigned i = 0; i < 4; i++) {
		o = bench_object(good[i]);
		CHECK(o != NULL);
		CHECK(o && !strstr(o, "error_occurred"));
		CHECK(counter(o, "reloads") == 100);
		CHECK(counter(o, "baseline_used_bytes") == 0);
		CHECK(counter(o, "largest_free_before") > 0);
		CHECK(counter(o, "largest_free_after") > 0);
		CHECK(counter(o, "pipelines_after") > 0);
		CHECK(counter(o, "used_at_failure_pct") > 0 &&
		      counter(o, "used_at_failure_pct") <= 100);
	}
	CHECK(smph.ops->used(&smph, STRAT_RUNTIME) == 0 &&
	      smph.ops->used(&smph, STRAT_BUFFER) == 0);
	CHECK(bml.ops->used(&bml, STRAT_RUNTIME) == 0 && bml.ops->used(&bml, STRAT_BUFFER) == 0);

	o = bench_object("ipc4-reload/leaky/");
	CHECK(o != NULL);
	CHECK(o && strstr(o, "\"error_occurred\": true"));
	CHECK(o && strstr(o, "did not return to the baseline"));

	const char *const fits[] = {"ipc4-pipelines/smpheap/", "ipc4-pipelines/blockmap-lock/"};

	for (unsigned i = 0; i < 2; i++) {
		o = bench_object(fits[i]);
		CHECK(o != NULL);
		CHECK(counter(o, "pipelines") > 0 && counter(o, "pipelines") < 1024);
		CHECK(counter(o, "used_at_failure_pct") > 0 &&
		      counter(o, "used_at_failure_pct") <= 100);
		CHECK(counter(o, "arena_bytes") > 0);
		CHECK(counter(o, "p50_cyc") >= 0);
	}

	const char *const fills[] = {"fill/blockmap-lock/target:50/",
				     "fill/blockmap-lock/target:90/",
				     "fill/blockmap-lock/target:100/"};
	const double targets[] = {50, 90, 100};

	for (unsigned i = 0; i < 3; i++) {
		o = bench_object(fills[i]);
		CHECK(o != NULL);
		CHECK(counter(o, "allocs") > 0);
		CHECK(counter(o, "successful_allocs") <= counter(o, "allocs"));
		CHECK(counter(o, "success_pct") > 0 && counter(o, "success_pct") <= 100);
		CHECK(counter(o, "avg_fill_pct") > 0 && counter(o, "avg_fill_pct") <= targets[i]);
	}
	return check_report("test_workloads");
}
