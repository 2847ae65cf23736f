/* common.c - what every workload shares: the timer's calibration, the start
 * and end of a run on a thread, the merge of all threads' figures into the
 * common counters (percentiles, failures, largest free block), a barrier,
 * and the arena figures of a bounded strategy. */
#include "wl_internal.h"

struct wl_platform wl_platform;
struct wl_thread wl_t[STRAT_MAX_THREADS];

static _Atomic unsigned wl_done;
static uint64_t wl_ovh;	 /* cycles subtracted from each sample */
static uint64_t wl_step; /* smallest step seen in the cycle counter */

static uint64_t wl_insns_ovh; /* instructions of the counter's start and stop */

uint64_t wl_calibrate_insns(void)
{
	/* An exact counter reads the same every time; the minimum of a few
	 * leaves out a first pass that differs (none seen under QEMU). */
	uint64_t best = UINT64_MAX;

	if (!wl_platform.insns_start || !wl_platform.insns_stop)
		return wl_insns_ovh = 0;
	for (int i = 0; i < 8; i++) {
		wl_platform.insns_start();
		uint64_t n = wl_platform.insns_stop();

		if (n < best)
			best = n;
	}
	return wl_insns_ovh = best;
}

uint64_t wl_net(uint64_t d)
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

void *wl_begin(struct bench_state *st, struct wl_def *d, unsigned *ti)
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

void wl_sample_largest_free(struct wl_thread *w, uint64_t lf)
{
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

static void wl_merge(unsigned n, struct wl_sum *sum)
{
	*sum = (struct wl_sum){0};
	sum->lf_min = UINT64_MAX;
	for (unsigned h = 0; h < WL_HISTS; h++)
		hist_reset(&wl_merged[h]);
	for (unsigned i = 0; i < n && i < STRAT_MAX_THREADS; i++) {
		struct wl_thread *w = &wl_t[i];

		for (unsigned h = 0; h < WL_HISTS; h++)
			hist_merge(&wl_merged[h], &w->h[h]);
		sum->failures += w->failures;
		sum->attempts += w->attempts;
		if (w->lf_min < sum->lf_min)
			sum->lf_min = w->lf_min;
		sum->lf_sum += w->lf_sum;
		sum->lf_n += w->lf_n;
		if (w->lf_n)
			sum->lf_last = w->lf_last;
		if (w->peak_used > sum->peak_used)
			sum->peak_used = w->peak_used;
		sum->requested += w->requested;
		sum->pipelines += w->pipelines;
		sum->ops += w->ops;
	}
}

static void wl_report_percentiles(struct bench_state *st)
{
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
}

bool wl_end(struct bench_state *st, struct wl_def *d, void *tctx, struct wl_sum *sum)
{
	unsigned n = bench_thread_count(st);

	d->s->ops->thread_fini(d->s, tctx);
	/* the last thread of the run to get here reports for all of them; the
	 * acq_rel add makes every other thread's histograms visible to it */
	if (atomic_fetch_add_explicit(&wl_done, 1, memory_order_acq_rel) + 1 != n)
		return false;
	atomic_store_explicit(&wl_done, 0, memory_order_relaxed);
	wl_merge(n, sum);
	wl_report_percentiles(st);
	if (sum->attempts) {
		bench_counter(st, "failures", (int64_t)sum->failures, BENCH_COUNTER_DEFAULT);
		/* thousandths of a percent */
		bench_counter_milli(st, "failure_pct",
				    (int64_t)(sum->failures * 100000 / sum->attempts),
				    BENCH_COUNTER_DEFAULT);
	}
	if (sum->lf_n) {
		bench_counter(st, "largest_free_min", (int64_t)sum->lf_min, BENCH_COUNTER_DEFAULT);
		bench_counter(st, "largest_free_mean", (int64_t)(sum->lf_sum / sum->lf_n),
			      BENCH_COUNTER_DEFAULT);
		bench_counter(st, "largest_free_last", (int64_t)sum->lf_last,
			      BENCH_COUNTER_DEFAULT);
		/* the first thread's series, at tenths of the run */
		if (wl_t[0].lf_len)
			for (unsigned i = 0; i < WL_LF_POINTS; i++)
				bench_counter(st, wl_lf_names[i],
					      wl_t[0].lf_series[i * wl_t[0].lf_len / WL_LF_POINTS],
					      BENCH_COUNTER_DEFAULT);
	}
	return true;
}

static _Atomic unsigned wl_bar_count, wl_bar_gen;

void wl_barrier(unsigned threads)
{
	unsigned gen = atomic_load_explicit(&wl_bar_gen, memory_order_acquire);
	unsigned spins = 0;

	if (threads <= 1)
		return;
	/* acq_rel: the last arriver sees every thread's work before the
	 * barrier, and publishes it with the generation's release */
	if (atomic_fetch_add_explicit(&wl_bar_count, 1, memory_order_acq_rel) + 1 == threads) {
		atomic_store_explicit(&wl_bar_count, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&wl_bar_gen, 1, memory_order_acq_rel);
		return;
	}
	while (atomic_load_explicit(&wl_bar_gen, memory_order_acquire) == gen)
		bench_spin_wait(&spins);
}

void wl_idle_heap(struct strategy *s)
{
	if (!s->bounded || !s->ops->sys_reset)
		return;
	for (unsigned c = 0; c < s->cores; c++)
		s->ops->sys_reset(s, c);
}

void wl_mem_init(struct wl_mem *m, struct wl_def *d)
{
	struct strategy *s = d->s;

	wl_idle_heap(s);
	*m = (struct wl_mem){.s = s};
	if (s->bounded)
		m->total = s->arena;
	else if (s->ops->usable)
		m->total = d->ref_arena;
}

/* Runs `call` between two cycle reads (t0, t1) and, where m counts
 * instructions, between the counter's start and stop (into m->insns): the
 * branch stays outside the cycle window, so a run that does not count
 * times the call alone. */
#define WL_MEM_TIMED(m, t0, t1, call)                                                              \
	do {                                                                                       \
		if ((m)->count_insns) {                                                            \
			t0 = bench_cycles();                                                       \
			wl_platform.insns_start();                                                 \
			call;                                                                      \
			uint64_t n_ = wl_platform.insns_stop();                                    \
			t1 = bench_cycles();                                                       \
			(m)->insns = n_ > wl_insns_ovh ? n_ - wl_insns_ovh : 0;                    \
		} else {                                                                           \
			t0 = bench_cycles();                                                       \
			call;                                                                      \
			t1 = bench_cycles();                                                       \
		}                                                                                  \
	} while (0)

void *wl_mem_alloc(struct wl_mem *m, void *t, size_t size, enum strat_kind kind, uint64_t *cycles)
{
	struct strategy *s = m->s;
	uint64_t t0, t1;
	void *p;

	WL_MEM_TIMED(m, t0, t1, p = strategy_alloc(s, t, size, kind));
	*cycles = wl_net(t1 - t0);
	if (!p || s->bounded || !m->total)
		return p;
	m->live += s->ops->usable(s, p);
	if (m->live > m->total) {	   /* over the budget: no room */
		uint64_t insns = m->insns; /* the allocation's, not the give-back's */

		wl_mem_free(m, t, p, kind, NULL);
		m->insns = insns;
		return NULL;
	}
	return p;
}

void wl_mem_free(struct wl_mem *m, void *t, void *p, enum strat_kind kind, uint64_t *cycles)
{
	struct strategy *s = m->s;
	uint64_t t0, t1;

	if (!s->bounded && m->total)
		m->live -= s->ops->usable(s, p);
	WL_MEM_TIMED(m, t0, t1, strategy_free(s, t, p, kind));
	if (cycles)
		*cycles = wl_net(t1 - t0);
}

size_t wl_mem_used(const struct wl_mem *m)
{
	struct strategy *s = m->s;

	if (!s->bounded)
		return m->live;
	return s->ops->used(s, STRAT_RUNTIME) + s->ops->used(s, STRAT_BUFFER);
}

size_t wl_mem_largest_free(const struct wl_mem *m)
{
	struct strategy *s = m->s;
	size_t r, b;

	if (!s->bounded)
		return m->total - m->live;
	r = s->ops->largest_free(s, STRAT_RUNTIME);
	b = s->ops->largest_free(s, STRAT_BUFFER);
	return r > b ? r : b;
}

uint64_t wl_mem_fill_milli(const struct wl_mem *m)
{
	return m->total ? (uint64_t)wl_mem_used(m) * 100000 / m->total : 0;
}

void wl_report_pipelines(struct bench_state *st, const struct wl_mem *m, const struct wl_sum *sum,
			 uint64_t fail_used_milli)
{
	bench_counter(st, "pipelines", (int64_t)sum->pipelines, BENCH_COUNTER_DEFAULT);
	bench_counter(st, "requested_bytes", (int64_t)sum->requested, BENCH_COUNTER_DEFAULT);
	bench_counter(st, "pipeline_cap", WL_PIPE_MAX, BENCH_COUNTER_DEFAULT);
	if (!m->total)
		return;
	bench_counter(st, "peak_used_bytes", (int64_t)sum->peak_used, BENCH_COUNTER_DEFAULT);
	bench_counter(st, m->s->bounded ? "arena_bytes" : "budget_bytes", (int64_t)m->total,
		      BENCH_COUNTER_DEFAULT);
	/* thousandths of a percent of the arena (or budget) in use when the
	 * first allocation did not fit (left out when none failed) */
	if (sum->failures)
		bench_counter_milli(st, "used_at_failure_pct", (int64_t)fail_used_milli,
				    BENCH_COUNTER_DEFAULT);
}
