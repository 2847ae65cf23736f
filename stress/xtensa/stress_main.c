/* smpheap-stress on bare-metal Xtensa: stress/stress_core.c with one worker
 * per emulated core (de212, S32C1I atomics, multi-threaded TCG so the cores
 * really run at once) on the tgl layout, or (STRESS_SMALL) on the stress
 * driver's tiny 2-core layout, where two emulated cores act as each heap
 * core (the heap reduces PRID modulo its core count) and every zone lives at
 * exhaustion.
 *
 * Core 0 is the controller, and between its controller steps it also runs
 * worker 0's operations by hand (stress_worker_steps): there are no threads
 * to run both at once. So worker 0 counts as parked whenever the controller
 * looks, which is the truth, and core 0 is never taken down: like the primary
 * core of a cAVS DSP, it runs the firmware that powers the others. Cores 1..3
 * run stress_worker_run() and are taken down and up in turn, with sweeps, while
 * the others keep allocating and freeing their blocks. Every block is tagged
 * over its whole length and checked on every free, hand-off and quiescent
 * check; the run ends with every block freed and every zone empty.
 *
 * Then the same run for each other strategy of make_strategy(), built over
 * the same layout in the same arena bytes (smpheap's bad-input,
 * stats and bank checks are smpheap's; tags, overlaps, hand-offs, hotplug
 * parking and the final emptying are everyone's): blockmap-lock, tlsf-lock,
 * sysheap-lock, and a user's allocator linked in. A strategy joins by a line
 * in make_strategy(): an init filling a struct strategy (bench/strategies/
 * strategy.h) over the arena. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "example_strategy.h"
#include "smpheap/smpheap.h"
#include "strategy.h"
#include "stress_core.h"
#include "smpheap/xtensa.h"
#include "tgl/memory.h"
#ifdef STRESS_SMALL
#include "stress_layouts.h"
#define STRESS_LAYOUT (&stress_layout_small)
#else
#define STRESS_LAYOUT (&smpheap_layout_tgl)
#endif

#ifndef STRESS_ROUNDS
#define STRESS_ROUNDS 3000 /* smpheap's controller rounds: about 5 s on 2 host cores */
#endif
/* Each other strategy's rounds: as many. (A run under a loaded host that
 * ended with no hand-off received was not a matter of rounds: the workers of
 * core 1 never ran between parks; the controller now waits until released
 * workers have run, stress_wait_progress.) */
#define OTHER_ROUNDS STRESS_ROUNDS
#define STEPS_PER_ROUND 40 /* worker 0 operations between controller steps */
#define QUIESCE_EVERY 60   /* rounds between full checks of the books */
#define HOTPLUG_EVERY 45   /* rounds between core down/sweep/up cycles */
#define WORKERS 4

static unsigned char arena[4u << 20] __attribute__((aligned(64 * 1024)));
static struct stress s;
static struct stress_worker workers[WORKERS];
static struct stress_ring rings[WORKERS * WORKERS];
static struct stress_span
    spans[WORKERS * (STRESS_LIVE_SLOTS + STRESS_SYS_SLOTS) + WORKERS * WORKERS * STRESS_RING_SLOTS];

/* CCOUNT widened to 64 bits per core: each core reads its own counter often
 * (every operation), far more often than the 107 s it takes to wrap. */
static struct {
	uint32_t last; /* CCOUNT at the previous call on this core */
	uint32_t high; /* wraps seen */
} __attribute__((aligned(32))) clocks[16];

static uint64_t now(void)
{
	unsigned c = smpheap_xtensa_core();
	uint32_t t = smpheap_xtensa_ccount();
	if (t < clocks[c].last)
		clocks[c].high++;
	clocks[c].last = t;
	return ((uint64_t)clocks[c].high << 32) | t;
}

static void relax(void)
{
	__asm__ volatile("nop" ::: "memory");
}

static void run_worker(unsigned core, void *arg)
{
	stress_worker_run(arg, core);
}

static void print_failure(void)
{
	const struct stress_failure *f = stress_failure(&s);
	if (!f)
		return;
	printf(
	    "FAIL: %s (worker %d, op %lu, ptr %p, len %lu, offset %lu, expected %llu, got %llu)\n",
	    f->what, f->worker, (unsigned long)f->op, f->ptr, (unsigned long)f->len,
	    (unsigned long)f->offset, (unsigned long long)f->expected, (unsigned long long)f->got);
}

/* The strategies, each built over layout l in the arena (reused: a run ends
 * with everything freed). 0, or -1 if it does not fit. */
static int make_smpheap(struct strategy *st, const struct smpheap_layout *l)
{
	size_t need = smpheap_size(l);
	struct smpheap *h = need && need <= sizeof(arena) ? smpheap_init(arena, need, l) : NULL;

	if (!h)
		return -1;
	strategy_smpheap_init(st, h, NULL);
	return 0;
}

/* The strategies in turn: smpheap, the bounded ones of bench/strategies
 * (bounded.c) over the same layout in the same arena, and a user's allocator
 * linked in (bench/examples/example_strategy.c) over the arena. A strategy
 * joins with a line here. Fills *rounds; 0, or -1 if it does not fit. */
#define STRATEGIES (2 + STRATEGY_BOUNDED_COUNT)
static int make_strategy(unsigned i, struct strategy *st, const struct smpheap_layout *l,
			 unsigned *rounds)
{
	*rounds = i ? OTHER_ROUNDS : STRESS_ROUNDS;
	if (i == 0)
		return make_smpheap(st, l);
	if (i <= strategy_bounded_count) {
		const struct strategy_bounded *b = &strategy_bounded_list[i - 1];
		size_t need = b->size(l);

		return need && need <= sizeof(arena) ? b->init(st, arena, need, l) : -1;
	}
	return example_strategy_init(st, arena, sizeof(arena));
}

/* One stress run of `st`; 0 if it passed. */
static int run(struct strategy *st, const struct smpheap_layout *l, unsigned rounds)
{
	const uint64_t seed = 0x5eed0000u + 5; /* fixed: the run is a regression test */
	struct stress_config cfg = {
	    .seed = seed,
	    .workers = WORKERS,
	    .cores = l->cores,
	    .zone_mask = 7,
	    .layout = l,
	    .now = now,
	    .relax = relax,
	};
	memset(workers, 0, sizeof(workers));
	memset(rings, 0, sizeof(rings));
	if (stress_init(&s, &cfg, st, workers, rings, spans) != 0) {
		printf("FAIL: stress_init\n");
		return 1;
	}
	printf("xtensa stress: %s (%s), layout %s (%u heap cores), %u workers on %u emulated "
	       "cores, seed %#llx\n",
	       st->name, st->version, l->name, l->cores, WORKERS, WORKERS,
	       (unsigned long long)seed);

	atomic_store(&workers[0].parked, 1);
	for (unsigned c = 1; c < WORKERS; c++)
		if (smpheap_xtensa_run(c, run_worker, &s) != 0) {
			printf("FAIL: core %u did not start (qemu -smp %u?)\n", c, WORKERS);
			return 1;
		}

	uint32_t t0 = smpheap_xtensa_ccount();
	for (unsigned r = 0; r < rounds; r++) {
		if (!stress_worker_steps(&s, 0, STEPS_PER_ROUND))
			break;
		if (r % QUIESCE_EVERY == QUIESCE_EVERY - 1 && stress_quiesce(&s) != 0)
			break;
		if (r % HOTPLUG_EVERY == HOTPLUG_EVERY / 2) {
			/* heap core 0 stays up: worker 0 runs here, between steps */
			unsigned c = 1 + (r / HOTPLUG_EVERY) % (l->cores - 1);
			if (stress_core_down(&s, c) != 0 ||
			    !stress_worker_steps(&s, 0, STEPS_PER_ROUND) ||
			    stress_core_sweep(&s, c) != 0 ||
			    !stress_worker_steps(&s, 0, STEPS_PER_ROUND) ||
			    stress_core_up(&s, c) != 0)
				break;
		}
	}
	stress_stop(&s);
	for (unsigned c = 1; c < WORKERS; c++)
		smpheap_xtensa_join(c);
	int rc = stress_finish(&s);
	uint32_t ticks = smpheap_xtensa_ccount() - t0;

	struct stress_totals t;
	stress_totals(&s, &t);
	printf("  ops %lu: allocs %lu frees %lu handoffs %lu received %lu reallocs %lu nulls %lu "
	       "bad inputs %lu\n",
	       (unsigned long)t.ops, (unsigned long)t.allocs, (unsigned long)t.frees,
	       (unsigned long)t.handoffs, (unsigned long)t.received, (unsigned long)t.reallocs,
	       (unsigned long)t.nulls, (unsigned long)t.bad_inputs);
	printf("  hotplug: %lu down, %lu up, %lu sweeps, %lu banks released; %lu frees of down "
	       "cores' blocks; %lu quiescent checks\n",
	       (unsigned long)t.core_downs, (unsigned long)t.core_ups, (unsigned long)t.sweeps,
	       (unsigned long)t.banks_released, (unsigned long)t.down_frees,
	       (unsigned long)t.quiesces);
	printf("  latency ticks (CCOUNT): p50 <= %lu, p99 <= %lu, max %lu; run %lu ticks\n",
	       (unsigned long)stress_hist_quantile(&t, 500),
	       (unsigned long)stress_hist_quantile(&t, 990), (unsigned long)t.lat_max,
	       (unsigned long)ticks);
	print_failure();
	/* A run that did little would pass without proving anything. */
	int weak = t.core_downs == 0 || t.handoffs == 0 || t.received == 0 || t.ops < 10000;
	if (weak)
		printf("FAIL: too little happened to call this a stress run (core downs %lu, "
		       "handoffs %lu, received %lu, ops %lu: each must be > 0, ops >= 10000)\n",
		       (unsigned long)t.core_downs, (unsigned long)t.handoffs,
		       (unsigned long)t.received, (unsigned long)t.ops);
	int failed = rc != 0 || stress_failure(&s) != NULL || weak;
	printf("  %s: %s\n", st->name, failed ? "FAIL" : "PASS");
	return failed;
}

int main(void)
{
	const struct smpheap_layout *l = STRESS_LAYOUT;
	unsigned cores = smpheap_xtensa_cores();
	unsigned passed = 0, failed = 0;
	/* Worker i runs on PRID i and acts as heap core i % l->cores, which is
	 * the core the heap sees for PRID i too. */
	if (cores != WORKERS || WORKERS % l->cores != 0 || smpheap_xtensa_cores_up() != cores) {
		printf("FAIL: built for %u cores, the driver needs %u\n", cores, WORKERS);
		return 1;
	}
	for (unsigned i = 0; i < STRATEGIES; i++) {
		static struct strategy st;
		unsigned rounds;

		if (make_strategy(i, &st, l, &rounds) != 0) {
			printf("FAIL: strategy %u does not fit the %s layout in %lu bytes\n", i,
			       l->name, (unsigned long)sizeof(arena));
			failed++;
			continue;
		}
		if (run(&st, l, rounds))
			failed++;
		else
			passed++;
		if (i == 0) /* smpheap: the banks its core-downs powered off */
			printf("  %lu bytes powered off\n",
			       (unsigned long)smpheap_xtensa_bytes_powered_off());
	}
	printf("xtensa_stress: %u passed, %u failed\n", passed, failed);
	return failed != 0;
}
