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
 * average fill over the run, at target fills of 50, 90 and 100 %. */
#include "wl_internal.h"

#define WL_FILL_LIVE 65536		   /* live blocks at most */
#define WL_FILL_SEED 0x3c6ef372fe94f82bull /* the one sequence every strategy gets */

static void *wl_fill_p[WL_FILL_LIVE];
static uint32_t wl_fill_size[WL_FILL_LIVE];
static uint64_t wl_fill_counts[3]; /* allocations tried, succeeded; sum of fills (ppm) */

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

	wl_mem_init(&m, d, t);
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
}
