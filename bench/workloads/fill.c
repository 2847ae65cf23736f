/* fill.c - `fill`: fill-to-target, the method of Zephyr's heap stress test
 * (sys_heap_stress() in lib/heap/heap_stress.c of zephyrproject-rtos/zephyr,
 * written here from its description):
 *   - each operation allocates or frees: always allocate when nothing is
 *     held, always free above the target fill, and in between allocate with
 *     a chance falling linearly from 1 (empty) to 1/2 (at the target);
 *   - sizes are log-distributed: octave k (sizes below 2^(4+k)) is chosen
 *     with probability 2^-(k+1), then a size uniform within it, so small
 *     blocks are common and large ones rare, up to the arena's size;
 *   - the victim of a free is a random live block;
 *   - the fill is the bytes asked for by the live blocks over the arena.
 * The sequence is seeded (bench/common/rng.h) and of a fixed length, the
 * same for every strategy; the arena is the strategy's whole (its runtime
 * and buffer zones, or one arena) or, for an unbounded peer, a budget of
 * the same bytes (wl_mem). Reports the allocations' success rate and the
 * average fill over the run, at target fills of 50, 90 and 100 %.
 *
 * Where the platform counts instructions exactly (wl_platform.insns_stop:
 * bare metal on Xtensa), every allocation and free is also counted, and the
 * run reports their percentiles and maxima in instructions (the worst case
 * over the whole seeded sequence, failed allocations included), with the
 * size of the costliest allocation and free and whether that allocation
 * failed. */
#include "wl_internal.h"

#define WL_FILL_LIVE 65536		   /* live blocks at most */
#define WL_FILL_SEED 0x3c6ef372fe94f82bull /* the one sequence every strategy gets */

static void *wl_fill_p[WL_FILL_LIVE];
static uint32_t wl_fill_size[WL_FILL_LIVE];
static uint64_t wl_fill_counts[3]; /* allocations tried, succeeded; sum of fills (ppm) */

/* The instruction counts (0 alloc, 1 free) of a run on a platform that has
 * a counter, and what the costliest operation of each side was. */
static struct hist wl_fill_insns[2];
static uint64_t wl_fill_worst_size[2], wl_fill_worst_failed;
/* Counter names: static, since the bare-metal driver keeps the pointers. */
static const char *const wl_fill_insns_names[2][7] = {
    {"alloc_p50_insns", "alloc_p99_insns", "alloc_p99.9_insns", "alloc_max_insns",
     "alloc_mean_insns", "alloc_max_insns_size", "alloc_max_insns_failed"},
    {"free_p50_insns", "free_p99_insns", "free_p99.9_insns", "free_max_insns", "free_mean_insns",
     "free_max_insns_size", NULL},
};
static const uint32_t wl_fill_insns_ppm[3] = {500000, 990000, 999000};

static void wl_fill_count(unsigned side, uint64_t insns, size_t size, bool failed)
{
	if (insns > wl_fill_insns[side].max || !wl_fill_insns[side].count) {
		wl_fill_worst_size[side] = size;
		if (side == 0)
			wl_fill_worst_failed = failed;
	}
	hist_record(&wl_fill_insns[side], insns);
}

static void wl_fill_report_insns(struct bench_state *st)
{
	for (unsigned side = 0; side < 2; side++) {
		const struct hist *h = &wl_fill_insns[side];
		const char *const *name = wl_fill_insns_names[side];

		if (!h->count)
			continue;
		for (unsigned i = 0; i < 3; i++)
			bench_counter(st, name[i],
				      (int64_t)hist_percentile(h, wl_fill_insns_ppm[i]),
				      BENCH_COUNTER_DEFAULT);
		bench_counter(st, name[3], (int64_t)h->max, BENCH_COUNTER_DEFAULT);
		bench_counter_milli(st, name[4], (int64_t)(h->sum * 1000 / h->count),
				    BENCH_COUNTER_DEFAULT);
		bench_counter(st, name[5], (int64_t)wl_fill_worst_size[side],
			      BENCH_COUNTER_DEFAULT);
		if (name[6])
			bench_counter(st, name[6], (int64_t)wl_fill_worst_failed,
				      BENCH_COUNTER_DEFAULT);
	}
}

/* Bits of the largest size a request may have: the arena's octave. */
static unsigned wl_fill_max_bits(size_t total)
{
	unsigned bits = 5;

	while (bits < 31 && ((size_t)1 << bits) < total)
		bits++;
	return bits;
}

/* A size in [1, 2^(4+k)) with octave k of probability 2^-(k+1): k is the
 * number of leading zero bits of a 32-bit draw. */
static size_t wl_fill_size_draw(rng_t *x, unsigned max_bits)
{
	uint32_t r = (uint32_t)(rng_next(x) >> 32);
	unsigned k = 0;

	while (k < 32 && !(r & (0x80000000u >> k)))
		k++;
	unsigned bits = 4 + k < max_bits ? 4 + k : max_bits;

	return 1 + (size_t)rng_below(x, ((uint64_t)1 << bits) - 1);
}

void wl_fill(struct bench_state *st, struct wl_def *d)
{
	uint64_t target_ppm = (uint64_t)bench_arg_value(st, 0) * 10000;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_mem m;
	struct wl_sum sum;
	rng_t x = rng_seed(WL_FILL_SEED, 0);
	uint64_t fill_sum = 0, ops = 0, tried = 0, got = 0;
	struct wl_live live = {wl_fill_p, wl_fill_size, 0, WL_FILL_LIVE, 0};
	unsigned max_bits;
	size_t size;

	wl_mem_init(&m, d);
	m.count_insns = wl_platform.insns_start && wl_platform.insns_stop;
	hist_reset(&wl_fill_insns[0]);
	hist_reset(&wl_fill_insns[1]);
	if (!m.total) /* an unbounded strategy without usable sizes: no budget to fill */
		bench_skip(st, "fill: no arena and no budget (usable size unknown)");
	max_bits = wl_fill_max_bits(m.total);
	while (bench_keep_running(st)) {
		uint64_t full_ppm = m.total ? live.bytes * 1000000 / m.total : 0, c;
		bool alloc;

		if (live.n == 0)
			alloc = true;
		else if (live.n == live.max || full_ppm >= target_ppm)
			alloc = false;
		else /* P(alloc) = 1 - full / (2 x target) */
			alloc = rng_below(&x, 2 * target_ppm) >= full_ppm;
		if (alloc) {
			size = wl_fill_size_draw(&x, max_bits);
			enum strat_kind kind = strategy_kind_for(d->s, size);
			void *p = wl_mem_alloc(&m, t, size, kind, &c);

			tried++;
			w->attempts++;
			hist_record(&w->h[1], c);
			if (m.count_insns)
				wl_fill_count(0, m.insns, size, !p);
			if (p) {
				got++;
				wl_live_add(&live, p, size);
			} else {
				w->failures++;
			}
		} else {
			void *p = wl_live_take(&live, rng_below(&x, live.n), &size);

			wl_mem_free(&m, t, p, strategy_kind_for(d->s, size), &c);
			hist_record(&w->h[2], c);
			if (m.count_insns)
				wl_fill_count(1, m.insns, size, false);
		}
		hist_record(&w->h[0], c);
		bench_set_iteration_cycles(st, c);
		fill_sum += m.total ? live.bytes * 1000000 / m.total : 0;
		ops++;
	}
	while (live.n) {
		void *p = wl_live_take(&live, live.n - 1, &size);

		wl_mem_free(&m, t, p, strategy_kind_for(d->s, size), NULL);
	}
	wl_fill_counts[0] = tried;
	wl_fill_counts[1] = got;
	wl_fill_counts[2] = ops ? fill_sum / ops : 0;
	if (!wl_end(st, d, t, &sum))
		return;
	bench_counter(st, "allocs", (int64_t)wl_fill_counts[0], BENCH_COUNTER_DEFAULT);
	bench_counter(st, "successful_allocs", (int64_t)wl_fill_counts[1], BENCH_COUNTER_DEFAULT);
	/* thousandths of a percent, as failure_pct */
	if (wl_fill_counts[0])
		bench_counter_milli(st, "success_pct",
				    (int64_t)(wl_fill_counts[1] * 100000 / wl_fill_counts[0]),
				    BENCH_COUNTER_DEFAULT);
	bench_counter_milli(st, "avg_fill_pct", (int64_t)(wl_fill_counts[2] / 10),
			    BENCH_COUNTER_DEFAULT);
	bench_counter(st, m.s->bounded ? "arena_bytes" : "budget_bytes", (int64_t)m.total,
		      BENCH_COUNTER_DEFAULT);
	wl_fill_report_insns(st);
}
