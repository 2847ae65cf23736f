/* init.c - validating a layout, planning where everything goes, building a heap.
 *
 * One planner (plan()) serves both smpheap_size() and smpheap_init(), so the
 * size a caller is told and the memory init carves can never disagree.
 */
#include <errno.h>

#include "tcache.h"

#define MAX_BLOCK_SIZE (1u << 20)
#define MAX_BLOCK_COUNT (1u << 22)
#define MAX_SYS_SIZE ((size_t)1 << 30)
#define MAX_REGION_PAGES (1u << 24) /* a run's length fits its page table entry */
#define DEFAULT_SLAB_BYTES 8192u

/* Where smpheap_init() puts each part, as offsets from `mem`. */
struct plan {
	size_t off_sys;			   /* struct smph_sys[cores] */
	size_t off_core;		   /* struct smph_core[cores] */
	size_t off_tcache;		   /* struct smph_tcache[thread_slots] */
	bool cache_on;			   /* some class has cache_max > 0 (and there are slots) */
	size_t off_pt;			   /* uint32_t[pool_pages] */
	size_t off_pfree;		   /* words over pool_pages */
	size_t off_slabw;		   /* words[gwords] */
	size_t off_cached;		   /* words[granules] */
	size_t off_remote;		   /* words[granules] */
	size_t off_hint;		   /* bitmap2 words over granules, per class */
	size_t hint_words;		   /* per class */
	size_t off_bank_owner;		   /* uint16_t[banks] */
	size_t off_bank_off;		   /* atomic unsigned char[banks] */
	size_t off_size_class;		   /* uint8_t[(max_block >> 4) + 1] */
	size_t zones_off;		   /* first zone byte (bank aligned) */
	size_t sys_off[SMPHEAP_MAX_CORES]; /* system heap starts, from zones_off */
	size_t region_off[SMPHEAP_MAX_BUFFER_REGIONS];	  /* region starts, from zones_off */
	size_t zones_len;				  /* bytes from zones_off to the end */
	uint32_t pool_pages;				  /* pages from region 0 to the end */
	uint32_t granules;				  /* slab granules in the pool */
	unsigned gshift;				  /* log2(pages per granule) */
	unsigned grow_shift;				  /* smph_gidx()'s words, log2 */
	size_t gwords;					  /* words of slabw[], cached[], remote[] */
	uint32_t max_block;				  /* largest block */
	struct smph_class_geom geom[SMPHEAP_MAX_CLASSES]; /* class geometry */
};

static unsigned log2_of(size_t x)
{
	unsigned n = 0;

	while (((size_t)1 << n) < x)
		n++;
	return n;
}

static uint32_t region_zones(const struct smpheap_buffer_region *r)
{
	return r->zones ? r->zones : SMPHEAP_POOL_BUFFER;
}

int smpheap_layout_validate(const struct smpheap_layout *l, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!l)
		return *why = "layout is NULL", -EINVAL;
	if (l->cores < 1 || l->cores > SMPHEAP_MAX_CORES)
		return *why = "cores must be 1..SMPHEAP_MAX_CORES",
		       -EINVAL; /* 1024: the thread slots are 1024-aligned in the metadata, whose
				 * start is only bank aligned (issue 13, item 8). */
	if (!smph_is_pow2(l->bank_size) || l->bank_size < 1024)
		return *why = "bank_size must be a power of two >= 1024", -EINVAL;
	if (!smph_is_pow2(l->page_size) || l->page_size < SMPH_MIN_ALIGN ||
	    l->page_size > l->bank_size)
		return *why = "page_size must be a power of two in 16..bank_size", -EINVAL;
	for (unsigned c = 0; c < l->cores; c++)
		if (l->sys_size[c] > MAX_SYS_SIZE)
			return *why = "a system heap is larger than 1 GiB", -EINVAL;
	if (l->class_count > SMPHEAP_MAX_CLASSES)
		return *why = "class_count exceeds SMPHEAP_MAX_CLASSES", -EINVAL;
	for (unsigned k = 0; k < l->class_count; k++) {
		uint32_t bs = l->classes[k].block_size;
		uint32_t odd = bs >> __builtin_ctz(bs ? bs : 1);

		if (bs < SMPH_MIN_ALIGN || bs % SMPH_MIN_ALIGN || bs > MAX_BLOCK_SIZE)
			return *why = "block_size must be a multiple of 16, at most 1 MiB", -EINVAL;
		if (odd > 15)
			return *why = "block_size must be a*2^k with odd a <= 15", -EINVAL;
		if (l->classes[k].count > MAX_BLOCK_COUNT)
			return *why = "class count (legacy, unused) must be at most 4M", -EINVAL;
		if (k && bs <= l->classes[k - 1].block_size)
			return *why = "classes must be in ascending block_size", -EINVAL;
		/* The pool starts on a bank: blocks are naturally aligned only
		 * if the bank is at least as aligned. */
		if ((bs & -bs) > l->bank_size && l->bank_size < 4096)
			return *why = "bank_size must be at least the largest natural block "
				      "alignment (block_size's power of two, up to 4096)",
			       -EINVAL;
	}
	if (l->thread_slots > SMPHEAP_THREAD_SLOTS)
		return *why = "thread_slots exceeds SMPHEAP_THREAD_SLOTS", -EINVAL;
	if (l->buffer_region_count > SMPHEAP_MAX_BUFFER_REGIONS)
		return *why = "buffer_region_count exceeds SMPHEAP_MAX_BUFFER_REGIONS", -EINVAL;
	for (unsigned r = 0; r < l->buffer_region_count; r++) {
		if (l->buffer_regions[r].pages < 1 || l->buffer_regions[r].pages > MAX_REGION_PAGES)
			return *why = "a region must have 1..2^24 pages", -EINVAL;
		if (region_zones(&l->buffer_regions[r]) &
		    ~(SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER))
			return *why = "a region's zones must be SMPHEAP_POOL_* bits", -EINVAL;
	}
	if (l->slab_bytes > MAX_BLOCK_SIZE)
		return *why = "slab_bytes must be at most 1 MiB", -EINVAL;
	return 0;
}

static size_t words_bytes(size_t words)
{
	return words * sizeof(smph_word_t);
}

/* A slab of `pages` whole pages holds as many of g's blocks as they fit, up
 * to one word's worth. */
static void slab_pages(struct smph_class_geom *g, uint32_t pages, size_t page)
{
	uint64_t n = (uint64_t)pages * page / g->block_size;

	if (n > SMPH_SLAB_MAX_BLOCKS)
		n = SMPH_SLAB_MAX_BLOCKS;
	g->blocks = (uint32_t)n;
	g->pages = pages;
	g->span = (uint32_t)(n * g->block_size);
	g->live = (smph_word_t)1 << n;
	g->full = g->live - 1;
	g->all = g->live | g->full;
}

/* Whole granules, so that the next slab starts where this one ends (no page
 * left between them that only a one-page run could use): of the granule
 * multiples up to the first plan's length, the one whose blocks fill the
 * most of it (the longer on a tie: fewer cuts). */
static void fit_granules(struct smph_class_geom *g, uint32_t granule, size_t page)
{
	uint32_t most = (g->pages + granule - 1) & ~(granule - 1), best = most;
	uint64_t best_span = 0;

	for (uint32_t pages = granule; pages <= most; pages += granule) {
		uint64_t n = (uint64_t)pages * page / g->block_size, span;

		if (n > SMPH_SLAB_MAX_BLOCKS)
			n = SMPH_SLAB_MAX_BLOCKS;
		span = n * g->block_size;
		/* span / pages > best_span / best, in integers */
		if (n && (!best_span || span * best >= best_span * pages)) {
			best = pages;
			best_span = span;
		}
	}
	slab_pages(g, best, page);
}

/* Class k's slab geometry: blocks per slab (at most one word, less the LIVE
 * bit and the two marks), pages, alignment. */
static void plan_class(const struct smpheap_layout *l, unsigned k, struct smph_class_geom *g)
{
	uint32_t bs = l->classes[k].block_size;
	uint32_t shift = (uint32_t)__builtin_ctz(bs), odd = bs >> shift;
	size_t target = l->slab_bytes ? l->slab_bytes : DEFAULT_SLAB_BYTES;
	size_t page = l->page_size;
	uint64_t n = target / bs, pages;

	g->block_size = bs;
	g->shift = shift;
	g->magic = odd == 1 ? 0 : (uint32_t)(((uint32_t)1 << 16) / odd + 1);
	g->align = shift > 12 ? 4096u : 1u << shift;
	g->shift_mask = (1u << shift) - 1;
#ifdef SMPHEAP_NO_TCACHE
	g->cache_max = 0; /* built without the cache: pure path everywhere */
#else
	g->cache_max = l->thread_slots ? l->classes[k].cache_max : 0;
#endif
	if (n < 1)
		n = 1;
	if (n > SMPH_SLAB_MAX_BLOCKS)
		n = SMPH_SLAB_MAX_BLOCKS;
	pages = (n * bs + page - 1) / page;
	slab_pages(g, (uint32_t)pages, page);
	g->tag = SMPH_PT_SLAB_OF(k);
	g->align_pages = g->align > page ? (uint32_t)(g->align / page) : 1;
}

/* Plans the heap for a valid layout; 0, or -EOVERFLOW if it would not fit. */
static int plan(const struct smpheap_layout *l, struct plan *p)
{
	size_t bank = l->bank_size, off = 0, banks, page = l->page_size;
	uint32_t min_pages = UINT32_MAX;

	__builtin_memset(p, 0, sizeof(*p));
	for (unsigned k = 0; k < l->class_count; k++) {
		plan_class(l, k, &p->geom[k]);
		if (p->geom[k].cache_max)
			p->cache_on = true;
		if (p->geom[k].pages < min_pages)
			min_pages = p->geom[k].pages;
		p->max_block = p->geom[k].block_size;
	}
	/* Slabs start on granules (a power of two of pages no larger than
	 * the smallest slab), so a slab's word is indexed by a shift. */
	p->gshift = min_pages == UINT32_MAX ? 0 : log2_of(min_pages + 1) - 1;
	for (unsigned k = 0; k < l->class_count; k++) {
		struct smph_class_geom *g = &p->geom[k];
		uint32_t granule = 1u << p->gshift;

		if (g->align_pages < granule)
			g->align_pages = granule;
		fit_granules(g, granule, page);
	}

	/* Zones, relative to the first zone byte. */
	for (unsigned c = 0; c < l->cores; c++) {
		p->sys_off[c] = off;
		off += smph_align_up(smph_align_up(l->sys_size[c], SMPH_MIN_ALIGN), bank);
	}
	for (unsigned r = 0; r < l->buffer_region_count; r++) {
		p->region_off[r] = off;
		off += smph_align_up((size_t)l->buffer_regions[r].pages * page, bank);
	}
	p->zones_len = off;
	banks = off / bank;
	if (l->buffer_region_count) {
		size_t pages = (off - p->region_off[0]) / page;

		if (pages > UINT32_MAX / 2)
			return -EOVERFLOW;
		p->pool_pages = (uint32_t)pages;
	}
	p->granules = (p->pool_pages + (1u << p->gshift) - 1) >> p->gshift;
	/* The fast paths' tokens (alloc.c) hold a granule index (a limit
	 * only where pointers have 32 bits: 2^21 granules). */
#if (UINTPTR_MAX >> SMPH_TOKEN_GRANULE_SHIFT) < UINT32_MAX
	if (p->granules > (UINTPTR_MAX >> SMPH_TOKEN_GRANULE_SHIFT))
		return -EOVERFLOW;
#endif
	/* Granule words spread by smph_gidx(), one more for the empty word a
	 * core's current points at when it has none, at least a line of them. */
	p->grow_shift = log2_of((size_t)p->granules + 1 > SMPH_LINE_WORDS ? (size_t)p->granules + 1
									  : SMPH_LINE_WORDS);
	p->gwords = (size_t)1 << p->grow_shift;
	/* A slab start's page table entry holds its word's index. */
	if (p->gwords - 1 > SMPH_PT_MAX_DATA)
		return -EOVERFLOW;

	/* Metadata, from the start of mem. */
	off = smph_align_up(sizeof(struct smpheap), SMPH_CACHE_LINE);
	p->off_sys = off;
	off += sizeof(struct smph_sys) * l->cores;
	p->off_core = off = smph_align_up(off, _Alignof(struct smph_core));
	off += sizeof(struct smph_core) * l->cores;
	p->off_tcache = off = smph_align_up(off, _Alignof(struct smph_tcache));
	off += sizeof(struct smph_tcache) * l->thread_slots;
	p->off_pt = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += sizeof(uint32_t) * p->pool_pages;
	p->off_pfree = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += words_bytes(smph_words_for(p->pool_pages));
	p->off_slabw = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += words_bytes(p->gwords);
	p->off_cached = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += words_bytes(p->gwords);
	p->off_remote = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += words_bytes(p->gwords);
	p->hint_words = smph_bitmap2_words(p->granules ? p->granules : 1);
	p->off_hint = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += words_bytes(p->hint_words) * l->class_count;
	p->off_bank_owner = off = smph_align_up(off, sizeof(uint16_t));
	off += sizeof(uint16_t) * banks;
	p->off_bank_off = off;
	off += banks;
	p->off_size_class = off;
	off += (p->max_block >> 4) + 1;
	p->zones_off = smph_align_up(off, bank);
	if (p->zones_off + p->zones_len < p->zones_off)
		return -EOVERFLOW;
	return 0;
}

size_t smpheap_size(const struct smpheap_layout *layout)
{
	struct plan p;

	if (smpheap_layout_validate(layout, NULL) || plan(layout, &p))
		return 0;
	return p.zones_off + p.zones_len;
}

size_t smpheap_alignment(const struct smpheap_layout *layout)
{
	return smpheap_layout_validate(layout, NULL) ? 0 : layout->bank_size;
}

const struct smpheap_layout *smpheap_layout(const struct smpheap *h)
{
	return h && h->magic == SMPH_MAGIC ? h->layout : NULL;
}

/* Checks that the shift-and-multiply division maps every block start of a
 * slab of class `g` to its index (it is exact for these ranges, but a
 * layout is data: proving it here costs microseconds and makes free's
 * arithmetic trusted). */
static bool division_exact(const struct smph_class_geom *g)
{
	for (uint32_t i = 0; i < g->blocks; i++) {
		uint32_t q = (uint32_t)(((uint64_t)i * g->block_size) >> g->shift);
		uint32_t idx = g->magic ? smph_div_odd(q, g->magic) : q;

		if (idx != i)
			return false;
	}
	return true;
}

static void init_regions(struct smpheap *h, const struct smpheap_layout *l, const struct plan *p)
{
	h->region_count = l->buffer_region_count;
	for (unsigned r = 0; r < l->buffer_region_count; r++) {
		struct smph_region *rg = &h->regions[r];
		size_t span =
		    smph_align_up((size_t)l->buffer_regions[r].pages * l->page_size, l->bank_size);

		rg->base = h->zones_base + p->region_off[r];
		rg->first = (uint32_t)((rg->base - h->pool_base) >> h->page_shift);
		rg->pages = l->buffer_regions[r].pages;
		rg->caps = l->buffer_regions[r].caps;
		rg->zones = region_zones(&l->buffer_regions[r]);
		smph_bits_set_run(h->pfree, rg->first, rg->pages);
		if (rg->zones & SMPHEAP_POOL_BUFFER) {
			h->zone_caps[SMPHEAP_ZONE_BUFFER] |= rg->caps;
			if (((size_t)rg->pages << h->page_shift) > h->fast_max[SMPHEAP_ZONE_BUFFER])
				h->fast_max[SMPHEAP_ZONE_BUFFER] = (size_t)rg->pages
								   << h->page_shift;
		}
		if (rg->zones & SMPHEAP_POOL_RUNTIME)
			h->zone_caps[SMPHEAP_ZONE_RUNTIME] = l->runtime_caps;
		for (size_t b = p->region_off[r] >> h->bank_shift;
		     b < (p->region_off[r] + span) >> h->bank_shift; b++)
			h->bank_owner[b] = (uint16_t)(SMPH_OWNER_REGION | r);
#ifdef SMPHEAP_POISON
		smph_poison((void *)rg->base, (size_t)rg->pages << h->page_shift);
#endif
	}
	smph_pool_order(h);
}

struct smpheap *smpheap_init(void *mem, size_t len, const struct smpheap_layout *l)
{
	struct plan p;
	struct smpheap *h = mem;
	uintptr_t base = (uintptr_t)mem;
	bool runtime = false;

	if (!mem || smpheap_layout_validate(l, NULL) || plan(l, &p))
		return NULL;
	if (base & (l->bank_size - 1) || len < p.zones_off + p.zones_len)
		return NULL;
	for (unsigned k = 0; k < l->class_count; k++)
		if (!division_exact(&p.geom[k]))
			return NULL;

	/* The metadata must start zeroed; the zones need not be touched. */
	__builtin_memset(mem, 0, p.zones_off);
	h->cores = l->cores;
	/* One context per core (internal.h) holds for this heap only if no
	 * two of the platform's cores act as one of the layout's; else every
	 * context takes the paths that count with read-modify-writes. */
	h->fast_cores = l->cores;
#ifdef SMPHEAP_PLATFORM_ONE_CONTEXT_PER_CORE
	h->one_context = smph_platform_core_count() <= l->cores;
	if (!h->one_context)
		h->fast_cores = 0;
#endif
	h->layout = l;
	h->base = base;
	h->zones_base = base + p.zones_off;
	h->end = h->zones_base + p.zones_len;
	h->bank_shift = log2_of(l->bank_size);
	h->page_shift = log2_of(l->page_size);
	h->gshift = p.gshift;
	h->gmask = (uint32_t)(p.gwords - 1);
	h->banks = (uint32_t)(p.zones_len >> h->bank_shift);
	h->bank_owner = (uint16_t *)(base + p.off_bank_owner);
	h->bank_off = (SMPH_ATOMIC(unsigned char) *)(base + p.off_bank_off);
	h->sys = (struct smph_sys *)(base + p.off_sys);
	h->core = (struct smph_core *)(base + p.off_core);
	h->tcache = (struct smph_tcache *)(base + p.off_tcache);
	h->cache_on = p.cache_on;
	h->pool_base = h->zones_base + p.region_off[0];
	h->pool_pages = p.pool_pages;
	h->pool_bytes = (uintptr_t)p.pool_pages << h->page_shift;
	h->granules = p.granules;
	h->pt = (SMPH_ATOMIC(uint32_t) *)(base + p.off_pt);
	h->pfree = (smph_aword_t *)(base + p.off_pfree);
	h->slabw = (smph_aword_t *)(base + p.off_slabw);
	h->cached = (smph_aword_t *)(base + p.off_cached);
	h->remote = (smph_aword_t *)(base + p.off_remote);
	h->size_class = (uint8_t *)(base + p.off_size_class);
	h->class_count = l->class_count;
	h->max_block = l->class_count ? p.max_block : 0;
	h->quota[SMPHEAP_ZONE_RUNTIME] = l->runtime_quota;
	h->quota[SMPHEAP_ZONE_BUFFER] = l->buffer_quota;
	__builtin_memcpy(h->geom, p.geom, sizeof(h->geom));
	for (unsigned k = 0; k < l->class_count; k++)
		smph_bitmap2_init_empty(&h->hint[k],
					(smph_aword_t *)(base + p.off_hint) + k * p.hint_words,
					p.granules ? p.granules : 1);
	h->zone_caps[SMPHEAP_ZONE_SYS] = l->sys_caps;
	/* smpheap_alloc() takes its short paths for SYS up to the largest
	 * heap, RUNTIME up to the largest block and BUFFER up to the largest
	 * region (set below); anything out of range goes through the general
	 * path (fast_max 0 sends every size). */
	for (unsigned c = 0; c < l->cores; c++)
		if (l->sys_size[c] > h->fast_max[SMPHEAP_ZONE_SYS])
			h->fast_max[SMPHEAP_ZONE_SYS] = l->sys_size[c];

	for (unsigned c = 0; c < l->cores; c++) {
		uintptr_t s = h->zones_base + p.sys_off[c];
		size_t len_c =
		    smph_align_up(smph_align_up(l->sys_size[c], SMPH_MIN_ALIGN), l->bank_size);

		h->sys[c].base = s;
		h->sys[c].size = l->sys_size[c];
		atomic_init(&h->sys[c].state, 0);
		atomic_init(&h->core[c].online, 1);
		for (unsigned k = 0; k < SMPHEAP_MAX_CLASSES; k++)
			atomic_init(&h->core[c].cur[k], p.granules << p.gshift);
		for (size_t b = p.sys_off[c] >> h->bank_shift;
		     b < (p.sys_off[c] + len_c) >> h->bank_shift; b++)
			h->bank_owner[b] = (uint16_t)(SMPH_OWNER_CORE | c);
	}
	init_regions(h, l, &p);
	for (unsigned r = 0; r < h->region_count; r++)
		runtime |= (h->regions[r].zones & SMPHEAP_POOL_RUNTIME) != 0;
	if (!runtime)
		h->zone_caps[SMPHEAP_ZONE_RUNTIME] = 0;
	h->fast_max[SMPHEAP_ZONE_RUNTIME] = h->max_block;
	/* size_class[(size + 15) >> 4] = smallest class that holds size. */
	for (uint32_t s = 0, k = 0; s <= h->max_block >> 4; s++) {
		while (k < h->class_count && h->geom[k].block_size < s << 4)
			k++;
		h->size_class[s] = (uint8_t)k;
	}
	for (unsigned t = 0; t < l->thread_slots; t++) {
		atomic_init(&h->tcache[t].core, SMPH_NO_CORE);
		for (unsigned k = 0; k < SMPHEAP_MAX_CLASSES; k++) {
			h->tcache[t].cls[k].leaf = SMPH_NO_BIT;
			h->tcache[t].cls[k].base = h->end;
			h->tcache[t].cls[k].geom = &h->geom[k];
		}
		h->tcache[t].last = &h->tcache[t].cls[0];
	}
	h->magic = SMPH_MAGIC; /* The slot count before the heap is listed where exiting threads
				* look (the listing's release store publishes it); unlisted, no
				* thread can see it, so it can still be taken back. */
	h->tcache_slots = l->thread_slots;
	if (!l->thread_slots || !smph_registry_add(h)) {
		h->tcache_slots = 0;
		h->cache_on = false;
	}
	/* Release: a heap handed to other threads after init (through any
	 * synchronising hand-off) is seen whole. */
	atomic_thread_fence(memory_order_release);
	return h;
}
