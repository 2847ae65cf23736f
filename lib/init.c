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
#define MAX_REGION_PAGES (1u << 30)

/* Where smpheap_init() puts each part, as offsets from `mem`. */
struct plan {
	size_t off_sys;		/* struct smph_sys[cores] */
	size_t off_group_end;	/* uintptr_t[cores] */
	size_t off_shards;	/* struct smph_shard[cores] */
	size_t off_counters;	/* struct smph_counters[3 * cores] */
	size_t off_tcache;	/* struct smph_tcache[thread_slots] */
	bool cache_on;		/* some class has cache_max > 0 (and there are slots) */
	size_t off_shard_bits;	/* bitmap words of every shard */
	size_t shard_bit_words; /* words per shard (cache-line padded) */
	size_t off_region_bits[SMPHEAP_MAX_BUFFER_REGIONS]; /* free, start, end maps */
	size_t off_bank_owner;				    /* uint16_t[banks] */
	size_t off_bank_off;				    /* uint8_t[banks] */
	size_t off_size_class;				    /* uint8_t[(max_block >> 4) + 1] */
	size_t off_granule_class;			    /* uint8_t[(shard_bytes >> 8) + 1] */
	size_t zones_off;				    /* first zone byte (bank aligned) */
	size_t group_off[SMPHEAP_MAX_CORES];		    /* core group starts, from zones_off */
	size_t group_len[SMPHEAP_MAX_CORES];		    /* core group lengths (whole banks) */
	size_t shard_off[SMPHEAP_MAX_CORES]; /* shard start within each group, after sys */
	size_t region_off[SMPHEAP_MAX_BUFFER_REGIONS];	  /* region starts, from zones_off */
	size_t zones_len;				  /* bytes from zones_off to the end */
	uint32_t shard_bytes;				  /* blocks of one shard */
	uint32_t max_block;				  /* largest block */
	uint32_t max_align;				  /* largest class alignment */
	struct smph_class_geom geom[SMPHEAP_MAX_CLASSES]; /* class geometry */
};

static unsigned log2_of(size_t x)
{
	unsigned n = 0;

	while (((size_t)1 << n) < x)
		n++;
	return n;
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
		return *why = "cores must be 1..SMPHEAP_MAX_CORES", -EINVAL;
	/* 1024: the shard and slot structs are 1024-aligned in the metadata,
	 * whose start is only bank aligned (issue 13, item 8). */
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
		if (l->classes[k].count < 1 || l->classes[k].count > MAX_BLOCK_COUNT)
			return *why = "class count must be 1..4M", -EINVAL;
		if (k && bs <= l->classes[k - 1].block_size)
			return *why = "classes must be in ascending block_size", -EINVAL;
		/* A core group starts on a bank: blocks are naturally aligned
		 * only if the bank is at least as aligned. */
		if ((bs & -bs) > l->bank_size && l->bank_size < 4096)
			return *why = "bank_size must be at least the largest natural block "
				      "alignment (block_size's power of two, up to 4096)",
			       -EINVAL;
	}
	if (l->thread_slots > SMPHEAP_THREAD_SLOTS)
		return *why = "thread_slots exceeds SMPHEAP_THREAD_SLOTS", -EINVAL;
	if (l->buffer_region_count > SMPHEAP_MAX_BUFFER_REGIONS)
		return *why = "buffer_region_count exceeds SMPHEAP_MAX_BUFFER_REGIONS", -EINVAL;
	for (unsigned r = 0; r < l->buffer_region_count; r++)
		if (l->buffer_regions[r].pages < 1 || l->buffer_regions[r].pages > MAX_REGION_PAGES)
			return *why = "a buffer region must have 1..2^30 pages", -EINVAL;
	return 0;
}

static size_t words_bytes(size_t words)
{
	return words * sizeof(smph_word_t);
}

/* Plans the heap for a valid layout; 0, or -EOVERFLOW if it would not fit a
 * size_t or a 32-bit shard. */
static int plan(const struct smpheap_layout *l, struct plan *p)
{
	size_t bank = l->bank_size, off = 0, bits_words = 0, banks;
	uint64_t shard = 0;

	__builtin_memset(p, 0, sizeof(*p));
	p->max_align = SMPH_MIN_ALIGN;
	for (unsigned k = 0; k < l->class_count; k++) {
		struct smph_class_geom *g = &p->geom[k];
		uint32_t bs = l->classes[k].block_size;
		uint32_t shift = (uint32_t)__builtin_ctz(bs), odd = bs >> shift;
		uint64_t granule;

		g->block_size = bs;
		g->count = l->classes[k].count;
		g->shift = shift;
		g->magic = odd == 1 ? 0 : (uint32_t)(((uint64_t)1 << 32) / odd + 1);
		g->align = shift > 12 ? 4096u : 1u << shift;
#ifdef SMPHEAP_NO_TCACHE
		g->cache_max = 0; /* built without the cache: pure path everywhere */
#else
		g->cache_max = l->thread_slots ? l->classes[k].cache_max : 0;
#endif
		if (g->cache_max)
			p->cache_on = true;
		/* Class areas start on granules, so free finds a block's
		 * class with one table lookup. */
		granule =
		    g->align > (1u << SMPH_GRANULE_SHIFT) ? g->align : (1u << SMPH_GRANULE_SHIFT);
		shard = (shard + granule - 1) & ~(uint64_t)(granule - 1);
		if (shard > UINT32_MAX)
			return -EOVERFLOW;
		g->offset = (uint32_t)shard;
		shard += (uint64_t)bs * g->count;
		g->bytes = (uint32_t)((uint64_t)bs * g->count); /* checked with the shard below */
		if (g->align > p->max_align)
			p->max_align = g->align;
		bits_words += smph_bitmap2_words(g->count);
		/* cached[] and remote[] (a word per leaf each) and holder (a
		 * bit per leaf). */
		bits_words +=
		    2 * smph_words_for(g->count) + smph_words_for(smph_words_for(g->count));
		p->max_block = bs;
	}
	if (shard > UINT32_MAX)
		return -EOVERFLOW;
	p->shard_bytes = (uint32_t)shard;

	/* Zones, relative to the first zone byte. */
	for (unsigned c = 0; c < l->cores; c++) {
		size_t sys = smph_align_up(l->sys_size[c], SMPH_MIN_ALIGN);
		size_t len = smph_align_up(smph_align_up(sys, p->max_align) + p->shard_bytes, bank);

		p->group_off[c] = off;
		p->shard_off[c] = smph_align_up(sys, p->max_align);
		p->group_len[c] = len;
		off += len;
	}
	for (unsigned r = 0; r < l->buffer_region_count; r++) {
		p->region_off[r] = off;
		off += smph_align_up((size_t)l->buffer_regions[r].pages * l->page_size, bank);
	}
	p->zones_len = off;
	banks = off / bank;

	/* Metadata, from the start of mem. */
	off = smph_align_up(sizeof(struct smpheap), SMPH_CACHE_LINE);
	p->off_sys = off;
	off += sizeof(struct smph_sys) * l->cores;
	p->off_group_end = off = smph_align_up(off, sizeof(uintptr_t));
	off += sizeof(uintptr_t) * l->cores;
	p->off_shards = off = smph_align_up(off, _Alignof(struct smph_shard));
	off += sizeof(struct smph_shard) * l->cores;
	p->off_tcache = off = smph_align_up(off, _Alignof(struct smph_tcache));
	off += sizeof(struct smph_tcache) * l->thread_slots;
	p->off_counters = off = smph_align_up(off, SMPH_CACHE_LINE);
	off += sizeof(struct smph_counters) * SMPHEAP_ZONE_COUNT * l->cores;
	p->off_shard_bits = off = smph_align_up(off, SMPH_CACHE_LINE);
	/* Each shard's bitmaps on their own cache lines: shards are written
	 * by different cores. */
	p->shard_bit_words =
	    smph_align_up(words_bytes(bits_words), SMPH_CACHE_LINE) / sizeof(smph_word_t);
	off += words_bytes(p->shard_bit_words) * l->cores;
	for (unsigned r = 0; r < l->buffer_region_count; r++) {
		p->off_region_bits[r] = off = smph_align_up(off, SMPH_CACHE_LINE);
		off += 3 * words_bytes(smph_words_for(l->buffer_regions[r].pages));
	}
	p->off_bank_owner = off = smph_align_up(off, sizeof(uint16_t));
	off += sizeof(uint16_t) * banks;
	p->off_bank_off = off;
	off += banks;
	p->off_size_class = off;
	off += (p->max_block >> 4) + 1;
	p->off_granule_class = off;
	off += (p->shard_bytes >> SMPH_GRANULE_SHIFT) + 1;
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

/* Checks that the shift-and-multiply division maps every block start of
 * class `g` to its index (it is exact for these ranges, but a layout is data:
 * proving it here costs microseconds and makes free's arithmetic trusted). */
static bool division_exact(const struct smph_class_geom *g)
{
	for (uint32_t i = 0; i < g->count; i++) {
		uint32_t q = (uint32_t)(((uint64_t)i * g->block_size) >> g->shift);
		uint32_t idx = g->magic ? (uint32_t)(((uint64_t)q * g->magic) >> 32) : q;

		if (idx != i)
			return false;
	}
	return true;
}

struct smpheap *smpheap_init(void *mem, size_t len, const struct smpheap_layout *l)
{
	struct plan p;
	struct smpheap *h = mem;
	uintptr_t base = (uintptr_t)mem;

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
	h->layout = l;
	h->base = base;
	h->zones_base = base + p.zones_off;
	h->end = h->zones_base + p.zones_len;
	h->bank_shift = log2_of(l->bank_size);
	h->page_shift = log2_of(l->page_size);
	h->banks = (uint32_t)(p.zones_len >> h->bank_shift);
	h->bank_owner = (uint16_t *)(base + p.off_bank_owner);
	h->bank_off = (uint8_t *)(base + p.off_bank_off);
	h->sys = (struct smph_sys *)(base + p.off_sys);
	h->group_end = (uintptr_t *)(base + p.off_group_end);
	h->shards = (struct smph_shard *)(base + p.off_shards);
	h->counters = (struct smph_counters *)(base + p.off_counters);
	h->tcache = (struct smph_tcache *)(base + p.off_tcache);
	h->cache_on = p.cache_on;
	h->size_class = (uint8_t *)(base + p.off_size_class);
	h->granule_class = (uint8_t *)(base + p.off_granule_class);
	h->class_count = l->class_count;
	h->shard_bytes = p.shard_bytes;
	h->max_block = l->class_count ? p.max_block : 0;
	__builtin_memcpy(h->geom, p.geom, sizeof(h->geom));
	h->zone_caps[SMPHEAP_ZONE_SYS] = l->sys_caps;
	h->zone_caps[SMPHEAP_ZONE_RUNTIME] = l->runtime_caps;
	/* smpheap_alloc() takes its short paths for SYS up to the largest
	 * heap, RUNTIME up to the largest block and BUFFER up to the largest
	 * region (set below); anything out of range goes through the general
	 * path (fast_max 0 sends every size). */
	for (unsigned c = 0; c < l->cores; c++)
		if (l->sys_size[c] > h->fast_max[SMPHEAP_ZONE_SYS])
			h->fast_max[SMPHEAP_ZONE_SYS] = l->sys_size[c];
	h->fast_max[SMPHEAP_ZONE_RUNTIME] = h->max_block;

	for (unsigned c = 0; c < l->cores; c++) {
		uintptr_t g = h->zones_base + p.group_off[c];
		smph_aword_t *bits =
		    (smph_aword_t *)(base + p.off_shard_bits) + (size_t)c * p.shard_bit_words;

		h->sys[c].base = g;
		h->sys[c].size = l->sys_size[c];
		atomic_init(&h->sys[c].state, 0);
		h->group_end[c] = g + p.group_len[c];
		h->shards[c].base = g + p.shard_off[c];
		for (unsigned k = 0; k < l->class_count; k++) {
			uint32_t leaves = smph_words_for(p.geom[k].count);

			smph_bitmap2_init(&h->shards[c].bm[k], bits, p.geom[k].count);
			bits += smph_bitmap2_words(p.geom[k].count);
			h->shards[c].cached[k] = bits; /* zeroed with the metadata */
			bits += leaves;
			h->shards[c].remote[k] = bits;
			bits += leaves;
			h->shards[c].holder[k] = bits;
			bits += smph_words_for(leaves);
		}
		atomic_init(&h->shards[c].online, 1);
		for (size_t b = p.group_off[c] >> h->bank_shift;
		     b < (p.group_off[c] + p.group_len[c]) >> h->bank_shift; b++)
			h->bank_owner[b] = (uint16_t)(SMPH_OWNER_CORE | c);
	}
	h->region_count = l->buffer_region_count;
	for (unsigned r = 0; r < l->buffer_region_count; r++) {
		struct smph_region *rg = &h->regions[r];
		uint32_t words = smph_words_for(l->buffer_regions[r].pages);
		size_t span =
		    smph_align_up((size_t)l->buffer_regions[r].pages * l->page_size, l->bank_size);

		rg->base = h->zones_base + p.region_off[r];
		rg->pages = l->buffer_regions[r].pages;
		rg->caps = l->buffer_regions[r].caps;
		rg->free = (smph_aword_t *)(base + p.off_region_bits[r]);
		rg->start = rg->free + words;
		rg->end = rg->start + words;
		smph_bits_set_run(rg->free, 0, rg->pages);
		h->zone_caps[SMPHEAP_ZONE_BUFFER] |= rg->caps;
		if (((size_t)rg->pages << h->page_shift) > h->fast_max[SMPHEAP_ZONE_BUFFER])
			h->fast_max[SMPHEAP_ZONE_BUFFER] = (size_t)rg->pages << h->page_shift;
		for (size_t b = p.region_off[r] >> h->bank_shift;
		     b < (p.region_off[r] + span) >> h->bank_shift; b++)
			h->bank_owner[b] = (uint16_t)(SMPH_OWNER_REGION | r);
	}
	/* size_class[(size + 15) >> 4] = smallest class that holds size. */
	for (uint32_t s = 0, k = 0; s <= h->max_block >> 4; s++) {
		while (k < h->class_count && h->geom[k].block_size < s << 4)
			k++;
		h->size_class[s] = (uint8_t)k;
	}
	for (unsigned k = 0; k < h->class_count; k++)
		for (uint32_t g = h->geom[k].offset >> SMPH_GRANULE_SHIFT;
		     g <= (p.shard_bytes >> SMPH_GRANULE_SHIFT); g++)
			h->granule_class[g] = (uint8_t)k;
#ifdef SMPHEAP_POISON
	for (unsigned c = 0; c < l->cores; c++)
		smph_poison((void *)h->shards[c].base, h->shard_bytes);
	for (unsigned r = 0; r < h->region_count; r++)
		smph_poison((void *)h->regions[r].base,
			    (size_t)h->regions[r].pages << h->page_shift);
#endif
	for (unsigned t = 0; t < l->thread_slots; t++) {
		atomic_init(&h->tcache[t].core, SMPH_NO_CORE);
		for (unsigned k = 0; k < SMPHEAP_MAX_CLASSES; k++) {
			h->tcache[t].cls[k].leaf = SMPH_NO_BIT;
			h->tcache[t].cls[k].base = h->end;
			h->tcache[t].cls[k].geom = &h->geom[k];
		}
		h->tcache[t].last = &h->tcache[t].cls[0];
	}
	h->magic = SMPH_MAGIC;
	/* The slot count before the heap is listed where exiting threads look
	 * (the listing's release store publishes it); unlisted, no thread
	 * can see it, so it can still be taken back. */
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
