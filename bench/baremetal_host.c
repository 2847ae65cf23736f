/* baremetal_host.c - the bare-metal driver, run on the host: the same
 * workload registrations as the Google Benchmark suite, over the strategies
 * that need no OS (floors, blockmap-lock, smpheap), printed as Google
 * Benchmark JSON by bench_baremetal_run() through a putchar hook. The Xtensa
 * port builds the same driver and workloads for emulated cores; here it is
 * the driver's test bed (bench/tests checks the JSON it prints).
 *
 *   smpheap-bench-baremetal [FILTER [MIN_MS]]
 *
 * FILTER selects benchmarks whose name contains it; MIN_MS is the minimum
 * run time per benchmark in milliseconds (default 10). Threads come from
 * pthreads through the run_parallel hook. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_host.h"
#include "smpheap/host.h"
#include "workloads.h"

static void out(int c)
{
	putchar(c);
}

struct par {
	void (*body)(void *, unsigned);
	void *arg;
	unsigned i;
};

static void *par_main(void *a)
{
	struct par *p = a;

	p->body(p->arg, p->i);
	return NULL;
}

static int run_parallel(unsigned n, void (*body)(void *arg, unsigned i), void *arg)
{
	pthread_t th[16];
	struct par ps[16];

	if (n > 16)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		ps[i] = (struct par){body, arg, i};
		if (pthread_create(&th[i], NULL, par_main, &ps[i]))
			return -1;
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static void host_bind(unsigned core)
{
	smpheap_host_bind(core);
}

static struct strategy fa, fp, smph_host, smph_tgl, bml_host, bml_tgl;

static void bounded(const char *name, struct strategy *smph, struct strategy *bml)
{
	const struct smpheap_layout *l = smpheap_layout_by_name(name);
	struct smpheap *h = l ? smpheap_host_create(l) : NULL;
	size_t len = l ? blockmap_lock_size(l) : 0;
	void *mem = len ? aligned_alloc(64, (len + 63) & ~(size_t)63) : NULL;

	if (!h || !mem || strategy_blockmap_lock_init(bml, mem, len, l)) {
		fprintf(stderr, "cannot build the %s strategies\n", name);
		exit(1);
	}
	strategy_smpheap_init(smph, h, NULL);
}

int main(int argc, char **argv)
{
	struct bench_baremetal_platform p = {0};

	p.putchar = out;
	p.cycles_hz = bench_host_calibrate();
	p.run_parallel = run_parallel;
	p.filter = argc > 1 ? argv[1] : NULL;
	p.min_cycles = p.cycles_hz / 1000 * (uint64_t)(argc > 2 ? atoi(argv[2]) : 10);
	wl_platform.bind = host_bind;
	wl_calibrate_timer();

	strategy_floor_atomic_init(&fa);
	strategy_floor_plain_init(&fp);
	bounded("host", &smph_host, &bml_host);
	bounded("tgl", &smph_tgl, &bml_tgl);
	bench_context("driver_host",
		      "bare-metal driver built for the host (smpheap-bench-baremetal)");
	bench_context("strategy.smpheap", smph_host.version);
	bench_context("strategy.blockmap-lock", bml_host.version);
	bench_context("strategy.floor-atomic", fa.version);
	bench_context("strategy.floor-plain", fp.version);

	struct strategy *host_set[] = {&smph_host, &bml_host};
	struct strategy *tgl_set[] = {&smph_tgl, &bml_tgl};

	wl_register(WL_PAIR, &fa, false);
	wl_register(WL_PAIR, &fp, false);
	wl_register(WL_THREADS, &fa, false);
	for (unsigned i = 0; i < 2; i++) {
		wl_register(WL_PAIR, host_set[i], false);
		wl_register(WL_THREADS, host_set[i], false);
		wl_register(WL_HANDOFF, host_set[i], false);
		wl_register(WL_BATCH, host_set[i], false);
		wl_register(WL_BATCH_SYS, host_set[i], false);
	}
	for (unsigned i = 0; i < 2; i++) {
		wl_register(WL_PIPELINE, tgl_set[i], false);
		wl_register(WL_CHURN, tgl_set[i], false);
	}
	fflush(stdout);
	return bench_baremetal_run(&p);
}
