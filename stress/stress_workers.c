/* stress_workers.c - the workers of the stress driver: random operations
 * (allocate, free, hand off, realloc, a bad input), the calls into the
 * strategy, and the park protocol with the controller.
 * Portable C11: see stress_core.h for what a driver supplies. */
#include "stress_internal.h"

#include <string.h>

#include "rng.h"

static inline unsigned log2_floor(size_t x)
{
	unsigned b = 0;
	while (x >>= 1)
		b++;
	return b;
}

static inline unsigned bucket(uint64_t ticks)
{
	unsigned b = 0;
	while (ticks && b < STRESS_HIST_BUCKETS - 1) {
		ticks >>= 1;
		b++;
	}
	return b;
}

/* ---- the operations ------------------------------------------------------ */

static inline uint64_t timed_start(const struct stress *s)
{
	return s->cfg.now();
}

static inline void timed_end(struct stress_worker *w, uint64_t t0)
{
	uint64_t t = w->s->cfg.now() - t0;
	if (t > ld(&w->c.lat_max))
		atomic_store_explicit(&w->c.lat_max, (size_t)t, memory_order_relaxed);
	bump(&w->c.hist[bucket(t)], 1);
}

/* ---- the strategy's calls ------------------------------------------------- */

/* An allocation in `zone`; caps and align reach only a strategy with
 * alloc_ex (the driver asks for none otherwise). */
static void *st_alloc(struct stress_worker *w, enum smpheap_zone zone, uint32_t caps, size_t size,
		      size_t align)
{
	struct strategy *st = w->s->st;

	if (st->ops->alloc_ex)
		return st->ops->alloc_ex(st, w->tctx, kind_of(zone), caps, size, align);
	return st->ops->alloc(st, w->tctx, size, kind_of(zone));
}

/* A strategy without realloc gets what its callers had to do: allocate,
 * copy, free. */
static void *st_realloc(struct stress_worker *w, void *p, size_t old_len, size_t size,
			enum smpheap_zone zone)
{
	struct strategy *st = w->s->st;
	void *q;

	if (st->ops->realloc)
		return st->ops->realloc(st, w->tctx, p, old_len, size, kind_of(zone));
	q = st_alloc(w, zone, 0, size, 0);
	if (!q)
		return NULL;
	memcpy(q, p, old_len < size ? old_len : size);
	if (st_free(w->s, w->tctx, p, zone) != 0) {
		stress_fail(w->s, (int)w->id, w->op, "free inside a copying realloc failed", p,
			    old_len, 0, 0, 0);
		return NULL;
	}
	return q;
}

/* Bytes the block may use (at least `requested`): smpheap's own figure (a
 * system block has none on record: nothing is ever freed), a peer's usable
 * size, or the request. */
static size_t st_usable(const struct stress *s, const void *p, size_t requested,
			enum smpheap_zone zone)
{
	const struct strategy *st = s->st;
	size_t u;

	if (st->heap)
		return zone == SMPHEAP_ZONE_SYS ? requested : smpheap_usable_size(st->heap, p);
	if (!st->ops->usable)
		return requested;
	u = st->ops->usable((struct strategy *)st, p);
	return u > requested ? u : requested;
}

/* Size and alignment for an allocation in `zone`, from two random words. */
static size_t pick_size(const struct stress *s, enum smpheap_zone zone, uint64_t r, uint64_t r2,
			size_t *align)
{
	const struct smpheap_layout *l = s->cfg.layout;
	*align = 0;
	switch (zone) {
	case SMPHEAP_ZONE_SYS:
		if (sub(r2, 0, 8) == 0)
			*align = (size_t)16 << sub(r2, 1, 5); /* 16..256 */
		return 1 + sub(r, 0, 256);
	case SMPHEAP_ZONE_RUNTIME: {
		/* A class, then a size that class is the best fit for: every
		 * class gets traffic, including the odd in-between ones. */
		unsigned k = sub(r, 0, l->class_count);
		size_t hi = l->classes[k].block_size;
		size_t lo = k ? l->classes[k - 1].block_size : 0;
		if (sub(r2, 0, 8) == 0 && s->rt_align_max >= 16)
			*align = (size_t)16 << sub(r2, 1, log2_floor(s->rt_align_max) - 3);
		return lo + 1 + sub(r, 1, (uint32_t)(hi - lo));
	}
	default: {
		size_t page = l->page_size;
		uint32_t roll = sub(r, 0, 100), pages;
		if (roll < 70)
			pages = 1 + sub(r, 1, 4);
		else if (roll < 95)
			pages = 1 + sub(r, 1, 16);
		else
			pages = 1 + sub(r, 1, (uint32_t)s->buf_pages_max);
		if (sub(r2, 0, 16) == 0) {
			unsigned most = log2_floor(l->bank_size / page);
			*align = page << sub(r2, 1, most + 1); /* page .. bank */
		}
		return (size_t)pages * page - sub(r2, 2, (uint32_t)(page < 65536 ? page : 65536));
	}
	}
}

/* Caps to ask for: mostly none, sometimes exactly what a region has. */
static uint32_t pick_caps(const struct stress *s, enum smpheap_zone zone, uint64_t r)
{
	const struct smpheap_layout *l = s->cfg.layout;
	uint32_t roll = sub(r, 3, 8);
	if (roll < 6)
		return 0;
	uint32_t caps;
	if (zone == SMPHEAP_ZONE_SYS)
		caps = l->sys_caps;
	else if (zone == SMPHEAP_ZONE_RUNTIME)
		caps = l->runtime_caps;
	else
		caps = l->buffer_regions[sub(r, 2, l->buffer_region_count)].caps;
	return roll == 6 ? caps : caps & (~caps + 1); /* all of them, or the lowest one */
}

static enum smpheap_zone pick_zone(const struct stress *s, uint64_t r)
{
	static const unsigned weight[SMPHEAP_ZONE_COUNT] = {8, 57, 35};
	unsigned total = 0;
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++)
		if (s->cfg.zone_mask & (1u << z))
			total += weight[z];
	unsigned roll = sub(r, 0, total);
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		if (!(s->cfg.zone_mask & (1u << z)))
			continue;
		if (roll < weight[z])
			return (enum smpheap_zone)z;
		roll -= weight[z];
	}
	return SMPHEAP_ZONE_RUNTIME;
}

/* The least alignment a block must have: smpheap's own, or a pointer's for
 * any other allocator (8 bytes on the host, as before; 4 on a 32-bit core,
 * where TLSF, like ESP-IDF's heap, aligns to the word). */
static size_t default_align(const struct stress *s, enum smpheap_zone zone)
{
	if (!is_smpheap(s))
		return sizeof(void *) > 8 ? 8 : sizeof(void *);
	return zone == SMPHEAP_ZONE_BUFFER ? s->cfg.layout->page_size : 16;
}

/* Checks a fresh block (alignment, zone, usable size); returns its tagged
 * length or 0 after recording a failure. */
static size_t accept_block(struct stress_worker *w, void *p, enum smpheap_zone zone, size_t size,
			   size_t align)
{
	struct stress *s = w->s;
	size_t need = align > default_align(s, zone) ? align : default_align(s, zone);
	if ((uintptr_t)p & (need - 1)) {
		stress_fail(s, (int)w->id, w->op, "block not aligned as asked", p, size, 0, need,
			    (uintptr_t)p & (need - 1));
		return 0;
	}
	if (is_smpheap(s)) {
		int z = smpheap_zone_of(s->st->heap, p);
		if (z != (int)zone) {
			stress_fail(s, (int)w->id, w->op, "block from the wrong zone", p, size, 0,
				    zone, (uint64_t)(int64_t)z);
			return 0;
		}
	}
	size_t len = st_usable(s, p, size, zone);
	if (len < size) {
		stress_fail(s, (int)w->id, w->op, "usable size below the request", p, size, 0, size,
			    len);
		return 0;
	}
	return len < UINT32_MAX ? len : UINT32_MAX;
}

static void drop_live(struct stress_worker *w, unsigned idx)
{
	w->live[idx] = w->live[--w->live_n];
	atomic_store_explicit(&w->c.live, w->live_n + w->sys_n, memory_order_relaxed);
}

/* Frees a block the caller holds, after checking its tag. */
static bool free_block(struct stress_worker *w, const struct stress_block *b, const char *what)
{
	struct stress *s = w->s;
	if (!stress_check_block(s, (int)w->id, w->op, b, what))
		return false;
	bool down = core_is_down(s, b->core);
	uint64_t t0 = timed_start(s);
	int rc = st_free(s, w->tctx, b->ptr, (enum smpheap_zone)b->zone);
	timed_end(w, t0);
	if (rc != 0) {
		stress_fail(s, (int)w->id, w->op, "free of a live block failed", b->ptr, b->len, 0,
			    0, (uint64_t)(int64_t)rc);
		return false;
	}
	bump(&w->c.frees, 1);
	if (down)
		bump(&w->c.down_frees, 1);
	return true;
}

static void op_alloc(struct stress_worker *w, uint64_t r1, uint64_t r2, uint64_t r3)
{
	struct stress *s = w->s;
	enum smpheap_zone zone = pick_zone(s, r1);
	if (zone != SMPHEAP_ZONE_SYS && w->live_n == STRESS_LIVE_SLOTS)
		return;
	size_t align;
	size_t size = pick_size(s, zone, r2, r3, &align);
	uint32_t caps = pick_caps(s, zone, r3);
	if (!s->st->ops->alloc_ex)
		align = 0;
	if (!is_smpheap(s))
		caps = 0; /* only smpheap has memory kinds */
	uint64_t t0 = timed_start(s);
	void *p = st_alloc(w, zone, caps, size, align);
	timed_end(w, t0);
	if (!p) {
		bump(&w->c.nulls, 1);
		bump(&w->c.zone_nulls[zone], 1);
		w->exhausted |= 1u << zone;
		return;
	}
	if (w->exhausted & (1u << zone)) {
		bump(&w->c.recoveries, 1);
		w->exhausted &= ~(1u << zone);
	}
	size_t len = accept_block(w, p, zone, size, align);
	if (!len)
		return;
	bump(&w->c.allocs, 1);
	struct stress_block b = {
	    p, (uint32_t)len, w->seq++, (uint16_t)w->id, (uint8_t)zone, (uint8_t)w->core};
	stress_tag_fill(p, len, b.owner, b.seq);
	if (zone == SMPHEAP_ZONE_SYS) {
		w->sys_bytes += (len + 15) & ~(size_t)15;
		if (align > 16)
			w->sys_slack += align - 16;
		if (w->sys_n == STRESS_SYS_SLOTS) {
			/* Keep the most recent ones for re-checking. smpheap never
			 * frees system memory (the bytes stay in sys_bytes); a peer
			 * gets the oldest block back. */
			struct stress_block old = w->sys[0];
			if (!stress_check_block(s, (int)w->id, w->op, &old, "system block damaged"))
				return;
			if (!sys_kept(s)) {
				if (!free_block(w, &old, "system block damaged"))
					return;
				w->sys_bytes -= (old.len + 15) & ~(size_t)15;
			}
			for (unsigned i = 1; i < STRESS_SYS_SLOTS; i++)
				w->sys[i - 1] = w->sys[i];
			w->sys_n--;
		}
		w->sys[w->sys_n++] = b;
	} else {
		w->live[w->live_n++] = b;
	}
	atomic_store_explicit(&w->c.live, w->live_n + w->sys_n, memory_order_relaxed);
}

static void op_free(struct stress_worker *w, uint64_t r1)
{
	unsigned idx = sub(r1, 0, w->live_n);
	struct stress_block b = w->live[idx];
	if (free_block(w, &b, "block damaged while live (checked at free)"))
		drop_live(w, idx);
}

/* A worker on another core when there is one: cross-core frees are the point. */
static unsigned pick_target(const struct stress_worker *w, uint64_t r)
{
	const struct stress *s = w->s;
	unsigned n = s->cfg.workers;
	unsigned t = (w->id + 1 + sub(r, 0, n - 1)) % n;
	for (unsigned k = 0; k < n && s->cfg.cores > 1 && s->workers[t].core == w->core; k++)
		t = (t + 1) % n;
	return t;
}

static bool ring_push(struct stress *s, unsigned from, unsigned to, const struct stress_block *b)
{
	struct stress_ring *ring = &s->rings[(size_t)from * s->cfg.workers + to];
	unsigned slot;

	/* spsc_ring.h orders the slot (and the block's tag) before the entry */
	if (!spsc_ring_reserve(&ring->idx, STRESS_RING_SLOTS, &slot))
		return false;
	ring->slot[slot] = *b;
	spsc_ring_publish(&ring->idx);
	return true;
}

static void op_handoff(struct stress_worker *w, uint64_t r1, uint64_t r2)
{
	struct stress *s = w->s;
	if (s->cfg.workers < 2)
		return op_free(w, r1);
	unsigned idx = sub(r1, 0, w->live_n);
	unsigned to = pick_target(w, r2);
	if (ring_push(s, w->id, to, &w->live[idx])) {
		bump(&w->c.handoffs, 1);
		drop_live(w, idx);
	} else {
		op_free(w, r1); /* the receiver is behind (or parked): free it here */
	}
}

/* Frees what other workers handed over, from `rings` inbound rings. */
static void drain_inbox(struct stress_worker *w, unsigned rings)
{
	struct stress *s = w->s;
	unsigned n = s->cfg.workers;
	for (unsigned k = 0; k < rings && !failed(s); k++) {
		unsigned from = w->inbox;
		w->inbox = (w->inbox + 1) % n;
		if (from == w->id)
			continue;
		struct stress_ring *ring = &s->rings[(size_t)from * n + w->id];
		unsigned slot;

		while (spsc_ring_peek(&ring->idx, STRESS_RING_SLOTS, &slot)) {
			struct stress_block b = ring->slot[slot];

			/* the copy is done before the sender may reuse the slot */
			spsc_ring_consume(&ring->idx);
			if (!free_block(w, &b,
					"block damaged in hand-off (checked by the receiver)"))
				return;
			bump(&w->c.received, 1);
		}
	}
}

static void op_realloc(struct stress_worker *w, uint64_t r1, uint64_t r2, uint64_t r3)
{
	struct stress *s = w->s;
	unsigned idx = sub(r1, 0, w->live_n);
	struct stress_block *b = &w->live[idx];
	enum smpheap_zone zone = (enum smpheap_zone)b->zone;
	size_t align;
	size_t size = pick_size(s, zone, r2, r3, &align);
	if (!stress_check_block(s, (int)w->id, w->op, b,
				"block damaged while live (checked at realloc)"))
		return;
	uint64_t t0 = timed_start(s);
	void *q = st_realloc(w, b->ptr, b->len, size, zone);
	timed_end(w, t0);
	if (!q) {
		bump(&w->c.nulls, 1);
		bump(&w->c.zone_nulls[zone], 1);
		w->exhausted |= 1u << zone;
		stress_check_block(s, (int)w->id, w->op, b, "failed realloc changed the block");
		return;
	}
	size_t keep = b->len < size ? b->len : size;
	size_t off = stress_tag_check(q, b->len, b->owner, b->seq, keep);
	if (off != keep) {
		stress_fail(s, (int)w->id, w->op, "realloc lost the block's contents", q, b->len,
			    off, keep, off);
		return;
	}
	size_t len = accept_block(w, q, zone, size, 0);
	if (!len)
		return;
	b->ptr = q;
	b->len = (uint32_t)len;
	b->seq = w->seq++;
	b->core = (uint8_t)w->core;
	stress_tag_fill(q, len, b->owner, b->seq);
	bump(&w->c.reallocs, 1);
}

/* One operation. Four random words are drawn whatever happens, so operation
 * k of worker i sees the same inputs in every run with the same seed. */
static void step(struct stress_worker *w)
{
	struct stress *s = w->s;
	uint64_t r0 = rng_next(&w->rng), r1 = rng_next(&w->rng), r2 = rng_next(&w->rng),
		 r3 = rng_next(&w->rng);
	w->op++;
	drain_inbox(w, 2);
	if (failed(s))
		return;
	unsigned n = w->live_n;
	/* Lean towards allocation when holding little, towards freeing when
	 * holding much: the live set breathes around half the slots. */
	unsigned alloc_permille = n < STRESS_LIVE_SLOTS / 4	  ? 650
				  : n > 3 * STRESS_LIVE_SLOTS / 4 ? 300
								  : 480;
	/* After a NULL, give memory back more often: at exhaustion the run
	 * then alternates failing and recovering instead of only failing. */
	if (w->exhausted)
		alloc_permille = 250;
	unsigned roll = sub(r0, 0, 1000);
	if (n == 0 || roll < alloc_permille) {
		op_alloc(w, r1, r2, r3);
	} else {
		unsigned kind = sub(r0, 1, 100);
		if (kind < 3 && is_smpheap(s))
			stress_op_bad(w, r1, r2);
		else if (kind < 33)
			op_handoff(w, r1, r2);
		else if (kind < 48)
			op_realloc(w, r1, r2, r3);
		else
			op_free(w, r1);
	}
	bump(&w->c.ops, 1);
}

/* The strategy's context for the thread now running worker w. */
static void worker_thread_init(struct stress_worker *w)
{
	struct strategy *st = w->s->st;

	if (!w->tctx_set) {
		w->tctx = st->ops->thread_init(st, w->id, w->core);
		w->tctx_set = true;
	}
}

bool stress_worker_steps(struct stress *s, unsigned i, unsigned steps)
{
	struct stress_worker *w = &s->workers[i];
	worker_thread_init(w);
	for (unsigned k = 0; k < steps && !failed(s) && !finished(w); k++)
		step(w);
	return !failed(s);
}

/* ---- parking -------------------------------------------------------------- */

/* The worker's core is about to go down: its system memory is reset, so check
 * and forget the SYS blocks; hand every block we can to workers on other
 * cores, so that frees of this core's blocks go on while it is down. */
static void prepare_down(struct stress_worker *w)
{
	struct stress *s = w->s;
	if (sys_kept(s)) {
		for (unsigned i = 0; i < w->sys_n; i++)
			if (!stress_check_block(s, (int)w->id, w->op, &w->sys[i],
						"system block damaged before its core went down"))
				return;
		w->sys_dropped = w->sys_n;
		w->sys_n = 0;
		w->sys_bytes = 0;
		w->sys_slack = 0;
	}
	if (s->st->ops->park)
		s->st->ops->park(s->st, w->tctx);
	if (s->cfg.workers < 2 || s->cfg.cores < 2)
		return;
	unsigned to = w->id;
	for (unsigned i = w->live_n; i-- > 0;) {
		bool pushed = false;
		for (unsigned k = 0; k < s->cfg.workers && !pushed; k++) {
			to = (to + 1) % s->cfg.workers;
			if (s->workers[to].core != w->core)
				pushed = ring_push(s, w->id, to, &w->live[i]);
		}
		if (!pushed)
			break; /* every ring full: keep the rest */
		bump(&w->c.handoffs, 1);
		drop_live(w, i);
	}
	atomic_store_explicit(&w->c.live, w->live_n + w->sys_n, memory_order_relaxed);
}

static bool must_park(struct stress_worker *w)
{
	struct stress *s = w->s;
	return atomic_load(&s->pause) || atomic_load(&s->down_req[w->core]) || finished(w);
}

/* Park protocol (Dekker style, all seq_cst): the worker publishes parked=1
 * before it re-reads the requests, and on leaving publishes parked=0 before
 * it re-reads them again; the controller publishes a request before it reads
 * parked. So a controller that sees parked==1 after its request knows the
 * worker runs no operation until the request is withdrawn. */
static void park(struct stress_worker *w)
{
	struct stress *s = w->s;
	for (;;) {
		atomic_store(&w->parked, 1);
		while (!atomic_load(&s->stop)) {
			if (atomic_load(&s->down_req[w->core])) {
				unsigned gen = atomic_load(&s->down_gen[w->core]);
				if (atomic_load_explicit(&w->down_ack, memory_order_relaxed) !=
				    gen) {
					prepare_down(w);
					/* release: the controller reads our books after this */
					atomic_store_explicit(&w->down_ack, gen,
							      memory_order_release);
				}
			} else if (!atomic_load(&s->pause) && !finished(w)) {
				break;
			}
			s->cfg.relax();
		}
		atomic_store(&w->parked, 0);
		if (atomic_load(&s->stop) || !must_park(w))
			return;
	}
}

void stress_worker_run(struct stress *s, unsigned i)
{
	struct stress_worker *w = &s->workers[i];
	worker_thread_init(w);
	atomic_store(&w->runs_itself, 1);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		if (atomic_load_explicit(&s->pause, memory_order_relaxed) ||
		    atomic_load_explicit(&s->down_req[w->core], memory_order_relaxed) ||
		    finished(w)) {
			park(w);
			continue;
		}
		step(w);
	}
	if (w->s->st->ops->thread_fini)
		w->s->st->ops->thread_fini(w->s->st, w->tctx);
	w->tctx_set = false;
}

/* ---- the controller's side of parking -------------------------------------- */

/* A released worker must run before it is parked again. The controller's
 * schedule is its own work (a driver's step counts or timers), not the
 * workers': where workers are threads the host shares out (emulated cores
 * under an oversubscribed QEMU), a parked worker's thread can be kept off
 * the CPU exactly while the controller works and get it back only while
 * the controller waits, i.e. while everyone is parked again. Measured on 4
 * emulated Xtensa cores under load: the workers of heap core 1 saw each
 * release only in the last ~50 CCOUNT ticks before the next request, and
 * whole runs ended with them at 0 operations, their inbound rings full
 * (64 hand-offs, 0 received). So before each new request the controller
 * waits until every released worker (one that runs itself, on an up core,
 * not finished) has done an operation since its release. Workers a driver
 * runs by hand between controller steps (the Xtensa driver's worker 0) are
 * the driver's to advance. */
int stress_wait_progress(struct stress *s)
{
	for (unsigned i = 0; i < s->cfg.workers; i++) {
		struct stress_worker *w = &s->workers[i];
		if (!atomic_load(&w->runs_itself) || stress_is_down(s, w->core))
			continue;
		/* c.ops, not w->op: the worker's own fields are not ours to read */
		while (ld(&w->c.ops) == w->ops_at_release &&
		       !(s->cfg.max_ops && ld(&w->c.ops) >= s->cfg.max_ops)) {
			if (atomic_load(&s->stop))
				return -1;
			s->cfg.relax();
		}
	}
	return 0;
}

void stress_note_release(struct stress *s, int core)
{
	/* The workers are parked: their counts hold still until the release. */
	for (unsigned i = 0; i < s->cfg.workers; i++)
		if (core < 0 || s->workers[i].core == (unsigned)core)
			s->workers[i].ops_at_release = ld(&s->workers[i].c.ops);
}

int stress_wait_parked(struct stress *s, int core, unsigned gen)
{
	for (unsigned i = 0; i < s->cfg.workers; i++) {
		struct stress_worker *w = &s->workers[i];
		if (core >= 0 && w->core != (unsigned)core)
			continue;
		while (!atomic_load(&w->parked) ||
		       (core >= 0 &&
			atomic_load_explicit(&w->down_ack, memory_order_acquire) != gen)) {
			if (atomic_load(&s->stop))
				return -1;
			s->cfg.relax();
		}
	}
	return 0;
}
