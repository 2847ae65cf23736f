/* stress_core.c - workers, tags, hand-off rings, books and hotplug of the
 * stress driver. Portable C11: see stress_core.h for what a driver supplies. */
#include "stress_core.h"

#include <errno.h>

#include "smpheap/platform.h"

/* ---- small helpers ------------------------------------------------------ */

#define RING_MASK (STRESS_RING_SLOTS - 1u)

static inline size_t ld(const atomic_size_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* Counters have a single writer, so a load and a store suffice: no locked
 * read-modify-write in the measured loop, and readers still see whole values. */
static inline void bump(atomic_size_t *a, size_t d)
{
	atomic_store_explicit(a, ld(a) + d, memory_order_relaxed);
}

/* xorshift64*: tiny, fast, and good enough to drive decisions. */
static inline uint64_t rnd(struct stress_worker *w)
{
	uint64_t x = w->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The k-th 16-bit field of r (k = 0..3) scaled to [0, n): four independent
 * choices per random word, with a multiply instead of a 64-bit divide (which
 * the Xtensa toolchain lacks). */
static inline uint32_t sub(uint64_t r, unsigned k, uint32_t n)
{
	return (uint32_t)((((r >> (16 * k)) & 0xffffu) * (uint64_t)n) >> 16);
}

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

static void fail(struct stress *s, int worker, uint64_t op, const char *what, const void *ptr,
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

static inline bool failed(const struct stress *s)
{
	return atomic_load_explicit(&s->failed, memory_order_relaxed) != 0;
}

static inline bool is_smpheap(const struct stress *s)
{
	return s->st.heap != NULL;
}

/* A worker that has done its operations idles parked (still answering
 * core-down requests) until the run stops. */
static inline bool finished(const struct stress_worker *w)
{
	return w->s->cfg.max_ops && w->op >= w->s->cfg.max_ops;
}

/* SYS memory comes back only when its core goes down (smpheap, and peers
 * that model it); otherwise SYS blocks are freed like any other. */
static inline bool sys_kept(const struct stress *s)
{
	return s->st.heap != NULL || s->st.sys_reset != NULL;
}

/* ---- tags ----------------------------------------------------------------
 * Word i of a block (64-bit, i >= 1) is owner:16 | seq:24 | i:24, word 0 has
 * the length in place of the index, trailing bytes a byte hash. A word found
 * in the wrong place names the block that wrote it. */

static inline uint64_t tag_word(unsigned owner, uint32_t seq, uint64_t i)
{
	return ((uint64_t)(owner & 0xffffu) << 48) | ((uint64_t)(seq & 0xffffffu) << 24) |
	       (i & 0xffffffu);
}

static inline uint8_t tag_byte(unsigned owner, uint32_t seq, size_t j)
{
	return (uint8_t)(owner * 31u + seq * 7u + (unsigned)j * 13u + 0x5au);
}

void stress_tag_fill(void *p, size_t len, unsigned owner, uint32_t seq)
{
	uint64_t *w = p;
	size_t n = len / 8;
	for (size_t i = 0; i < n; i++)
		w[i] = tag_word(owner, seq, i ? i : len);
	uint8_t *b = p;
	for (size_t j = n * 8; j < len; j++)
		b[j] = tag_byte(owner, seq, j);
}

size_t stress_tag_check(const void *p, size_t len, unsigned owner, uint32_t seq, size_t limit)
{
	const uint64_t *w = p;
	size_t n = len / 8;
	size_t full = limit / 8 < n ? limit / 8 : n; /* words wholly below limit */
	for (size_t i = 0; i < full; i++)
		if (w[i] != tag_word(owner, seq, i ? i : len))
			return i * 8;
	const uint8_t *b = p;
	for (size_t j = n * 8; j < limit; j++)
		if (b[j] != tag_byte(owner, seq, j))
			return j;
	return limit;
}

/* Checks a whole block; on damage records the failure and returns false. */
static bool check_block(struct stress *s, int worker, uint64_t op, const struct stress_block *b,
			const char *what)
{
	size_t off = stress_tag_check(b->ptr, b->len, b->owner, b->seq, b->len);
	if (off == b->len)
		return true;
	const uint8_t *p = b->ptr;
	uint64_t got, expected;
	if (off < (size_t)b->len / 8 * 8) {
		got = ((const uint64_t *)b->ptr)[off / 8];
		expected = tag_word(b->owner, b->seq, off ? off / 8 : b->len);
	} else {
		got = p[off];
		expected = tag_byte(b->owner, b->seq, off);
	}
	fail(s, worker, op, what, b->ptr, b->len, off, expected, got);
	return false;
}

/* ---- set-up ---------------------------------------------------------------- */

size_t stress_span_capacity(unsigned workers)
{
	return (size_t)workers * (STRESS_LIVE_SLOTS + STRESS_SYS_SLOTS) +
	       (size_t)workers * workers * STRESS_RING_SLOTS;
}

int stress_init(struct stress *s, const struct stress_config *cfg, const struct stress_strategy *st,
		struct stress_worker *workers, struct stress_ring *rings, struct stress_span *spans)
{
	const struct smpheap_layout *l = cfg->layout;
	if (!cfg->workers || cfg->workers > STRESS_MAX_WORKERS || !cfg->cores ||
	    cfg->cores > SMPHEAP_MAX_CORES || !cfg->zone_mask || (cfg->zone_mask & ~7u) || !l ||
	    !l->class_count || !l->buffer_region_count || !cfg->now || !cfg->relax || !st->alloc ||
	    !st->free || !st->realloc || !st->usable)
		return -EINVAL;
	s->cfg = *cfg;
	s->st = *st;
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
		w->rng = splitmix(cfg->seed ^ splitmix(i + 1));
		if (!w->rng)
			w->rng = 1;
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
		atomic_size_t *c = &w->c.ops;
		for (size_t k = 0; k < sizeof(w->c) / sizeof(atomic_size_t); k++)
			atomic_init(&c[k], 0);
	}
	for (size_t r = 0; r < (size_t)cfg->workers * cfg->workers; r++) {
		atomic_init(&rings[r].head, 0);
		atomic_init(&rings[r].tail, 0);
	}
	return 0;
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

static inline bool core_is_down(const struct stress *s, unsigned core)
{
	return atomic_load_explicit(&s->down_req[core % SMPHEAP_MAX_CORES], memory_order_relaxed) !=
	       0;
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

static size_t default_align(const struct stress *s, enum smpheap_zone zone)
{
	if (!is_smpheap(s))
		return 8;
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
		fail(s, (int)w->id, w->op, "block not aligned as asked", p, size, 0, need,
		     (uintptr_t)p & (need - 1));
		return 0;
	}
	if (is_smpheap(s)) {
		int z = smpheap_zone_of(s->st.heap, p);
		if (z != (int)zone) {
			fail(s, (int)w->id, w->op, "block from the wrong zone", p, size, 0, zone,
			     (uint64_t)(int64_t)z);
			return 0;
		}
	}
	size_t len = s->st.usable(s->st.ctx, p, size, zone);
	if (len < size) {
		fail(s, (int)w->id, w->op, "usable size below the request", p, size, 0, size, len);
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
	if (!check_block(s, (int)w->id, w->op, b, what))
		return false;
	bool down = core_is_down(s, b->core);
	uint64_t t0 = timed_start(s);
	int rc = s->st.free(s->st.ctx, b->ptr, (enum smpheap_zone)b->zone);
	timed_end(w, t0);
	if (rc != 0) {
		fail(s, (int)w->id, w->op, "free of a live block failed", b->ptr, b->len, 0, 0,
		     (uint64_t)(int64_t)rc);
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
	if (!s->st.aligned)
		align = 0;
	uint64_t t0 = timed_start(s);
	void *p = s->st.alloc(s->st.ctx, zone, caps, size, align);
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
			if (!check_block(s, (int)w->id, w->op, &old, "system block damaged"))
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
	unsigned tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	/* acquire: the receiver has copied the slot out before it moved head */
	unsigned head = atomic_load_explicit(&ring->head, memory_order_acquire);
	if (tail - head == STRESS_RING_SLOTS)
		return false;
	ring->slot[tail & RING_MASK] = *b;
	/* release: the slot (and the block's tag) are visible before the entry */
	atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
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
		unsigned head = atomic_load_explicit(&ring->head, memory_order_relaxed);
		/* acquire: pairs with the sender's release of tail */
		unsigned tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
		while (head != tail) {
			struct stress_block b = ring->slot[head & RING_MASK];
			/* release: the copy is done before the sender may reuse the slot */
			atomic_store_explicit(&ring->head, ++head, memory_order_release);
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
	if (!check_block(s, (int)w->id, w->op, b, "block damaged while live (checked at realloc)"))
		return;
	uint64_t t0 = timed_start(s);
	void *q = s->st.realloc(s->st.ctx, b->ptr, b->len, size, zone);
	timed_end(w, t0);
	if (!q) {
		bump(&w->c.nulls, 1);
		bump(&w->c.zone_nulls[zone], 1);
		w->exhausted |= 1u << zone;
		check_block(s, (int)w->id, w->op, b, "failed realloc changed the block");
		return;
	}
	size_t keep = b->len < size ? b->len : size;
	size_t off = stress_tag_check(q, b->len, b->owner, b->seq, keep);
	if (off != keep) {
		fail(s, (int)w->id, w->op, "realloc lost the block's contents", q, b->len, off,
		     keep, off);
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

/* One bad input, with the exact answer the API's error table promises. */
static void op_bad(struct stress_worker *w, uint64_t r1, uint64_t r2)
{
	struct stress *s = w->s;
	struct smpheap *h = s->st.heap;
	const struct smpheap_layout *l = s->cfg.layout;
	unsigned kind = sub(r1, 0, 9);
	if ((kind == 1 || kind == 4) && !w->sys_n)
		kind++; /* no system block at hand: the next kind instead */
	bump(&w->c.bad_inputs, 1);
	switch (kind) {
	case 0: { /* interior pointer of our own live block: -EINVAL, block untouched */
		unsigned idx = sub(r1, 1, w->live_n);
		struct stress_block *b = &w->live[idx];
		size_t off = 1;
		if (b->zone == SMPHEAP_ZONE_RUNTIME && b->len >= 32)
			off = 16;
		else if (b->zone == SMPHEAP_ZONE_BUFFER && b->len > l->page_size)
			off = l->page_size;
		int rc = smpheap_free(h, (char *)b->ptr + off);
		bump(&w->c.bad_frees, 1);
		if (rc != -EINVAL) {
			fail(s, (int)w->id, w->op, "free of an interior pointer: expected -EINVAL",
			     b->ptr, b->len, off, (uint64_t)(int64_t)-EINVAL,
			     (uint64_t)(int64_t)rc);
			return;
		}
		if (smpheap_usable_size(h, b->ptr) != b->len) {
			fail(s, (int)w->id, w->op, "interior free changed the block's size", b->ptr,
			     b->len, off, b->len, smpheap_usable_size(h, b->ptr));
			return;
		}
		check_block(s, (int)w->id, w->op, b, "interior free damaged the block");
		return;
	}
	case 1: { /* a system pointer: -EPERM, and it stays usable */
		struct stress_block *b = &w->sys[sub(r1, 1, w->sys_n)];
		int rc = smpheap_free(h, b->ptr);
		bump(&w->c.bad_frees, 1);
		if (rc != -EPERM)
			fail(s, (int)w->id, w->op, "free of a system pointer: expected -EPERM",
			     b->ptr, b->len, 0, (uint64_t)(int64_t)-EPERM, (uint64_t)(int64_t)rc);
		else
			check_block(s, (int)w->id, w->op, b, "free of a system pointer damaged it");
		return;
	}
	case 2: { /* a pointer outside the heap: -EFAULT */
		int rc = smpheap_free(h, (void *)w);
		bump(&w->c.bad_frees, 1);
		if (rc != -EFAULT)
			fail(s, (int)w->id, w->op, "free of a foreign pointer: expected -EFAULT", w,
			     0, 0, (uint64_t)(int64_t)-EFAULT, (uint64_t)(int64_t)rc);
		return;
	}
	case 3: { /* free(NULL): 0, not an error */
		int rc = smpheap_free(h, NULL);
		if (rc != 0)
			fail(s, (int)w->id, w->op, "free(NULL): expected 0", NULL, 0, 0, 0,
			     (uint64_t)(int64_t)rc);
		return;
	}
	case 4: { /* realloc of a system pointer: NULL, counted as a bad free */
		struct stress_block *b = &w->sys[sub(r1, 1, w->sys_n)];
		void *q = smpheap_realloc(h, b->ptr, 1 + sub(r2, 0, 512));
		bump(&w->c.bad_frees, 1);
		if (q)
			fail(s, (int)w->id, w->op, "realloc of a system pointer: expected NULL",
			     b->ptr, b->len, 0, 0, (uintptr_t)q);
		else
			check_block(s, (int)w->id, w->op, b,
				    "realloc of a system pointer damaged it");
		return;
	}
	default: { /* allocations that must fail: NULL */
		static const struct {
			int zone;
			uint32_t caps;
			size_t size, align;
			const char *what;
		} bad[] = {
		    {SMPHEAP_ZONE_RUNTIME, 0, 0, 0, "alloc of size 0: expected NULL"},
		    {SMPHEAP_ZONE_BUFFER, 0, 4096, 48,
		     "alloc with a non-power-of-two alignment: expected NULL"},
		    {SMPHEAP_ZONE_RUNTIME, 0, SIZE_MAX - 8, 64,
		     "alloc whose size+align overflows: expected NULL"},
		    {SMPHEAP_ZONE_BUFFER, 0, SIZE_MAX / 2, 0,
		     "alloc larger than memory: expected NULL"},
		    {7, 0, 64, 0, "alloc from an unknown zone: expected NULL"},
		    {SMPHEAP_ZONE_RUNTIME, 1u << 31, 64, 0,
		     "alloc with caps no region has: expected NULL"},
		};
		unsigned i = sub(r2, 1, sizeof(bad) / sizeof(bad[0]));
		bump(&w->c.bad_allocs, 1);
		void *p = bad[i].align
			      ? smpheap_alloc_aligned(h, (enum smpheap_zone)bad[i].zone,
						      bad[i].caps, bad[i].size, bad[i].align)
			      : smpheap_alloc(h, (enum smpheap_zone)bad[i].zone, bad[i].caps,
					      bad[i].size);
		if (p)
			fail(s, (int)w->id, w->op, bad[i].what, p, bad[i].size, 0, 0, (uintptr_t)p);
		return;
	}
	}
}

/* One operation. Four random words are drawn whatever happens, so operation
 * k of worker i sees the same inputs in every run with the same seed. */
static void step(struct stress_worker *w)
{
	struct stress *s = w->s;
	uint64_t r0 = rnd(w), r1 = rnd(w), r2 = rnd(w), r3 = rnd(w);
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
			op_bad(w, r1, r2);
		else if (kind < 33)
			op_handoff(w, r1, r2);
		else if (kind < 48)
			op_realloc(w, r1, r2, r3);
		else
			op_free(w, r1);
	}
	bump(&w->c.ops, 1);
}

bool stress_worker_steps(struct stress *s, unsigned i, unsigned steps)
{
	struct stress_worker *w = &s->workers[i];
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
			if (!check_block(s, (int)w->id, w->op, &w->sys[i],
					 "system block damaged before its core went down"))
				return;
		w->sys_dropped = w->sys_n;
		w->sys_n = 0;
		w->sys_bytes = 0;
		w->sys_slack = 0;
	}
	if (s->st.park)
		s->st.park(s->st.ctx);
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
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		if (atomic_load_explicit(&s->pause, memory_order_relaxed) ||
		    atomic_load_explicit(&s->down_req[w->core], memory_order_relaxed) ||
		    finished(w)) {
			park(w);
			continue;
		}
		step(w);
	}
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

/* ---- the controller ------------------------------------------------------- */

/* Waits until the workers selected by `core` (all if core < 0) are parked
 * (and, for a core going down, have handled generation `gen`). */
static int wait_parked(struct stress *s, int core, unsigned gen)
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
	if (!check_block(s, -1, s->ctl_step, b, what))
		return false;
	if (is_smpheap(s) && b->zone != SMPHEAP_ZONE_SYS) {
		size_t u = smpheap_usable_size(s->st.heap, b->ptr);
		if (u != b->len) {
			fail(s, -1, s->ctl_step, "live block's usable size changed", b->ptr, b->len,
			     0, b->len, u);
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
			unsigned head = atomic_load_explicit(&ring->head, memory_order_acquire);
			unsigned tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
			for (; head != tail; head++)
				if (!book_block(
					s, &bk, &ring->slot[head & RING_MASK],
					"block damaged in a hand-off ring (quiescent check)"))
					return -1;
		}
	}
	sort_spans(s->spans, bk.spans);
	for (size_t k = 1; k < bk.spans; k++) {
		const struct stress_span *a = &s->spans[k - 1], *b = &s->spans[k];
		if (a->start + a->len > b->start) {
			fail(s, -1, s->ctl_step, "two live blocks overlap", (void *)b->start,
			     b->len, 0, a->start, a->len);
			return -1;
		}
	}
	if (!is_smpheap(s))
		return 0;
	struct smpheap *h = s->st.heap;
	struct stress_totals t;
	stress_totals(s, &t);
	size_t failures = 0, bad_frees = 0;
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		struct smpheap_stats st;
		if (smpheap_stats(h, (enum smpheap_zone)z, &st) != 0) {
			fail(s, -1, s->ctl_step, "smpheap_stats failed", NULL, 0, 0, 0, z);
			return -1;
		}
		failures += st.failures;
		bad_frees += st.bad_frees;
		if (z == SMPHEAP_ZONE_SYS) {
			/* Bump offsets: every block rounded to 16, plus what
			 * aligned requests skipped (at most align - 16 each). */
			if (st.used < sys_bytes || st.used > sys_bytes + sys_slack) {
				fail(s, -1, s->ctl_step,
				     "SYS used outside [held bytes, held bytes + alignment slack]",
				     NULL, 0, 0, sys_bytes, st.used);
				return -1;
			}
			continue;
		}
		if (st.used != bk.bytes[z]) {
			fail(s, -1, s->ctl_step,
			     z == SMPHEAP_ZONE_RUNTIME
				 ? "RUNTIME used differs from the bytes the workers hold"
				 : "BUFFER used differs from the bytes the workers hold",
			     NULL, 0, 0, bk.bytes[z], st.used);
			return -1;
		}
		/* Each held block is one more allocation than frees (a moving
		 * realloc counts one of each, an in-place one neither). */
		if (st.allocs - st.frees != bk.blocks[z]) {
			fail(s, -1, s->ctl_step, "allocs - frees differs from the blocks held",
			     NULL, 0, 0, bk.blocks[z], st.allocs - st.frees);
			return -1;
		}
		if (st.poison_errors) {
			fail(s, -1, s->ctl_step, "poison found written (a write after free)", NULL,
			     0, 0, 0, st.poison_errors);
			return -1;
		}
	}
	if (failures != t.nulls + t.bad_allocs || bad_frees != t.bad_frees) {
		fail(s, -1, s->ctl_step, "stats failures/bad_frees differ from the driver's count",
		     NULL, 0, 0, (uint64_t)(t.nulls + t.bad_allocs) | (uint64_t)t.bad_frees << 32,
		     (uint64_t)failures | (uint64_t)bad_frees << 32);
		return -1;
	}
	int rc = smpheap_check(h);
	if (rc != 0) {
		fail(s, -1, s->ctl_step, "smpheap_check failed", NULL, 0, 0, 0,
		     (uint64_t)(int64_t)rc);
		return -1;
	}
	return 0;
}

int stress_quiesce(struct stress *s)
{
	if (failed(s))
		return -1;
	atomic_store(&s->pause, 1);
	int rc = wait_parked(s, -1, 0);
	if (rc == 0)
		rc = check_books(s);
	if (rc == 0)
		s->quiesces++;
	atomic_store(&s->pause, 0);
	return failed(s) ? -1 : rc;
}

/* Bank figures are heap-wide: every zone's stats carry the same ones. */
static void bank_figures(struct stress *s, size_t *released, size_t *count)
{
	struct smpheap_stats st;
	*released = *count = 0;
	if (smpheap_stats(s->st.heap, SMPHEAP_ZONE_RUNTIME, &st) == 0) {
		*released = st.banks_released;
		*count = st.bank_release_count;
	}
}

static bool is_down(const struct stress *s, unsigned core)
{
	return s->down_mask[core / 32] & (1u << (core % 32));
}

int stress_core_down(struct stress *s, unsigned core)
{
	if (failed(s) || core >= s->cfg.cores || is_down(s, core))
		return -1;
	s->ctl_step++;
	unsigned gen = atomic_load(&s->down_gen[core]) + 1;
	atomic_store(&s->down_gen[core], gen);
	atomic_store(&s->down_req[core], 1);
	if (wait_parked(s, (int)core, gen) != 0)
		return -1;
	for (unsigned i = 0; i < s->cfg.workers; i++)
		if (s->workers[i].core == core)
			s->sys_resets += s->workers[i].sys_dropped;
	s->down_mask[core / 32] |= 1u << (core % 32);
	s->core_downs++;
	if (!is_smpheap(s)) {
		if (s->st.sys_reset)
			s->st.sys_reset(s->st.ctx, core);
		return 0;
	}
	struct smpheap *h = s->st.heap;
	size_t rel0, cnt0, rel1, cnt1;
	bank_figures(s, &rel0, &cnt0);
	int rc = smpheap_core_down(h, core);
	if (rc != 0) {
		fail(s, -1, s->ctl_step, "smpheap_core_down failed", NULL, 0, 0, core,
		     (uint64_t)(int64_t)rc);
		return -1;
	}
	bank_figures(s, &rel1, &cnt1);
	/* Its system heap starts on a bank boundary and was just reset, so the
	 * banks it fills alone hold no live block and must be off now. Pool
	 * banks are heap-wide: workers' allocations may power some on again
	 * meanwhile, so only the power-off count is exact (only the controller
	 * powers banks off). */
	const struct smpheap_layout *l = s->cfg.layout;
	size_t sys_banks = l->sys_size[core] / l->bank_size;
	if (cnt1 - cnt0 < sys_banks) {
		fail(s, -1, s->ctl_step, "core_down released too few banks (expected >= got)", NULL,
		     0, 0, sys_banks, cnt1 - cnt0);
		return -1;
	}
	s->released_on[core] = rel1 - rel0;
	s->banks_released += rel1 - rel0;
	if (smpheap_core_is_up(h, core) != 0 || smpheap_core_down(h, core) != -EALREADY) {
		fail(s, -1, s->ctl_step, "a down core does not look down", NULL, 0, 0, core, 0);
		return -1;
	}
	return 0;
}

int stress_core_sweep(struct stress *s, unsigned core)
{
	if (failed(s) || !is_smpheap(s) || !is_down(s, core))
		return failed(s) ? -1 : 0;
	s->ctl_step++;
	size_t rel0, cnt0, rel1, cnt1;
	bank_figures(s, &rel0, &cnt0);
	int rc = smpheap_core_sweep(s->st.heap, core);
	bank_figures(s, &rel1, &cnt1);
	/* Only this controller powers banks off, so the count moves by
	 * exactly what the sweep reports (workers may power pool banks on). */
	if (rc < 0 || cnt1 != cnt0 + (size_t)rc) {
		fail(s, -1, s->ctl_step, "core_sweep: banks released differ from its result", NULL,
		     0, 0, (uint64_t)(int64_t)rc, cnt1 - cnt0);
		return -1;
	}
	(void)rel0;
	(void)rel1;
	s->sweeps++;
	s->released_on[core] += (size_t)rc;
	s->banks_released += (size_t)rc;
	return 0;
}

int stress_core_up(struct stress *s, unsigned core)
{
	if (failed(s) || core >= s->cfg.cores || !is_down(s, core))
		return -1;
	s->ctl_step++;
	if (is_smpheap(s)) {
		struct smpheap *h = s->st.heap;
		size_t rel0, cnt0, rel1, cnt1;
		bank_figures(s, &rel0, &cnt0);
		int rc = smpheap_core_up(h, core);
		bank_figures(s, &rel1, &cnt1);
		if (rc != 0) {
			fail(s, -1, s->ctl_step, "smpheap_core_up failed", NULL, 0, 0, core,
			     (uint64_t)(int64_t)rc);
			return -1;
		}
		/* Its system banks are powered again, and the pool's banks
		 * with them (smpheap_core_up); nothing is powered off. */
		size_t sys_banks = s->cfg.layout->sys_size[core] / s->cfg.layout->bank_size;
		if (rel1 + sys_banks > rel0 || cnt1 != cnt0) {
			fail(s, -1, s->ctl_step, "core_up: banks still released (expected, got)",
			     NULL, 0, 0, rel0 - sys_banks, rel1);
			return -1;
		}
		if (smpheap_core_is_up(h, core) != 1 || smpheap_core_up(h, core) != -EALREADY) {
			fail(s, -1, s->ctl_step, "an up core does not look up", NULL, 0, 0, core,
			     0);
			return -1;
		}
		s->released_on[core] = 0;
	}
	s->down_mask[core / 32] &= ~(1u << (core % 32));
	s->core_ups++;
	atomic_store(&s->down_req[core], 0);
	return 0;
}

/* Frees a block held when the run ends, as the controller. */
static bool final_free(struct stress *s, const struct stress_block *b)
{
	if (!check_block(s, -1, s->ctl_step, b, "block damaged (final check)"))
		return false;
	int rc = s->st.free(s->st.ctx, b->ptr, (enum smpheap_zone)b->zone);
	if (rc != 0) {
		fail(s, -1, s->ctl_step, "final free of a live block failed", b->ptr, b->len, 0, 0,
		     (uint64_t)(int64_t)rc);
		return false;
	}
	return true;
}

int stress_finish(struct stress *s)
{
	if (failed(s))
		return -1;
	for (unsigned c = 0; c < s->cfg.cores; c++)
		if (is_down(s, c) && stress_core_up(s, c) != 0)
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
			unsigned head = atomic_load(&ring->head), tail = atomic_load(&ring->tail);
			for (; head != tail; head++)
				if (!final_free(s, &ring->slot[head & RING_MASK]))
					return -1;
			atomic_store(&ring->head, head);
		}
		atomic_store_explicit(&w->c.live, w->sys_n, memory_order_relaxed);
	}
	if (check_books(s) != 0) /* RUNTIME and BUFFER must now be empty */
		return -1;
	if (!is_smpheap(s)) {
		for (unsigned c = 0; c < s->cfg.cores && s->st.sys_reset; c++)
			s->st.sys_reset(s->st.ctx, c);
		return 0;
	}
	/* SYS: only taking a core down gives its system memory back. */
	struct smpheap *h = s->st.heap;
	unsigned cores = smpheap_layout(h)->cores;
	for (unsigned c = 0; c < cores; c++) {
		int rc = smpheap_core_down(h, c);
		if (rc != 0) {
			fail(s, -1, s->ctl_step, "final core_down failed", NULL, 0, 0, c,
			     (uint64_t)(int64_t)rc);
			return -1;
		}
	}
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		struct smpheap_stats st;
		smpheap_stats(h, (enum smpheap_zone)z, &st);
		if (st.used != 0) {
			fail(s, -1, s->ctl_step, "zone not empty at the end (zone, used)", NULL, 0,
			     0, z, st.used);
			return -1;
		}
	}
	int rc = smpheap_check(h);
	for (unsigned c = 0; c < cores && rc == 0; c++)
		rc = smpheap_core_up(h, c);
	if (rc != 0) {
		fail(s, -1, s->ctl_step, "heap broken after emptying it", NULL, 0, 0, 0,
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
		bank_figures((struct stress *)s, &rel, &t->bank_release_count);
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

/* ---- smpheap as a strategy -------------------------------------------------- */

static void *smpheap_st_alloc(void *ctx, enum smpheap_zone zone, uint32_t caps, size_t size,
			      size_t align)
{
	return align ? smpheap_alloc_aligned(ctx, zone, caps, size, align)
		     : smpheap_alloc(ctx, zone, caps, size);
}

static int smpheap_st_free(void *ctx, void *ptr, enum smpheap_zone zone)
{
	(void)zone;
	return smpheap_free(ctx, ptr);
}

static void *smpheap_st_realloc(void *ctx, void *ptr, size_t old_len, size_t size,
				enum smpheap_zone zone)
{
	(void)old_len;
	(void)zone;
	return smpheap_realloc(ctx, ptr, size);
}

static size_t smpheap_st_usable(void *ctx, const void *ptr, size_t requested,
				enum smpheap_zone zone)
{
	/* System allocations have no size on record (nothing is ever freed). */
	return zone == SMPHEAP_ZONE_SYS ? requested : smpheap_usable_size(ctx, ptr);
}

/* A thread parking for its core's power-down gives back its word-claim
 * cache: blocks it holds there would keep their banks on. */
static void smpheap_st_park(void *ctx)
{
	(void)ctx;
	smpheap_thread_flush(smph_platform_thread_slot());
}

void stress_strategy_smpheap(struct stress_strategy *st, struct smpheap *h)
{
	st->name = "smpheap";
	st->ctx = h;
	st->alloc = smpheap_st_alloc;
	st->free = smpheap_st_free;
	st->realloc = smpheap_st_realloc;
	st->usable = smpheap_st_usable;
	st->sys_reset = NULL;
	st->park = smpheap_st_park;
	st->aligned = true;
	st->heap = h;
}
