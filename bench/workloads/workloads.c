/* workloads.c - the workloads (see workloads.h). */
#include "workloads.h"

#include "hist.h"

#define WL_MAX_DEFS 320
#define WL_HISTS 3	      /* per thread: 0 the workload's main figure, 1 alloc, 2 free */
#define WL_BATCH_MAX 4096     /* pointers per thread in batch */
#define WL_THREADS_BATCH 16   /* pairs per timed window in `threads` */
#define WL_PIPE_MAX 1024      /* pipelines per iteration (a cap; the peers' budget binds first) */
#define WL_PIPE_OBJS 12	      /* allocations per pipeline at most */
#define WL_CHURN_LIVE 8192    /* live blocks in churn */
#define WL_SYS_MAX 4096	      /* sys blocks per thread per replay (strategies without reset) */
#define WL_FAILED ((void *)1) /* replay: an allocation that failed */
#define WL_LF_SERIES 256      /* largest-free samples kept per thread */
#define WL_LF_POINTS 10	      /* of which reported, evenly spaced */

struct wl_platform wl_platform;

static struct wl_def wl_defs[WL_MAX_DEFS];
static unsigned wl_ndefs;
static uint64_t wl_ovh;	 /* cycles subtracted from each sample */
static uint64_t wl_step; /* smallest step seen in the cycle counter */

/* Per-thread figures of the current run, merged by its last thread. */
struct wl_thread {
	struct hist h[WL_HISTS];
	uint64_t failures, attempts;		/* allocations that failed / tried */
	uint64_t lf_min, lf_sum, lf_n, lf_last; /* largest free block samples */
	uint64_t peak_used, requested, pipelines, ops;
	/* largest free block over the run: samples kept at a stride that
	 * doubles whenever the series fills, so it always spans the run */
	uint32_t lf_series[WL_LF_SERIES];
	unsigned lf_len, lf_every, lf_k;
};
static struct wl_thread wl_t[STRAT_MAX_THREADS];
static _Atomic unsigned wl_done;

static inline uint64_t wl_net(uint64_t d)
{
	return d > wl_ovh ? d - wl_ovh : 0;
}

uint64_t wl_timer_overhead(void)
{
	return wl_ovh;
}

uint64_t wl_timer_step(void)
{
	return wl_step;
}

uint64_t wl_calibrate_timer(void)
{
	/* The mean, not the minimum, of back-to-back reads: a counter that
	 * ticks in steps (the TSC of some VMs moves 26 cycles at a time) reads
	 * an operation as a multiple of the step, and only the mean overhead
	 * makes the mean of the corrected samples right. Reads disturbed by an
	 * interrupt (over 4x the minimum) are left out. */
	enum { SAMPLES = 20000 };
	uint64_t best = UINT64_MAX, sum = 0, n = 0, step = UINT64_MAX;
	static uint64_t d[SAMPLES];

	for (int i = 0; i < SAMPLES; i++) {
		uint64_t a = bench_cycles(), b = bench_cycles();

		d[i] = b - a;
		if (d[i] < best)
			best = d[i];
	}
	for (int i = 0; i < SAMPLES; i++) {
		if (d[i] <= 4 * best) {
			sum += d[i];
			n++;
		}
		if (d[i] > best && d[i] - best < step)
			step = d[i] - best;
	}
	wl_ovh = n ? (sum + n / 2) / n : best;
	wl_step = step == UINT64_MAX ? 1 : step;
	return wl_ovh;
}

/* xorshift64*: deterministic, cheap, good enough for sizes and victims */
static inline uint64_t wl_rand(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ull;
}

/* log-uniform in [2^lo_bits, 2^hi_bits] */
static size_t wl_rand_size(uint64_t *x, unsigned lo_bits, unsigned hi_bits)
{
	unsigned e = lo_bits + (unsigned)(wl_rand(x) % (hi_bits - lo_bits));
	size_t base = (size_t)1 << e;

	return base + (size_t)(wl_rand(x) % base) + 1;
}

static void *wl_begin(struct bench_state *st, struct wl_def *d, unsigned *ti)
{
	struct wl_thread *w;

	*ti = bench_thread_index(st) % STRAT_MAX_THREADS;
	w = &wl_t[*ti];
	for (unsigned i = 0; i < WL_HISTS; i++)
		hist_reset(&w->h[i]);
	w->failures = w->attempts = 0;
	w->lf_min = UINT64_MAX;
	w->lf_sum = w->lf_n = w->lf_last = 0;
	w->peak_used = w->requested = w->pipelines = w->ops = 0;
	w->lf_len = w->lf_k = 0;
	w->lf_every = 1;
	if (wl_platform.bind)
		wl_platform.bind(*ti);
	return d->s->ops->thread_init(d->s, *ti, *ti);
}

/* Counter names: static, since the bare-metal driver keeps the pointers. */
static const char *const wl_pct_names[2][6] = {
    {"p50_cyc", "p90_cyc", "p99_cyc", "p99.9_cyc", "p99.99_cyc", "max_cyc"},
    {"p50_ns", "p90_ns", "p99_ns", "p99.9_ns", "p99.99_ns", "max_ns"},
};
static const char *const wl_side_names[2][4] = {
    {"alloc_p50_cyc", "alloc_p99_cyc", "alloc_p99.9_cyc", "alloc_max_cyc"},
    {"free_p50_cyc", "free_p99_cyc", "free_p99.9_cyc", "free_max_cyc"},
};
static const char *const wl_lf_names[WL_LF_POINTS] = {
    "largest_free_t0", "largest_free_t1", "largest_free_t2", "largest_free_t3", "largest_free_t4",
    "largest_free_t5", "largest_free_t6", "largest_free_t7", "largest_free_t8", "largest_free_t9",
};
static const uint32_t wl_ppm[6] = {500000, 900000, 990000, 999000, 999900, 1000000};
static const uint32_t wl_side_ppm[4] = {500000, 990000, 999000, 1000000};
static struct hist wl_merged[WL_HISTS];

static void wl_end(struct bench_state *st, struct wl_def *d, void *t, unsigned ti)
{
	unsigned n = bench_thread_count(st);
	struct wl_thread sum = {0};

	d->s->ops->thread_fini(d->s, t);
	(void)ti;
	/* the last thread of the run to get here reports for all of them; the
	 * acq_rel add makes every other thread's histograms visible to it */
	if (atomic_fetch_add_explicit(&wl_done, 1, memory_order_acq_rel) + 1 != n)
		return;
	atomic_store_explicit(&wl_done, 0, memory_order_relaxed);
	sum.lf_min = UINT64_MAX;
	for (unsigned h = 0; h < WL_HISTS; h++)
		hist_reset(&wl_merged[h]);
	for (unsigned i = 0; i < n && i < STRAT_MAX_THREADS; i++) {
		struct wl_thread *w = &wl_t[i];

		for (unsigned h = 0; h < WL_HISTS; h++)
			hist_merge(&wl_merged[h], &w->h[h]);
		sum.failures += w->failures;
		sum.attempts += w->attempts;
		if (w->lf_min < sum.lf_min)
			sum.lf_min = w->lf_min;
		sum.lf_sum += w->lf_sum;
		sum.lf_n += w->lf_n;
		if (w->lf_n)
			sum.lf_last = w->lf_last;
		if (w->peak_used > sum.peak_used)
			sum.peak_used = w->peak_used;
		sum.requested += w->requested;
		sum.pipelines += w->pipelines;
		sum.ops += w->ops;
	}
	if (wl_merged[0].count) {
		for (unsigned i = 0; i < 6; i++) {
			uint64_t c = hist_percentile(&wl_merged[0], wl_ppm[i]);

			bench_counter(st, wl_pct_names[0][i], (int64_t)c, BENCH_COUNTER_DEFAULT);
			bench_counter_milli(st, wl_pct_names[1][i],
					    (int64_t)bench_cycles_to_ns_milli(c),
					    BENCH_COUNTER_DEFAULT);
		}
		bench_counter_milli(st, "mean_cyc",
				    (int64_t)(wl_merged[0].sum * 1000 / wl_merged[0].count),
				    BENCH_COUNTER_DEFAULT);
		bench_counter_milli(st, "mean_p99.9_cyc",
				    (int64_t)hist_trimmed_mean_milli(&wl_merged[0], 999000),
				    BENCH_COUNTER_DEFAULT);
		bench_counter(st, "samples", (int64_t)wl_merged[0].count, BENCH_COUNTER_DEFAULT);
	}
	for (unsigned h = 1; h < WL_HISTS; h++)
		if (wl_merged[h].count)
			for (unsigned i = 0; i < 4; i++)
				bench_counter(
				    st, wl_side_names[h - 1][i],
				    (int64_t)hist_percentile(&wl_merged[h], wl_side_ppm[i]),
				    BENCH_COUNTER_DEFAULT);
	bench_counter(st, "timer_overhead_cyc", (int64_t)wl_ovh, BENCH_COUNTER_DEFAULT);
	if (sum.attempts) {
		bench_counter(st, "failures", (int64_t)sum.failures, BENCH_COUNTER_DEFAULT);
		/* thousandths of a percent */
		bench_counter_milli(st, "failure_pct",
				    (int64_t)(sum.failures * 100000 / sum.attempts),
				    BENCH_COUNTER_DEFAULT);
	}
	if (sum.lf_n) {
		bench_counter(st, "largest_free_min", (int64_t)sum.lf_min, BENCH_COUNTER_DEFAULT);
		bench_counter(st, "largest_free_mean", (int64_t)(sum.lf_sum / sum.lf_n),
			      BENCH_COUNTER_DEFAULT);
		bench_counter(st, "largest_free_last", (int64_t)sum.lf_last, BENCH_COUNTER_DEFAULT);
		/* the first thread's series, at tenths of the run */
		if (wl_t[0].lf_len)
			for (unsigned i = 0; i < WL_LF_POINTS; i++)
				bench_counter(st, wl_lf_names[i],
					      wl_t[0].lf_series[i * wl_t[0].lf_len / WL_LF_POINTS],
					      BENCH_COUNTER_DEFAULT);
	}
	if (d->kind == WL_PIPELINE) {
		bench_counter(st, "pipelines", (int64_t)sum.pipelines, BENCH_COUNTER_DEFAULT);
		bench_counter(st, "requested_bytes", (int64_t)sum.requested, BENCH_COUNTER_DEFAULT);
		bench_counter(st, "pipeline_cap", WL_PIPE_MAX, BENCH_COUNTER_DEFAULT);
		if (d->s->bounded || (d->s->ops->usable && d->ref_capacity[STRAT_RUNTIME])) {
			bench_counter(st, "peak_used_bytes", (int64_t)sum.peak_used,
				      BENCH_COUNTER_DEFAULT);
			if (!d->s->bounded)
				bench_counter(st, "budget_bytes",
					      (int64_t)(d->ref_capacity[STRAT_RUNTIME] +
							d->ref_capacity[STRAT_BUFFER]),
					      BENCH_COUNTER_DEFAULT);
		}
	}
	if (d->kind == WL_REPLAY)
		bench_counter(st, "trace_ops", (int64_t)sum.ops, BENCH_COUNTER_DEFAULT);
}

static void wl_pair(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	size_t size = (size_t)bench_arg_value(st, 0);
	enum strat_kind kind = strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];

	while (bench_keep_running(st)) {
		uint64_t t0 = bench_cycles();
		void *p = strategy_alloc(s, t, size, kind);
		uint64_t t1 = bench_cycles();
		uint64_t a = wl_net(t1 - t0), f = 0;

		w->attempts++;
		if (p) {
			*(volatile char *)p = 1; /* touch it, outside the timed windows */
			uint64_t t2 = bench_cycles();
			strategy_free(s, t, p, kind);
			uint64_t t3 = bench_cycles();
			f = wl_net(t3 - t2);
			hist_record(&w->h[2], f);
		} else {
			w->failures++;
		}
		hist_record(&w->h[1], a);
		hist_record(&w->h[0], a + f);
		bench_set_iteration_cycles(st, a + f);
	}
	bench_set_items(st, (int64_t)bench_iterations_done(st));
	wl_end(st, d, t, ti);
}

static void wl_threads(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	size_t size = (size_t)bench_arg_value(st, 0);
	enum strat_kind kind = strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];

	uint64_t last = 0;

	while (bench_keep_running(st)) {
		/* throughput: a window of pairs with no timer inside */
		uint64_t b0 = bench_cycles();

		if (!last)
			last = b0;
		for (unsigned i = 0; i < WL_THREADS_BATCH; i++) {
			void *p = strategy_alloc(s, t, size, kind);

			if (p) {
				*(volatile char *)p = 1;
				strategy_free(s, t, p, kind);
			} else {
				w->failures++;
			}
		}
		w->attempts += WL_THREADS_BATCH;
		/* latency: one more pair, each operation timed (not in the throughput) */
		uint64_t t0 = bench_cycles();
		void *p = strategy_alloc(s, t, size, kind);
		uint64_t t1 = bench_cycles();
		uint64_t a = wl_net(t1 - t0), f = 0;

		if (p) {
			*(volatile char *)p = 1;
			uint64_t t2 = bench_cycles();
			strategy_free(s, t, p, kind);
			uint64_t t3 = bench_cycles();
			f = wl_net(t3 - t2);
			hist_record(&w->h[2], f);
		}
		hist_record(&w->h[1], a);
		hist_record(&w->h[0], a + f);
		/* The iteration's time is wall time, not the window alone: with
		 * more threads than cores a thread is off the CPU for long
		 * stretches, and throughput must count them (a thread that runs
		 * its whole loop in one time slice would otherwise look as if
		 * it had a core to itself). Only the latency sample is taken out. */
		uint64_t now = bench_cycles();
		uint64_t wall = now - last, sample = now - t0;

		bench_set_iteration_cycles(st, wall > sample ? wall - sample : 0);
		last = now;
	}
	bench_set_items(st, (int64_t)bench_iterations_done(st) * WL_THREADS_BATCH);
	wl_end(st, d, t, ti);
}

static void *wl_ptrs[STRAT_MAX_THREADS][WL_BATCH_MAX];

static void wl_batch(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned n = (unsigned)bench_arg_value(st, 0);
	size_t size = (size_t)bench_arg_value(st, 1);
	bool sys = d->kind == WL_BATCH_SYS;
	enum strat_kind kind = sys ? STRAT_SYS : strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	void **ptrs = wl_ptrs[ti];

	if (n > WL_BATCH_MAX)
		n = WL_BATCH_MAX;
	while (bench_keep_running(st)) {
		uint64_t sum = 0;

		for (unsigned i = 0; i < n; i++) {
			uint64_t t0 = bench_cycles();
			void *p = strategy_alloc(s, t, size, kind);
			uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

			ptrs[i] = p;
			w->attempts++;
			if (!p)
				w->failures++;
			hist_record(&w->h[1], a);
			hist_record(&w->h[0], a);
			sum += a;
		}
		if (sys && s->ops->sys_reset) {
			s->ops->sys_reset(s, ti); /* not timed: the teardown of a core */
		} else if (sys) {
			for (unsigned i = 0; i < n; i++)
				if (ptrs[i])
					strategy_free(s, t, ptrs[i], STRAT_RUNTIME);
		} else {
			/* teardown in reverse order, as a pipeline is taken down */
			for (unsigned i = n; i-- > 0;) {
				if (!ptrs[i])
					continue;
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, ptrs[i], kind);
				uint64_t t1 = bench_cycles(), f = wl_net(t1 - t0);

				hist_record(&w->h[2], f);
				hist_record(&w->h[0], f);
				sum += f;
			}
		}
		bench_set_iteration_cycles(st, sum);
	}
	bench_set_items(st, (int64_t)(bench_iterations_done(st) * n * (sys ? 1 : 2)));
	wl_end(st, d, t, ti);
}

bool wl_ring_push(struct wl_ring *r, void *p)
{
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (tail - head == WL_RING_SIZE)
		return false;
	r->slot[tail % WL_RING_SIZE] = p;
	/* release: the slot's write is seen before the new tail */
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

bool wl_ring_pop(struct wl_ring *r, void **p)
{
	unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head == tail)
		return false;
	*p = r->slot[head % WL_RING_SIZE];
	/* release: the slot is read before the producer may reuse it */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

static struct wl_ring wl_rings[STRAT_MAX_THREADS / 2];

static void wl_handoff(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	size_t size = (size_t)bench_arg_value(st, 0);
	enum strat_kind kind = strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_ring *ring = &wl_rings[ti / 2];
	bool producer = (ti % 2) == 0;
	bool alone = producer && ti + 1 >= bench_thread_count(st);
	uint64_t last = 0;
	unsigned spins = 0;

	while (bench_keep_running(st)) {
		uint64_t now;

		if (!last)
			last = bench_cycles();
		if (producer) {
			uint64_t t0 = bench_cycles();
			void *p = strategy_alloc(s, t, size, kind);
			uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

			w->attempts++;
			if (p)
				*(volatile char *)p = 1;
			else
				w->failures++;
			hist_record(&w->h[1], a);
			hist_record(&w->h[0], a);
			if (alone) { /* an odd thread count: the last producer frees itself */
				if (p)
					strategy_free(s, t, p, kind);
			} else {
				while (!wl_ring_push(ring, p))
					bench_spin_wait(&spins);
			}
		} else {
			void *p;

			while (!wl_ring_pop(ring, &p))
				bench_spin_wait(&spins);
			if (p) {
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, p, kind); /* a free from the other core */
				uint64_t t1 = bench_cycles(), f = wl_net(t1 - t0);

				hist_record(&w->h[2], f);
				hist_record(&w->h[0], f);
			}
		}
		/* the ring's rate is what matters: each iteration costs its wall time */
		now = bench_cycles();
		bench_set_iteration_cycles(st, now - last);
		last = now;
	}
	if (producer)
		bench_set_items(st, (int64_t)bench_iterations_done(st));
	wl_end(st, d, t, ti);
}

struct wl_pobj {
	void *p;	      /* NULL: failed */
	uint32_t size;	      /* bytes asked */
	enum strat_kind kind; /* component struct or period buffer */
};
static struct wl_pobj wl_pobjs[WL_PIPE_MAX][WL_PIPE_OBJS];
static unsigned wl_pcount[WL_PIPE_MAX];

/* One synthetic pipeline, the same sequence every iteration: 3..8 component
 * structs of 100..600 bytes, and 1..3 period buffers of
 * rate/1000 (1 ms periods) x channels x sample bytes x periods. */
static unsigned wl_pipeline_gen(uint64_t *x, struct wl_pobj *o)
{
	static const uint32_t rates[] = {16000, 48000, 48000, 96000};
	static const uint32_t chans[] = {1, 2, 2, 4, 8};
	unsigned n = 0, comps = 3 + (unsigned)(wl_rand(x) % 6),
		 bufs = 1 + (unsigned)(wl_rand(x) % 3);

	for (unsigned i = 0; i < comps; i++, n++) {
		o[n].size = 100 + (uint32_t)(wl_rand(x) % 501);
		o[n].kind = STRAT_RUNTIME;
	}
	for (unsigned i = 0; i < bufs; i++, n++) {
		uint32_t rate = rates[wl_rand(x) % 4], ch = chans[wl_rand(x) % 5];
		uint32_t sb = (wl_rand(x) & 1) ? 4 : 2, periods = 2 + (uint32_t)(wl_rand(x) % 3);

		o[n].size = rate / 1000 * ch * sb * periods;
		o[n].kind = STRAT_BUFFER;
	}
	return n;
}

static void wl_pipeline(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	unsigned cores = s->cores > 1 ? s->cores : 2;

	/* An unbounded strategy gets the bounded heap's runtime and buffer
	 * bytes as its budget, counted in its blocks' usable sizes: a pipeline
	 * that would take it past them does not fit. (Its headers and its
	 * external fragmentation are not counted: a bound in its favour.) */
	size_t budget = 0;

	if (!s->bounded && s->ops->usable)
		budget = d->ref_capacity[STRAT_RUNTIME] + d->ref_capacity[STRAT_BUFFER];
	while (bench_keep_running(st)) {
		uint64_t x = 0x9e3779b97f4a7c15ull, total = 0, requested = 0;
		unsigned created = 0;
		size_t live = 0;

		for (unsigned pi = 0; pi < WL_PIPE_MAX; pi++) {
			struct wl_pobj *o = wl_pobjs[pi];
			unsigned n = wl_pipeline_gen(&x, o), k;
			uint64_t setup = 0;

			/* pipelines are spread over the cores; binding is not timed */
			if (wl_platform.bind)
				wl_platform.bind(pi % cores);
			for (k = 0; k < n; k++) {
				uint64_t t0 = bench_cycles();
				o[k].p = strategy_alloc(s, t, o[k].size, o[k].kind);
				uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

				w->attempts++;
				hist_record(&w->h[1], a);
				setup += a;
				if (!o[k].p)
					break;
				if (budget) {
					live += s->ops->usable(s, o[k].p);
					if (live > budget) { /* over the budget: no room */
						live -= s->ops->usable(s, o[k].p);
						strategy_free(s, t, o[k].p, o[k].kind);
						break;
					}
				}
			}
			if (k < n) { /* the first pipeline that does not fit */
				w->failures++;
				while (k-- > 0) {
					if (budget)
						live -= s->ops->usable(s, o[k].p);
					strategy_free(s, t, o[k].p, o[k].kind);
				}
				total += setup;
				break;
			}
			if (live > w->peak_used)
				w->peak_used = live;
			wl_pcount[pi] = n;
			hist_record(&w->h[0], setup);
			total += setup;
			created++;
			for (k = 0; k < n; k++)
				requested += o[k].size;
			if (s->bounded && s->ops->used) {
				uint64_t used =
				    s->ops->used(s, STRAT_RUNTIME) + s->ops->used(s, STRAT_BUFFER);

				if (used > w->peak_used)
					w->peak_used = used;
			}
		}
		if (wl_platform.bind)
			wl_platform.bind(ti);
		for (unsigned pi = created; pi-- > 0;) {
			uint64_t down = 0;

			for (unsigned k = wl_pcount[pi]; k-- > 0;) {
				struct wl_pobj *o = &wl_pobjs[pi][k];
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, o->p, o->kind);
				uint64_t t1 = bench_cycles();
				down += wl_net(t1 - t0);
			}
			hist_record(&w->h[2], down);
			total += down;
		}
		w->pipelines = created;
		w->requested = requested;
		bench_set_iteration_cycles(st, total);
	}
	bench_set_items(st, (int64_t)(bench_iterations_done(st) * w->pipelines));
	wl_end(st, d, t, ti);
}

static void *wl_live[WL_CHURN_LIVE];
static uint32_t wl_live_size[WL_CHURN_LIVE];

static void wl_churn(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned fill = (unsigned)bench_arg_value(st, 0);
	enum strat_kind kind = bench_arg_value(st, 1) == 2 ? STRAT_BUFFER : STRAT_RUNTIME;
	unsigned lo = kind == STRAT_BUFFER ? 8 : 4, hi = kind == STRAT_BUFFER ? 15 : 12;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	size_t cap = s->bounded ? s->ops->capacity(s, kind) : d->ref_capacity[kind];
	size_t target = cap / 100 * fill, requested = 0;
	unsigned nlive = 0;
	uint64_t x = 0x2545f4914f6cdd1dull, ops = 0;

	/* fill to the target first (not timed) */
	while (requested < target && nlive < WL_CHURN_LIVE) {
		size_t size = wl_rand_size(&x, lo, hi);
		void *p = strategy_alloc(s, t, size, kind);

		if (!p)
			break;
		wl_live[nlive] = p;
		wl_live_size[nlive++] = (uint32_t)size;
		requested += size;
	}
	while (bench_keep_running(st)) {
		uint64_t c;

		/* a random walk around the target: below it, three operations in
		 * four allocate; above it, one in four. Lifetimes are random (a
		 * random victim), and a failed allocation does not trap the loop
		 * in allocating, so the failure rate is the heap's at that fill. */
		unsigned r = (unsigned)(wl_rand(&x) & 3);
		bool alloc =
		    nlive == 0 || (nlive < WL_CHURN_LIVE && (requested < target ? r < 3 : r < 1));

		if (alloc) {
			size_t size = wl_rand_size(&x, lo, hi);
			uint64_t t0 = bench_cycles();
			void *p = strategy_alloc(s, t, size, kind);
			uint64_t t1 = bench_cycles();

			c = wl_net(t1 - t0);
			w->attempts++;
			hist_record(&w->h[1], c);
			if (p) {
				wl_live[nlive] = p;
				wl_live_size[nlive++] = (uint32_t)size;
				requested += size;
			} else {
				w->failures++;
			}
		} else {
			unsigned i = (unsigned)(wl_rand(&x) % nlive);
			uint64_t t0 = bench_cycles();
			strategy_free(s, t, wl_live[i], kind);
			uint64_t t1 = bench_cycles();

			c = wl_net(t1 - t0);
			hist_record(&w->h[2], c);
			requested -= wl_live_size[i];
			wl_live[i] = wl_live[--nlive];
			wl_live_size[i] = wl_live_size[nlive];
		}
		hist_record(&w->h[0], c);
		bench_set_iteration_cycles(st, c);
		if ((++ops & 255) == 0 && s->ops->largest_free) {
			uint64_t lf = s->ops->largest_free(s, kind);

			if (lf < w->lf_min)
				w->lf_min = lf;
			w->lf_sum += lf;
			w->lf_n++;
			w->lf_last = lf;
			if (w->lf_k++ % w->lf_every == 0) {
				if (w->lf_len == WL_LF_SERIES) {
					for (unsigned i = 0; i < WL_LF_SERIES / 2; i++)
						w->lf_series[i] = w->lf_series[2 * i];
					w->lf_len = WL_LF_SERIES / 2;
					w->lf_every *= 2;
				}
				w->lf_series[w->lf_len++] = (uint32_t)lf;
			}
		}
	}
	while (nlive)
		strategy_free(s, t, wl_live[--nlive], kind);
	wl_end(st, d, t, ti);
}

static _Atomic(void *) wl_ids[TRACE_MAX_IDS];
static void *wl_sys[STRAT_MAX_THREADS][WL_SYS_MAX];
static _Atomic unsigned wl_bar_count, wl_bar_gen;

static void wl_barrier(unsigned threads)
{
	unsigned gen = atomic_load_explicit(&wl_bar_gen, memory_order_acquire);
	unsigned spins = 0;

	if (threads <= 1)
		return;
	if (atomic_fetch_add_explicit(&wl_bar_count, 1, memory_order_acq_rel) + 1 == threads) {
		atomic_store_explicit(&wl_bar_count, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&wl_bar_gen, 1, memory_order_acq_rel);
		return;
	}
	while (atomic_load_explicit(&wl_bar_gen, memory_order_acquire) == gen)
		bench_spin_wait(&spins);
}

static void wl_replay(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	const struct trace *tr = d->trace;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	unsigned threads = bench_thread_count(st), nsys;
	unsigned spins = 0;

	while (bench_keep_running(st)) {
		uint64_t sum = 0;

		nsys = 0;
		for (size_t i = 0; i < tr->count; i++) {
			const struct trace_op *o = &tr->ops[i];
			enum strat_kind kind = (enum strat_kind)o->zone;

			if (o->core % threads != ti)
				continue;
			w->ops++;
			if (!o->is_free) {
				uint64_t t0 = bench_cycles();
				void *p = strategy_alloc(s, t, o->size, kind);
				uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

				sum += a;
				w->attempts++;
				hist_record(&w->h[1], a);
				hist_record(&w->h[0], a);
				if (!p)
					w->failures++;
				if (kind == STRAT_SYS) {
					if (p && nsys < WL_SYS_MAX)
						wl_sys[ti][nsys++] = p;
				} else {
					/* release: the block is published to its freer */
					atomic_store_explicit(&wl_ids[o->id], p ? p : WL_FAILED,
							      memory_order_release);
				}
			} else {
				void *p;

				while (!(
				    p = atomic_load_explicit(&wl_ids[o->id], memory_order_acquire)))
					bench_spin_wait(&spins);
				atomic_store_explicit(&wl_ids[o->id], NULL, memory_order_relaxed);
				if (p == WL_FAILED)
					continue;
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, p, kind);
				uint64_t t1 = bench_cycles(), f = wl_net(t1 - t0);

				sum += f;
				hist_record(&w->h[2], f);
				hist_record(&w->h[0], f);
			}
		}
		/* a block's id is reused next time round: every free of this
		 * round must be done before any thread allocates again */
		wl_barrier(threads);
		if (nsys && s->ops->sys_reset)
			s->ops->sys_reset(s, ti);
		else
			while (nsys)
				strategy_free(s, t, wl_sys[ti][--nsys], STRAT_RUNTIME);
		bench_set_iteration_cycles(st, sum);
	}
	w->ops = w->ops / (bench_iterations_done(st) ? bench_iterations_done(st) : 1);
	wl_end(st, d, t, ti);
}

void wl_run(struct bench_state *st)
{
	struct wl_def *d = bench_user(st);

	switch (d->kind) {
	case WL_PAIR:
		wl_pair(st, d);
		break;
	case WL_BATCH:
	case WL_BATCH_SYS:
		wl_batch(st, d);
		break;
	case WL_THREADS:
		wl_threads(st, d);
		break;
	case WL_HANDOFF:
		wl_handoff(st, d);
		break;
	case WL_PIPELINE:
		wl_pipeline(st, d);
		break;
	case WL_CHURN:
		wl_churn(st, d);
		break;
	case WL_REPLAY:
		wl_replay(st, d);
		break;
	}
}

static const char *const wl_kind_names[] = {"pair",    "batch",	   "batch-sys", "threads",
					    "handoff", "pipeline", "churn",	"replay"};

static void wl_name(struct wl_def *d, const char *a, const char *b, const char *c)
{
	unsigned n = 0;
	const char *parts[3] = {a, b, c};

	for (unsigned i = 0; i < 3; i++) {
		const char *p = parts[i];

		if (!p)
			continue;
		if (i && n < sizeof(d->name) - 1)
			d->name[n++] = '/';
		while (*p && n < sizeof(d->name) - 1)
			d->name[n++] = *p++;
	}
	d->name[n] = 0;
}

static struct wl_def *wl_new(enum wl_kind kind, struct strategy *s, const char *tag)
{
	struct wl_def *d;

	if (wl_ndefs >= WL_MAX_DEFS)
		return NULL;
	d = &wl_defs[wl_ndefs++];
	d->kind = kind;
	d->s = s;
	d->trace = NULL;
	wl_name(d, wl_kind_names[kind], s->name, tag);
	return d;
}

/* layout: NULL, or the layout's name as the third name part (then churn
 * runs the runtime zone only) */
static struct wl_def *wl_register_as(enum wl_kind kind, struct strategy *s, bool full,
				     const char *layout)
{
	static const char *const size_name[] = {"size"};
	static const char *const batch_names[] = {"n", "size"};
	static const char *const churn_names[] = {"fill", "zone"};
	bool floor = s->floor;
	struct wl_def *d = wl_new(kind, s, layout);
	struct bench_def *b;

	if (!d || !(b = bench_register(d->name, wl_run, d)))
		return NULL;
	bench_manual_time(b);
	switch (kind) {
	case WL_PAIR:
		bench_arg_names(b, 1, size_name);
		if (floor) {
			/* a floor is the same at every size; a fixed count keeps a
			 * nearly-zero manual time from growing the run without end */
			bench_arg(b, 64);
			bench_iterations(b, full ? 10000000 : 2000000);
		} else if (full) {
			bench_range(b, 16, 262144, 2);
		} else {
			int64_t sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 262144};

			for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				bench_arg(b, sizes[i]);
		}
		bench_threads(b, 1);
		break;
	case WL_BATCH:
	case WL_BATCH_SYS: {
		int64_t runs[][2] = {{256, 64}, {256, 1024}, {32, 16384}, {1024, 64}, {64, 65536}};
		unsigned nruns = kind == WL_BATCH_SYS ? 2 : full ? 5 : 3;

		bench_arg_names(b, 2, batch_names);
		for (unsigned i = 0; i < nruns; i++)
			bench_args(b, 2, runs[i]);
		bench_threads(b, 1);
		break;
	}
	case WL_THREADS:
		bench_arg_names(b, 1, size_name);
		bench_arg(b, 64);
		if (full)
			bench_arg(b, 1024);
		for (unsigned n = 1; n <= 8; n *= 2)
			bench_threads(b, n);
		if (floor)
			bench_iterations(b, full ? 1000000 : 200000);
		break;
	case WL_HANDOFF:
		bench_arg_names(b, 1, size_name);
		bench_arg(b, 64);
		bench_arg(b, 4096);
		if (full)
			bench_arg(b, 65536);
		bench_threads(b, 2);
		if (full)
			bench_threads(b, 4);
		break;
	case WL_PIPELINE:
		bench_threads(b, 1);
		/* on a roomy layout every iteration creates all WL_PIPE_MAX
		 * pipelines, each after re-pinning the thread (tens of us, not
		 * timed); the sequence is the same every iteration, so a few
		 * iterations give the count and enough setup samples */
		if (layout)
			bench_iterations(b, full ? 50 : 10);
		break;
	case WL_CHURN: {
		int64_t runs[][2] = {{50, 1}, {90, 1}, {50, 2}, {90, 2}};

		bench_arg_names(b, 2, churn_names);
		for (unsigned i = 0; i < 4; i++)
			if (!layout || runs[i][1] == 1)
				bench_args(b, 2, runs[i]);
		bench_threads(b, 1);
		/* The same seeded operation sequence, of the same length, for
		 * every strategy: failure rates compare like for like (a
		 * time-bound run would end after a different count each). */
		bench_iterations(b, full ? 2000000 : 200000);
		break;
	}
	case WL_REPLAY:
		break;
	}
	return d;
}

struct wl_def *wl_register(enum wl_kind kind, struct strategy *s, bool full)
{
	return wl_register_as(kind, s, full, NULL);
}

struct wl_def *wl_register_layout(enum wl_kind kind, struct strategy *s, bool full,
				  const char *layout)
{
	if (kind != WL_PIPELINE && kind != WL_CHURN)
		return NULL;
	return wl_register_as(kind, s, full, layout);
}

struct wl_def *wl_register_replay(struct strategy *s, const struct trace *tr)
{
	struct wl_def *d = wl_new(WL_REPLAY, s, tr->name);
	struct bench_def *b;

	if (!d)
		return NULL;
	d->trace = tr;
	if (!(b = bench_register(d->name, wl_run, d)))
		return NULL;
	bench_manual_time(b);
	bench_threads(b, tr->cores ? tr->cores : 1);
	return d;
}
