/* stress_accounts.c - the stress driver's books: at a quiescent point every
 * held block's tag, no two blocks overlapping, and (smpheap) per-zone sums
 * and counts equal to its stats; at the end, every block freed and every
 * zone empty.
 * Portable C11: see stress_core.h for what a driver supplies. */
#include <errno.h>

#include "stress_internal.h"

static void sort_spans(struct stress_span *a, size_t n)
{
	/* heapsort: no recursion, no allocation, no libc */
	for (size_t start = n / 2; start-- > 0;) {
		for (size_t root = start;;) {
			size_t child = 2 * root + 1;
			if (child >= n)
				break;
			if (child + 1 < n && a[child + 1].start > a[child].start)
				child++;
			if (a[root].start >= a[child].start)
				break;
			struct stress_span t = a[root];
			a[root] = a[child];
			a[child] = t;
			root = child;
		}
	}
	for (size_t end = n; end-- > 1;) {
		struct stress_span t = a[0];
		a[0] = a[end];
		a[end] = t;
		for (size_t root = 0;;) {
			size_t child = 2 * root + 1;
			if (child >= end)
				break;
			if (child + 1 < end && a[child + 1].start > a[child].start)
				child++;
			if (a[root].start >= a[child].start)
				break;
			struct stress_span u = a[root];
			a[root] = a[child];
			a[child] = u;
			root = child;
		}
	}
}

struct books {
	size_t bytes[SMPHEAP_ZONE_COUNT]; /* tagged bytes held, per zone */
	size_t blocks[SMPHEAP_ZONE_COUNT];
	size_t spans;
};

static bool book_block(struct stress *s, struct books *bk, const struct stress_block *b,
		       const char *what)
{
	if (!stress_check_block(s, -1, s->ctl_step, b, what))
		return false;
	if (is_smpheap(s) && b->zone != SMPHEAP_ZONE_SYS) {
		size_t u = smpheap_usable_size(s->st->heap, b->ptr);
		if (u != b->len) {
			stress_fail(s, -1, s->ctl_step, "live block's usable size changed", b->ptr,
				    b->len, 0, b->len, u);
			return false;
		}
	}
	bk->bytes[b->zone] += b->len;
	bk->blocks[b->zone]++;
	s->spans[bk->spans].start = (uintptr_t)b->ptr;
	s->spans[bk->spans].len = b->len;
	bk->spans++;
	return true;
}

/* Double frees, as bad inputs (issue 13): only here, with every worker
 * parked, can a block be freed twice without a worker's allocation taking it
 * in between (that second free would then be a legal one). The racing kinds
 * are in test_race.c and tests/test_races.c. Counted in worker 0's books,
 * which are the driver's. */
static int double_frees(struct stress *s)
{
	struct smpheap *h = s->st->heap;
	struct stress_worker *w = &s->workers[0];
	static const struct {
		enum smpheap_zone zone;
		size_t size;
	} kinds[] = {{SMPHEAP_ZONE_RUNTIME, 64}, {SMPHEAP_ZONE_BUFFER, 1}};
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		void *p = smpheap_alloc(h, kinds[i].zone, 0, kinds[i].size);
		if (!p) {
			bump(&w->c.nulls, 1); /* exhausted: nothing to free twice */
			continue;
		}
		int first = smpheap_free(h, p), second = smpheap_free(h, p);
		bump(&w->c.bad_inputs, 1);
		bump(&w->c.bad_frees, 1);
		if (first != 0 || second != -EALREADY) {
			stress_fail(s, -1, s->ctl_step, "double free: expected 0, then -EALREADY",
				    p, kinds[i].size, 0, (uint64_t)(int64_t)-EALREADY,
				    (uint64_t)(int64_t)second);
			return -1;
		}
	}
	return 0;
}

/* The books, with every worker parked or gone: tags, overlaps, sums, stats. */
static int check_books(struct stress *s)
{
	struct books bk = {{0}, {0}, 0};
	size_t sys_bytes = 0, sys_slack = 0;
	unsigned n = s->cfg.workers;
	s->ctl_step++;
	for (unsigned i = 0; i < n; i++) {
		struct stress_worker *w = &s->workers[i];
		for (unsigned k = 0; k < w->live_n; k++)
			if (!book_block(s, &bk, &w->live[k],
					"held block damaged (quiescent check)"))
				return -1;
		for (unsigned k = 0; k < w->sys_n; k++)
			if (!book_block(s, &bk, &w->sys[k],
					"system block damaged (quiescent check)"))
				return -1;
		sys_bytes += w->sys_bytes;
		sys_slack += w->sys_slack;
		for (unsigned j = 0; j < n; j++) {
			struct stress_ring *ring = &s->rings[(size_t)i * n + j];
			unsigned in_flight = spsc_ring_count(&ring->idx);

			for (unsigned k = 0; k < in_flight; k++)
				if (!book_block(
					s, &bk,
					&ring->slot[spsc_ring_slot_of(&ring->idx, STRESS_RING_SLOTS,
								      k)],
					"block damaged in a hand-off ring (quiescent check)"))
					return -1;
		}
	}
	sort_spans(s->spans, bk.spans);
	for (size_t k = 1; k < bk.spans; k++) {
		const struct stress_span *a = &s->spans[k - 1], *b = &s->spans[k];
		if (a->start + a->len > b->start) {
			stress_fail(s, -1, s->ctl_step, "two live blocks overlap", (void *)b->start,
				    b->len, 0, a->start, a->len);
			return -1;
		}
	}
	if (!is_smpheap(s))
		return 0;
	if (double_frees(s))
		return -1;
	struct smpheap *h = s->st->heap;
	struct stress_totals t;
	stress_totals(s, &t);
	size_t failures = 0, bad_frees = 0;
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		struct smpheap_stats st;
		if (smpheap_stats(h, (enum smpheap_zone)z, &st) != 0) {
			stress_fail(s, -1, s->ctl_step, "smpheap_stats failed", NULL, 0, 0, 0, z);
			return -1;
		}
		failures += st.failures;
		bad_frees += st.bad_frees;
		if (z == SMPHEAP_ZONE_SYS) {
			/* Bump offsets: every block rounded to 16, plus what
			 * aligned requests skipped (at most align - 16 each). */
			if (st.used < sys_bytes || st.used > sys_bytes + sys_slack) {
				stress_fail(
				    s, -1, s->ctl_step,
				    "SYS used outside [held bytes, held bytes + alignment slack]",
				    NULL, 0, 0, sys_bytes, st.used);
				return -1;
			}
			continue;
		}
		if (st.used != bk.bytes[z]) {
			stress_fail(s, -1, s->ctl_step,
				    z == SMPHEAP_ZONE_RUNTIME
					? "RUNTIME used differs from the bytes the workers hold"
					: "BUFFER used differs from the bytes the workers hold",
				    NULL, 0, 0, bk.bytes[z], st.used);
			return -1;
		}
		/* Each held block is one more allocation than frees (a moving
		 * realloc counts one of each, an in-place one neither). */
		if (st.allocs - st.frees != bk.blocks[z]) {
			stress_fail(s, -1, s->ctl_step,
				    "allocs - frees differs from the blocks held", NULL, 0, 0,
				    bk.blocks[z], st.allocs - st.frees);
			return -1;
		}
		if (st.poison_errors) {
			stress_fail(s, -1, s->ctl_step, "poison found written (a write after free)",
				    NULL, 0, 0, 0, st.poison_errors);
			return -1;
		}
	}
	if (failures != t.nulls + t.bad_allocs || bad_frees != t.bad_frees) {
		stress_fail(s, -1, s->ctl_step,
			    "stats failures/bad_frees differ from the driver's count", NULL, 0, 0,
			    (uint64_t)(t.nulls + t.bad_allocs) | (uint64_t)t.bad_frees << 32,
			    (uint64_t)failures | (uint64_t)bad_frees << 32);
		return -1;
	}
	int rc = smpheap_check(h);
	if (rc != 0) {
		stress_fail(s, -1, s->ctl_step, "smpheap_check failed", NULL, 0, 0, 0,
			    (uint64_t)(int64_t)rc);
		return -1;
	}
	return 0;
}

int stress_quiesce(struct stress *s)
{
	if (failed(s) || stress_wait_progress(s) != 0)
		return -1;
	atomic_store(&s->pause, 1);
	int rc = stress_wait_parked(s, -1, 0);
	if (rc == 0)
		rc = check_books(s);
	if (rc == 0)
		s->quiesces++;
	stress_note_release(s, -1);
	atomic_store(&s->pause, 0);
	return failed(s) ? -1 : rc;
}

/* Frees a block held when the run ends, as the controller. */
static bool final_free(struct stress *s, const struct stress_block *b)
{
	if (!stress_check_block(s, -1, s->ctl_step, b, "block damaged (final check)"))
		return false;
	int rc = st_free(s, NULL, b->ptr, (enum smpheap_zone)b->zone);
	if (rc != 0) {
		stress_fail(s, -1, s->ctl_step, "final free of a live block failed", b->ptr, b->len,
			    0, 0, (uint64_t)(int64_t)rc);
		return false;
	}
	return true;
}

int stress_finish(struct stress *s)
{
	if (failed(s))
		return -1;
	for (unsigned c = 0; c < s->cfg.cores; c++)
		if (stress_is_down(s, c) && stress_core_up(s, c) != 0)
			return -1;
	if (check_books(s) != 0)
		return -1;
	s->ctl_step++;
	unsigned n = s->cfg.workers;
	for (unsigned i = 0; i < n; i++) {
		struct stress_worker *w = &s->workers[i];
		for (unsigned k = 0; k < w->live_n; k++)
			if (!final_free(s, &w->live[k]))
				return -1;
		w->live_n = 0;
		if (!sys_kept(s)) {
			for (unsigned k = 0; k < w->sys_n; k++)
				if (!final_free(s, &w->sys[k]))
					return -1;
			w->sys_n = 0;
			w->sys_bytes = 0;
		}
		for (unsigned j = 0; j < n; j++) {
			struct stress_ring *ring = &s->rings[(size_t)i * n + j];
			unsigned slot;

			/* every worker is gone: the controller is the consumer now */
			for (; spsc_ring_peek(&ring->idx, STRESS_RING_SLOTS, &slot);
			     spsc_ring_consume(&ring->idx))
				if (!final_free(s, &ring->slot[slot]))
					return -1;
		}
		atomic_store_explicit(&w->c.live, w->sys_n, memory_order_relaxed);
	}
	if (check_books(s) != 0) /* RUNTIME and BUFFER must now be empty */
		return -1;
	if (!is_smpheap(s)) {
		for (unsigned c = 0; c < s->cfg.cores && s->st->ops->sys_reset; c++)
			s->st->ops->sys_reset(s->st, c);
		return 0;
	}
	/* SYS: only taking a core down gives its system memory back. */
	struct smpheap *h = s->st->heap;
	unsigned cores = smpheap_layout(h)->cores;
	for (unsigned c = 0; c < cores; c++) {
		int rc = smpheap_core_down(h, c);
		if (rc != 0) {
			stress_fail(s, -1, s->ctl_step, "final core_down failed", NULL, 0, 0, c,
				    (uint64_t)(int64_t)rc);
			return -1;
		}
	}
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		struct smpheap_stats st;
		smpheap_stats(h, (enum smpheap_zone)z, &st);
		if (st.used != 0) {
			stress_fail(s, -1, s->ctl_step, "zone not empty at the end (zone, used)",
				    NULL, 0, 0, z, st.used);
			return -1;
		}
	}
	int rc = smpheap_check(h);
	for (unsigned c = 0; c < cores && rc == 0; c++)
		rc = smpheap_core_up(h, c);
	if (rc != 0) {
		stress_fail(s, -1, s->ctl_step, "heap broken after emptying it", NULL, 0, 0, 0,
			    (uint64_t)(int64_t)rc);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		s->sys_resets += s->workers[i].sys_n;
		s->workers[i].sys_n = 0;
		s->workers[i].sys_bytes = 0;
		s->workers[i].sys_slack = 0;
	}
	return check_books(s);
}
