/* stress_core.c - set-up, the first failure, stop and the figures of the stress
 * driver (its other concerns: stress_internal.h).
 * Portable C11: see stress_core.h for what a driver supplies. */
#include "stress_internal.h"

#include <errno.h>

#include "rng.h"

void stress_fail(struct stress *s, int worker, uint64_t op, const char *what, const void *ptr,
		 size_t len, size_t offset, uint64_t expected, uint64_t got)
{
	unsigned zero = 0;
	if (atomic_compare_exchange_strong(&s->failed, &zero, 1)) {
		s->failure.what = what;
		s->failure.worker = worker;
		s->failure.op = op;
		s->failure.ptr = (void *)(uintptr_t)ptr;
		s->failure.len = len;
		s->failure.offset = offset;
		s->failure.expected = expected;
		s->failure.got = got;
		atomic_store_explicit(&s->failure_ready, 1, memory_order_release);
	}
	atomic_store(&s->stop, 1);
}

/* ---- set-up ---------------------------------------------------------------- */

size_t stress_span_capacity(unsigned workers)
{
	return (size_t)workers * (STRESS_LIVE_SLOTS + STRESS_SYS_SLOTS) +
	       (size_t)workers * workers * STRESS_RING_SLOTS;
}

int stress_init(struct stress *s, const struct stress_config *cfg, struct strategy *st,
		struct stress_worker *workers, struct stress_ring *rings, struct stress_span *spans)
{
	const struct smpheap_layout *l = cfg->layout;
	if (!cfg->workers || cfg->workers > STRESS_MAX_WORKERS || !cfg->cores ||
	    cfg->cores > SMPHEAP_MAX_CORES || !cfg->zone_mask || (cfg->zone_mask & ~7u) || !l ||
	    !l->class_count || !l->buffer_region_count || !cfg->now || !cfg->relax || !st ||
	    !st->ops || !st->ops->alloc || !st->ops->free || !st->ops->thread_init)
		return -EINVAL;
	s->cfg = *cfg;
	s->st = st;
	s->workers = workers;
	s->rings = rings;
	s->spans = spans;

	s->rt_max = l->classes[l->class_count - 1].block_size;
	size_t natural = s->rt_max & (~s->rt_max + 1); /* largest power of two dividing it */
	s->rt_align_max = natural < 1024 ? natural : 1024;
	uint32_t region_max = 0;
	for (unsigned i = 0; i < l->buffer_region_count; i++)
		if (l->buffer_regions[i].pages > region_max)
			region_max = l->buffer_regions[i].pages;
	s->buf_pages_max = region_max / 2 < 64 ? region_max / 2 : 64;
	if (!s->buf_pages_max)
		s->buf_pages_max = 1;

	atomic_init(&s->stop, 0);
	atomic_init(&s->pause, 0);
	for (unsigned c = 0; c < SMPHEAP_MAX_CORES; c++) {
		atomic_init(&s->down_req[c], 0);
		atomic_init(&s->down_gen[c], 0);
	}
	atomic_init(&s->failed, 0);
	atomic_init(&s->failure_ready, 0);
	s->quiesces = s->core_downs = s->core_ups = s->sweeps = s->banks_released = 0;
	s->sys_resets = 0;
	s->ctl_step = 0;
	for (unsigned i = 0; i < sizeof(s->down_mask) / sizeof(s->down_mask[0]); i++)
		s->down_mask[i] = 0;
	for (unsigned c = 0; c < SMPHEAP_MAX_CORES; c++)
		s->released_on[c] = 0;

	for (unsigned i = 0; i < cfg->workers; i++) {
		struct stress_worker *w = &workers[i];
		w->s = s;
		w->id = i;
		w->core = i % cfg->cores;
		w->rng = rng_seed(cfg->seed, i);
		w->tctx = NULL;
		w->tctx_set = false;
		w->op = 0;
		w->seq = 1;
		w->inbox = 0;
		w->live_n = 0;
		w->sys_n = 0;
		w->sys_bytes = 0;
		w->sys_slack = 0;
		w->sys_dropped = 0;
		w->exhausted = 0;
		atomic_init(&w->parked, 0);
		atomic_init(&w->down_ack, 0);
		atomic_init(&w->runs_itself, 0);
		w->ops_at_release = 0;
		atomic_size_t *c = &w->c.ops;
		for (size_t k = 0; k < sizeof(w->c) / sizeof(atomic_size_t); k++)
			atomic_init(&c[k], 0);
	}
	for (size_t r = 0; r < (size_t)cfg->workers * cfg->workers; r++) {
		atomic_init(&rings[r].idx.head, 0);
		atomic_init(&rings[r].idx.tail, 0);
	}
	return 0;
}

unsigned stress_finished(const struct stress *s)
{
	unsigned n = 0;
	for (unsigned i = 0; s->cfg.max_ops && i < s->cfg.workers; i++)
		n += ld(&s->workers[i].c.ops) >= s->cfg.max_ops;
	return n;
}

void stress_stop(struct stress *s)
{
	atomic_store(&s->stop, 1);
}

/* ---- figures -------------------------------------------------------------- */

void stress_totals(const struct stress *s, struct stress_totals *t)
{
	t->ops = t->allocs = t->frees = t->handoffs = t->received = t->reallocs = 0;
	t->nulls = t->bad_inputs = t->bad_frees = t->down_frees = t->live = t->lat_max = 0;
	t->bad_allocs = t->recoveries = 0;
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++)
		t->zone_nulls[z] = 0;
	for (unsigned b = 0; b < STRESS_HIST_BUCKETS; b++)
		t->hist[b] = 0;
	for (unsigned i = 0; i < s->cfg.workers; i++) {
		const struct stress_counters *c = &s->workers[i].c;
		t->ops += ld(&c->ops);
		t->allocs += ld(&c->allocs);
		t->frees += ld(&c->frees);
		t->handoffs += ld(&c->handoffs);
		t->received += ld(&c->received);
		t->reallocs += ld(&c->reallocs);
		t->nulls += ld(&c->nulls);
		t->bad_inputs += ld(&c->bad_inputs);
		t->bad_frees += ld(&c->bad_frees);
		t->bad_allocs += ld(&c->bad_allocs);
		t->recoveries += ld(&c->recoveries);
		for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++)
			t->zone_nulls[z] += ld(&c->zone_nulls[z]);
		t->down_frees += ld(&c->down_frees);
		t->live += ld(&c->live);
		if (ld(&c->lat_max) > t->lat_max)
			t->lat_max = ld(&c->lat_max);
		for (unsigned b = 0; b < STRESS_HIST_BUCKETS; b++)
			t->hist[b] += ld(&c->hist[b]);
	}
	t->quiesces = s->quiesces;
	t->core_downs = s->core_downs;
	t->core_ups = s->core_ups;
	t->sweeps = s->sweeps;
	t->banks_released = s->banks_released;
	t->sys_resets = s->sys_resets;
	t->bank_release_count = 0;
	if (is_smpheap(s)) {
		size_t rel;
		stress_bank_figures((struct stress *)s, &rel, &t->bank_release_count);
	}
}

const struct stress_failure *stress_failure(const struct stress *s)
{
	if (!atomic_load(&s->failed))
		return NULL;
	while (!atomic_load_explicit(&s->failure_ready, memory_order_acquire))
		s->cfg.relax();
	return &s->failure;
}

size_t stress_hist_quantile(const struct stress_totals *t, unsigned per_mille)
{
	size_t total = 0;
	for (unsigned b = 0; b < STRESS_HIST_BUCKETS; b++)
		total += t->hist[b];
	if (!total)
		return 0;
	size_t want = (total / 1000) * per_mille + ((total % 1000) * per_mille + 999) / 1000;
	size_t seen = 0;
	for (unsigned b = 0; b < STRESS_HIST_BUCKETS; b++) {
		seen += t->hist[b];
		if (seen >= want)
			return b ? ((size_t)1 << b) - 1 : 0;
	}
	return SIZE_MAX;
}
