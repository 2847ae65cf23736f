/* blockmap_lock.c - the legacy DSP firmware heap, written from its
 * description, to measure smpheap against what it replaces:
 *
 *   - per-heap maps of fixed-size blocks, one map per block size, each with
 *     a `first_free` index and a linear scan for the next free block after
 *     every allocation;
 *   - multi-block buffers found by a first-fit linear scan for a run of free
 *     blocks (the buffer map's blocks are the layout's pages);
 *   - ONE global spinlock around every allocation and free.
 *
 * It is sized from the same smpheap layout, so both hold the same bytes: the
 * runtime maps hold every shard's bytes of a class (the legacy heap is one
 * shared heap) in the legacy power-of-two block sizes (legacy_maps()), the
 * buffer map has every buffer region's pages, and the system heaps are
 * per-core bump regions (never freed, reset per core).
 * Block headers live outside the blocks, as the legacy heap's did.
 *
 * The lock is the suite's one TTAS spinlock (spinlock.h), the system heaps
 * the locked strategies' shared bump regions (sys_bump.h). */
#include <errno.h>

#include "smpheap/layout.h"
#include "spinlock.h"
#include "strategy.h"
#include "sys_bump.h"

struct bml_hdr {
	uint32_t used; /* 1 when the block is part of a live allocation */
	uint32_t run;  /* blocks in the allocation that starts here, else 0 */
};

struct bml_map {
	uint32_t block_size; /* bytes per block */
	uint32_t count;	     /* blocks */
	uint32_t free_count; /* free blocks */
	uint32_t first_free; /* index of the first free block (count: none) */
	unsigned char *base; /* first block */
	struct bml_hdr *hdr; /* one per block */
};

struct bml {
	_Alignas(64) struct bench_spinlock lock;  /* the one global lock */
	_Alignas(64) unsigned nmaps;		  /* runtime maps in use */
	struct bml_map maps[SMPHEAP_MAX_CLASSES]; /* runtime, ascending block size */
	struct bml_map buf;			  /* buffer pages */
	unsigned cores;				  /* system heaps */
	struct sys_bump sys;			  /* the system heaps */
	size_t used[STRAT_KINDS];		  /* bytes in live blocks (SYS: in sys) */
	size_t capacity[STRAT_KINDS];		  /* bytes each kind can hand out */
	unsigned char *mem_end;			  /* end of the memory given */
};

static void bml_lock(struct bml *b)
{
	bench_spin_lock(&b->lock);
}

static void bml_unlock(struct bml *b)
{
	bench_spin_unlock(&b->lock);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t natural_align(uint32_t block_size)
{
	size_t a = (size_t)block_size & (0 - (size_t)block_size);

	return a > 4096 ? 4096 : a < 16 ? 16 : a;
}

/* The legacy heap's block sizes are powers of two (SOF's TGL maps: 64 B to
 * 4 KiB); a layout class of another size (768 B, ...) gives its bytes to the
 * map of the next power of two, so both heaps hold the same bytes and the
 * legacy one keeps its own granularity. */
static uint32_t legacy_size(uint32_t block_size)
{
	uint32_t p = 16;

	while (p < block_size)
		p <<= 1;
	return p;
}

/* The legacy maps of a layout: ascending block sizes and their counts. */
static unsigned legacy_maps(const struct smpheap_layout *l, uint32_t *size, size_t *count)
{
	unsigned n = 0;

	for (unsigned c = 0; c < l->class_count; c++) {
		uint32_t ls = legacy_size(l->classes[c].block_size);
		size_t bytes = (size_t)l->classes[c].block_size * l->classes[c].count * l->cores;
		unsigned i;

		/* A class the legacy design does not have (tgl's finer classes
		 * carry count 0): no map, so no empty map on every search. */
		if (!bytes)
			continue;

		for (i = 0; i < n && size[i] != ls; i++)
			;
		if (i == n) {
			size[n] = ls;
			count[n++] = 0;
		}
		count[i] += bytes / ls;
	}
	for (unsigned i = 1; i < n; i++) /* ascending (layout classes already are) */
		for (unsigned j = i; j > 0 && size[j] < size[j - 1]; j--) {
			uint32_t ts = size[j];
			size_t tc = count[j];

			size[j] = size[j - 1];
			count[j] = count[j - 1];
			size[j - 1] = ts;
			count[j - 1] = tc;
		}
	return n;
}

static size_t bml_layout(const struct smpheap_layout *l, unsigned char *mem, struct bml *b)
{
	/* One pass computes the size (mem == NULL) or carves the memory. */
	size_t off = align_up(sizeof(struct bml), 64);
	size_t pages = 0;
	uint32_t msize[SMPHEAP_MAX_CLASSES];
	size_t mcount[SMPHEAP_MAX_CLASSES];
	unsigned nmaps = legacy_maps(l, msize, mcount);

	/* The regions' bytes less the block maps: the same bytes as smpheap's. */
	pages = smpheap_layout_legacy_buffer_bytes(l) / l->page_size;
	for (unsigned c = 0; c < nmaps; c++) {
		if (b)
			b->maps[c].hdr = (struct bml_hdr *)(mem + off);
		off += mcount[c] * sizeof(struct bml_hdr);
	}
	if (b)
		b->buf.hdr = (struct bml_hdr *)(mem + off);
	off += pages * sizeof(struct bml_hdr);
	off = sys_bump_place(b ? &b->sys : NULL, mem, off, l);
	for (unsigned c = 0; c < nmaps; c++) {
		off = align_up(off, natural_align(msize[c]));
		if (b) {
			b->maps[c].base = mem + off;
			b->maps[c].block_size = msize[c];
			b->maps[c].count = (uint32_t)mcount[c];
		}
		off += mcount[c] * msize[c];
	}
	if (b)
		b->nmaps = nmaps;
	off = align_up(off, l->page_size);
	if (b) {
		b->buf.base = mem + off;
		b->buf.block_size = (uint32_t)l->page_size;
		b->buf.count = (uint32_t)pages;
	}
	off += pages * l->page_size;
	return off + l->page_size; /* slack to page-align the buffer map */
}

size_t blockmap_lock_size(const struct smpheap_layout *layout)
{
	return bml_layout(layout, NULL, NULL);
}

/* The legacy scan: after taking first_free, walk on to the next free block. */
static void bml_advance(struct bml_map *m, uint32_t from)
{
	uint32_t i;

	for (i = from; i < m->count; i++)
		if (!m->hdr[i].used)
			break;
	m->first_free = i;
}

static void *bml_alloc_runtime(struct bml *b, size_t size)
{
	for (unsigned c = 0; c < b->nmaps; c++) {
		struct bml_map *m = &b->maps[c];
		uint32_t i;

		if (m->block_size < size || !m->free_count)
			continue;
		i = m->first_free;
		m->hdr[i].used = 1;
		m->hdr[i].run = 1;
		m->free_count--;
		b->used[STRAT_RUNTIME] += m->block_size;
		bml_advance(m, i + 1);
		return m->base + (size_t)i * m->block_size;
	}
	return NULL;
}

static void *bml_alloc_buffer(struct bml *b, size_t size)
{
	struct bml_map *m = &b->buf;
	uint32_t n = (uint32_t)((size + m->block_size - 1) / m->block_size);
	uint32_t start = m->first_free, len = 0;

	if (n == 0 || n > m->free_count)
		return NULL;
	/* first fit: the first run of n free blocks from first_free on */
	for (uint32_t i = m->first_free; i < m->count; i++) {
		if (m->hdr[i].used) {
			len = 0;
			start = i + 1;
			continue;
		}
		if (++len < n)
			continue;
		for (uint32_t j = start; j < start + n; j++)
			m->hdr[j].used = 1;
		m->hdr[start].run = n;
		m->free_count -= n;
		b->used[STRAT_BUFFER] += (size_t)n * m->block_size;
		if (start == m->first_free)
			bml_advance(m, start + n);
		return m->base + (size_t)start * m->block_size;
	}
	return NULL;
}

static void *bml_alloc(struct strategy *s, void *t, size_t size, enum strat_kind kind)
{
	struct bml *b = s->impl;
	void *p = NULL;

	if (size == 0)
		return NULL;
	bml_lock(b);
	if (kind == STRAT_SYS) {
		p = sys_bump_alloc(&b->sys, sys_bump_core(t), size, 16);
	} else if (kind == STRAT_RUNTIME && size <= s->max_runtime) {
		p = bml_alloc_runtime(b, size);
	} else {
		p = bml_alloc_buffer(b, size);
	}
	bml_unlock(b);
	return p;
}

static int bml_find(struct bml *b, const unsigned char *p, struct bml_map **mp, uint32_t *ip)
{
	for (unsigned c = 0; c <= b->nmaps; c++) {
		struct bml_map *m = c < b->nmaps ? &b->maps[c] : &b->buf;
		size_t off;

		if (p < m->base || p >= m->base + (size_t)m->count * m->block_size)
			continue;
		off = (size_t)(p - m->base);
		if (off % m->block_size)
			return -1;
		*mp = m;
		*ip = (uint32_t)(off / m->block_size);
		return 0;
	}
	return -1;
}

static int bml_free(struct strategy *s, void *t, void *p, enum strat_kind kind)
{
	struct bml *b = s->impl;
	struct bml_map *m;
	uint32_t i, n;
	int err = -EINVAL;

	(void)t;
	if (!p || kind == STRAT_SYS)
		return 0;
	bml_lock(b);
	if (bml_find(b, p, &m, &i) == 0 && m->hdr[i].used && m->hdr[i].run) {
		err = 0;
		n = m->hdr[i].run;
		for (uint32_t j = i; j < i + n; j++) {
			m->hdr[j].used = 0;
			m->hdr[j].run = 0;
		}
		m->free_count += n;
		b->used[m == &b->buf ? STRAT_BUFFER : STRAT_RUNTIME] -= (size_t)n * m->block_size;
		if (i < m->first_free)
			m->first_free = i;
	}
	bml_unlock(b);
	return err;
}

static void bml_sys_reset(struct strategy *s, unsigned core)
{
	struct bml *b = s->impl;

	bml_lock(b);
	sys_bump_reset(&b->sys, core);
	bml_unlock(b);
}

static void *bml_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	struct bml *b = s->impl;

	return sys_bump_thread_init(&b->sys, thread, core);
}

static void bml_thread_fini(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
}

static size_t bml_capacity(struct strategy *s, enum strat_kind kind)
{
	return ((struct bml *)s->impl)->capacity[kind];
}

static size_t bml_used(struct strategy *s, enum strat_kind kind)
{
	struct bml *b = s->impl;
	size_t u;

	bml_lock(b);
	u = kind == STRAT_SYS ? b->sys.used : b->used[kind];
	bml_unlock(b);
	return u;
}

static size_t bml_largest_free(struct strategy *s, enum strat_kind kind)
{
	struct bml *b = s->impl;
	size_t best = 0;

	bml_lock(b);
	if (kind == STRAT_RUNTIME) {
		for (unsigned c = 0; c < b->nmaps; c++)
			if (b->maps[c].free_count)
				best = b->maps[c].block_size;
	} else if (kind == STRAT_BUFFER) {
		uint32_t len = 0, max = 0;

		for (uint32_t i = 0; i < b->buf.count; i++) {
			len = b->buf.hdr[i].used ? 0 : len + 1;
			if (len > max)
				max = len;
		}
		best = (size_t)max * b->buf.block_size;
	} else {
		best = sys_bump_largest(&b->sys);
	}
	bml_unlock(b);
	return best;
}

static int bml_owns(struct strategy *s, const void *p)
{
	struct bml *b = s->impl;
	const unsigned char *c = p;

	return c >= (const unsigned char *)b && c < b->mem_end;
}

static int bml_check(struct strategy *s)
{
	struct bml *b = s->impl;
	int bad = 0;

	bml_lock(b);
	for (unsigned c = 0; c <= b->nmaps; c++) {
		struct bml_map *m = c < b->nmaps ? &b->maps[c] : &b->buf;
		uint32_t free = 0, first = m->count;

		for (uint32_t i = 0; i < m->count; i++) {
			if (!m->hdr[i].used) {
				free++;
				if (first == m->count)
					first = i;
			}
		}
		if (free != m->free_count || m->first_free > first)
			bad = -1;
	}
	bml_unlock(b);
	return bad;
}

static const struct strategy_ops bml_ops = {
    .thread_init = bml_thread_init,
    .thread_fini = bml_thread_fini,
    .alloc = bml_alloc,
    .free = bml_free,
    .sys_reset = bml_sys_reset,
    .capacity = bml_capacity,
    .used = bml_used,
    .largest_free = bml_largest_free,
    .owns = bml_owns,
    .check = bml_check,
};

int strategy_blockmap_lock_init(struct strategy *s, void *mem, size_t len,
				const struct smpheap_layout *layout)
{
	struct bml *b = mem;
	static const char version[] = "legacy block maps, first_free + linear scan, "
				      "one TTAS spinlock (this repo)";

	if (!mem || ((uintptr_t)mem & 63) || len < blockmap_lock_size(layout) ||
	    layout->cores == 0 || layout->cores > SMPHEAP_MAX_CORES ||
	    layout->class_count > SMPHEAP_MAX_CLASSES)
		return -1;
	{
		struct bml zero = {0};
		*b = zero;
	}
	bml_layout(layout, mem, b);
	b->cores = layout->cores;
	b->mem_end = (unsigned char *)mem + len;
	for (unsigned c = 0; c <= b->nmaps; c++) {
		struct bml_map *m = c < b->nmaps ? &b->maps[c] : &b->buf;

		/* the buffer map's base was aligned in bml_layout() only relative
		 * to mem; pages must be page aligned in absolute terms */
		if (m == &b->buf)
			m->base =
			    (unsigned char *)align_up((size_t)(uintptr_t)m->base, m->block_size);
		for (uint32_t i = 0; i < m->count; i++) {
			m->hdr[i].used = 0;
			m->hdr[i].run = 0;
		}
		m->free_count = m->count;
		m->first_free = 0;
		if (m != &b->buf)
			b->capacity[STRAT_RUNTIME] += (size_t)m->count * m->block_size;
	}
	b->capacity[STRAT_BUFFER] = (size_t)b->buf.count * b->buf.block_size;
	b->capacity[STRAT_SYS] = b->sys.capacity;
	bench_spin_init(&b->lock);
	s->name = "blockmap-lock";
	for (unsigned i = 0; i < sizeof(version) && i < sizeof(s->version); i++)
		s->version[i] = version[i];
	s->version[sizeof(s->version) - 1] = 0;
	s->ops = &bml_ops;
	s->impl = b;
	s->heap = NULL;
	s->floor = false;
	s->bounded = true;
	s->arena = b->capacity[STRAT_RUNTIME] + b->capacity[STRAT_BUFFER];
	s->max_runtime = b->nmaps ? b->maps[b->nmaps - 1].block_size : 0;
	s->cores = b->cores;
	return 0;
}
