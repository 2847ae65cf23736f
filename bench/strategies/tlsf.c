/* tlsf.c - Two-Level Segregated Fit (see tlsf.h), written here from the
 * ECRTS 2004 paper's description.
 *
 * A block, at address b:
 *
 *   b + 0    prev_phys   the previous physical block, valid only when that
 *                        block is free (PREV_FREE set); these bytes are the
 *                        last word of the previous block's payload
 *   b + W    size        payload bytes | FREE | PREV_FREE    (the header)
 *   b + 2W   payload     size bytes; while free it starts with the free
 *                        list links and ends with the next block's
 *                        prev_phys
 *
 * (W = TLSF_ALIGN, the word), so the next physical block is at b + W + size
 * and a used block costs one word. The pool ends with a sentinel block of
 * size 0, always used, so that every real block has a right neighbour. */
#include "tlsf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define W TLSF_ALIGN
#if UINTPTR_MAX > 0xffffffffu
#define ALIGN_LOG2 3
#define FL_MAX 32 /* blocks below 2^FL_MAX bytes */
#else
#define ALIGN_LOG2 2
#define FL_MAX 30
#endif
#define SL_LOG2 5 /* 32 second-level lists per first level */
#define SL_COUNT (1u << SL_LOG2)
/* Below 2^FL_SHIFT the lists are linear, one ALIGN step each (first level 0). */
#define FL_SHIFT (SL_LOG2 + ALIGN_LOG2)
#define SMALL_BLOCK ((size_t)1 << FL_SHIFT)
#define FL_COUNT (FL_MAX - FL_SHIFT + 1)

#define BLOCK_FREE ((size_t)1)
#define BLOCK_PREV_FREE ((size_t)2)
#define BLOCK_BITS (BLOCK_FREE | BLOCK_PREV_FREE)

struct tlsf_block {
	struct tlsf_block *prev_phys; /* valid only when PREV_FREE is set */
	size_t size;		      /* payload bytes | FREE | PREV_FREE */
	/* payload; these two only while the block is free */
	struct tlsf_block *next_free;
	struct tlsf_block *prev_free;
};

/* The smallest payload: the two free-list links plus the word the next
 * block's prev_phys takes at its end. */
#define MIN_BLOCK (3 * W)

struct tlsf {
	uint32_t fl_bitmap;	      /* bit f: sl_bitmap[f] != 0 */
	uint32_t sl_bitmap[FL_COUNT]; /* bit s: lists[f][s] non-empty */
	struct tlsf_block *lists[FL_COUNT][SL_COUNT];
	struct tlsf_block *first;    /* the first physical block */
	struct tlsf_block *sentinel; /* the last: size 0, used */
	size_t used;		     /* payload bytes of the live blocks */
};

_Static_assert(sizeof(size_t) == sizeof(void *), "the word is both a size and a pointer");
_Static_assert(offsetof(struct tlsf_block, size) == W, "header one word after prev_phys");
_Static_assert(offsetof(struct tlsf_block, next_free) == 2 * W, "payload after the header");

static size_t block_size(const struct tlsf_block *b)
{
	return b->size & ~BLOCK_BITS;
}

static bool block_is_free(const struct tlsf_block *b)
{
	return b->size & BLOCK_FREE;
}

static bool block_prev_is_free(const struct tlsf_block *b)
{
	return b->size & BLOCK_PREV_FREE;
}

static void block_set_size(struct tlsf_block *b, size_t size)
{
	b->size = size | (b->size & BLOCK_BITS);
}

static struct tlsf_block *block_next(const struct tlsf_block *b)
{
	return (struct tlsf_block *)((unsigned char *)b + W + block_size(b));
}

static void *block_payload(struct tlsf_block *b)
{
	return (unsigned char *)b + 2 * W;
}

static struct tlsf_block *block_of(const void *p)
{
	return (struct tlsf_block *)((uintptr_t)p - 2 * W);
}

/* Bits of the first-level bitmap past the last first level. */
static bool fl_bits_beyond(const struct tlsf *h)
{
	return FL_COUNT < 32 && (h->fl_bitmap >> FL_COUNT);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static unsigned fls32(uint32_t v)
{
	return 31u - (unsigned)__builtin_clz(v);
}

/* The list a free block of `size` bytes (< 2^FL_MAX) belongs to. */
static inline void mapping_insert(size_t size, unsigned *fl, unsigned *sl)
{
	if (size < SMALL_BLOCK) {
		*fl = 0;
		*sl = (unsigned)(size >> ALIGN_LOG2);
	} else {
		unsigned f = fls32((uint32_t)size);

		*sl = (unsigned)(size >> (f - SL_LOG2)) ^ SL_COUNT;
		*fl = f - (FL_SHIFT - 1);
	}
}

/* The first list whose every block holds `size` bytes: the request rounded
 * up to the next list boundary (good fit). */
static inline void mapping_search(size_t size, unsigned *fl, unsigned *sl)
{
	if (size >= SMALL_BLOCK)
		size += ((size_t)1 << (fls32((uint32_t)size) - SL_LOG2)) - 1;
	mapping_insert(size, fl, sl);
}

/* The smallest size a list holds (its lower bound). */
static size_t list_floor(unsigned fl, unsigned sl)
{
	if (fl == 0)
		return (size_t)sl << ALIGN_LOG2;
	return ((size_t)1 << (fl + FL_SHIFT - 1)) + ((size_t)sl << (fl + FL_SHIFT - 1 - SL_LOG2));
}

static inline void list_insert(struct tlsf *h, struct tlsf_block *b)
{
	unsigned fl, sl;
	struct tlsf_block *head;

	mapping_insert(block_size(b), &fl, &sl);
	head = h->lists[fl][sl];
	b->next_free = head;
	b->prev_free = NULL;
	if (head)
		head->prev_free = b;
	h->lists[fl][sl] = b;
	h->fl_bitmap |= 1u << fl;
	h->sl_bitmap[fl] |= 1u << sl;
}

static inline void list_remove(struct tlsf *h, struct tlsf_block *b)
{
	unsigned fl, sl;

	mapping_insert(block_size(b), &fl, &sl);
	if (b->next_free)
		b->next_free->prev_free = b->prev_free;
	if (b->prev_free) {
		b->prev_free->next_free = b->next_free;
		return;
	}
	h->lists[fl][sl] = b->next_free;
	if (!b->next_free) {
		h->sl_bitmap[fl] &= ~(1u << sl);
		if (!h->sl_bitmap[fl])
			h->fl_bitmap &= ~(1u << fl);
	}
}

/* The head of the first non-empty list at or above (fl, sl), or NULL. */
static inline struct tlsf_block *find_suitable(struct tlsf *h, unsigned fl, unsigned sl)
{
	uint32_t sl_map, fl_map;

	if (fl >= FL_COUNT)
		return NULL;
	sl_map = h->sl_bitmap[fl] & (~0u << sl);
	if (!sl_map) {
		fl_map = fl + 1 < 32 ? h->fl_bitmap & (~0u << (fl + 1)) : 0;
		if (!fl_map)
			return NULL;
		fl = (unsigned)__builtin_ctz(fl_map);
		sl_map = h->sl_bitmap[fl];
	}
	return h->lists[fl][__builtin_ctz(sl_map)];
}

/* Marks b free towards its right neighbour (the neighbour's PREV_FREE bit
 * and back pointer). */
static inline void link_free_to_next(struct tlsf_block *b)
{
	struct tlsf_block *next = block_next(b);

	b->size |= BLOCK_FREE;
	next->prev_phys = b;
	next->size |= BLOCK_PREV_FREE;
}

static inline void mark_used(struct tlsf_block *b)
{
	b->size &= ~BLOCK_FREE;
	block_next(b)->size &= ~BLOCK_PREV_FREE;
}

/* b (not on a list) absorbs its free right neighbour. */
static inline void absorb_next(struct tlsf *h, struct tlsf_block *b)
{
	struct tlsf_block *next = block_next(b);

	list_remove(h, next);
	block_set_size(b, block_size(b) + W + block_size(next));
}

/* A free block b (off the lists, PREV_FREE/next already set for it being
 * free) coalesced with free neighbours and listed. */
static inline void release(struct tlsf *h, struct tlsf_block *b)
{
	if (block_prev_is_free(b)) {
		struct tlsf_block *prev = b->prev_phys;

		list_remove(h, prev);
		block_set_size(prev, block_size(prev) + W + block_size(b));
		b = prev;
	}
	if (block_is_free(block_next(b)))
		absorb_next(h, b);
	link_free_to_next(b);
	list_insert(h, b);
}

/* Used block b keeps `size` bytes; a tail big enough to be a block goes
 * back to the free lists (merged with a free right neighbour). */
static inline void trim_used(struct tlsf *h, struct tlsf_block *b, size_t size)
{
	struct tlsf_block *rest;

	if (block_size(b) < size + W + MIN_BLOCK)
		return;
	rest = (struct tlsf_block *)((unsigned char *)b + W + size);
	rest->size = (block_size(b) - size - W); /* prev (b) used: no PREV_FREE */
	block_set_size(b, size);
	if (block_is_free(block_next(rest)))
		absorb_next(h, rest);
	link_free_to_next(rest);
	list_insert(h, rest);
}

/* A request's block size: aligned, at least the minimum; 0 if out of range. */
static inline size_t adjust_request(size_t size)
{
	if (size == 0 || size > TLSF_MAX_REQUEST)
		return 0;
	size = align_up(size, W);
	return size < MIN_BLOCK ? MIN_BLOCK : size;
}

/* Takes a free block of at least `size` (adjusted) off the lists, or NULL. */
static inline struct tlsf_block *take_free(struct tlsf *h, size_t size)
{
	unsigned fl, sl;
	struct tlsf_block *b;

	mapping_search(size, &fl, &sl);
	b = find_suitable(h, fl, sl);
	if (b)
		list_remove(h, b);
	return b;
}

static inline void *hand_out(struct tlsf *h, struct tlsf_block *b, size_t size)
{
	mark_used(b);
	trim_used(h, b, size);
	h->used += block_size(b);
	return block_payload(b);
}

size_t tlsf_overhead(void)
{
	return sizeof(struct tlsf) + 3 * W + 2 * W;
}

struct tlsf *tlsf_create(void *mem, size_t len)
{
	uintptr_t start = (uintptr_t)mem, end, pool;
	struct tlsf *h;
	struct tlsf_block *b;
	size_t size;

	if (!mem || len > UINTPTR_MAX - start)
		return NULL;
	end = (start + len) & ~(uintptr_t)(W - 1);
	start = align_up(start, _Alignof(struct tlsf));
	pool = align_up(start + sizeof(struct tlsf), W);
	/* first block at pool, sentinel header (2 words) before end */
	if (end < pool || end - pool < 3 * W + MIN_BLOCK + 2 * W)
		return NULL;
	size = (end - pool - 3 * W) & ~(size_t)(W - 1);
	if (size > TLSF_MAX_BLOCK)
		size = TLSF_MAX_BLOCK;
	h = (struct tlsf *)start;
	memset(h, 0, sizeof(*h));
	b = (struct tlsf_block *)pool;
	b->size = size; /* no left neighbour: PREV_FREE stays clear */
	h->first = b;
	h->sentinel = block_next(b);
	h->sentinel->size = 0; /* used, size 0 */
	link_free_to_next(b);
	list_insert(h, b);
	return h;
}

void *tlsf_alloc(struct tlsf *h, size_t size)
{
	struct tlsf_block *b;

	size = adjust_request(size);
	if (!size)
		return NULL;
	b = take_free(h, size);
	return b ? hand_out(h, b, size) : NULL;
}

void *tlsf_alloc_aligned(struct tlsf *h, size_t align, size_t size)
{
	struct tlsf_block *b;
	uintptr_t payload, aligned;
	size_t gap;

	if (align == 0 || (align & (align - 1)) || align > TLSF_MAX_REQUEST / 4)
		return NULL;
	if (align <= W)
		return tlsf_alloc(h, size);
	size = adjust_request(size);
	/* room for the worst gap: up to align - W, plus a free block before */
	if (!size || size > TLSF_MAX_REQUEST - align - (W + MIN_BLOCK))
		return NULL;
	b = take_free(h, size + align + W + MIN_BLOCK);
	if (!b)
		return NULL;
	payload = (uintptr_t)block_payload(b);
	aligned = align_up(payload, align);
	/* a gap must hold a free block (header + minimum payload) */
	if (aligned != payload && aligned - payload < W + MIN_BLOCK)
		aligned = align_up(payload + W + MIN_BLOCK, align);
	gap = aligned - payload;
	if (gap) {
		struct tlsf_block *lead = b;

		b = (struct tlsf_block *)((unsigned char *)lead + gap);
		b->size = block_size(lead) - gap;
		block_set_size(lead, gap - W);
		/* lead stays free (its left neighbour is used: it was free) */
		link_free_to_next(lead);
		list_insert(h, lead);
	}
	return hand_out(h, b, size);
}

/* b, with its FREE bit set, is a block that was freed: still a free block
 * (its right neighbour points back to it) or coalesced into the free block
 * on its left (which ends where b did). */
static inline bool freed_block(const struct tlsf *h, const struct tlsf_block *b)
{
	const struct tlsf_block *next, *owner;
	size_t size = block_size(b);

	if (size < MIN_BLOCK || size > (uintptr_t)h->sentinel - (uintptr_t)b - W)
		return false;
	next = block_next(b);
	owner = next->prev_phys;
	return block_prev_is_free(next) && (uintptr_t)owner >= (uintptr_t)h->first &&
	       (uintptr_t)owner <= (uintptr_t)b && !((uintptr_t)owner & (W - 1)) &&
	       block_is_free(owner) && block_next(owner) == next;
}

/* The live block p names, or NULL with *err set to why not. */
static inline struct tlsf_block *live_block(const struct tlsf *h, const void *p, int *err)
{
	uintptr_t a = (uintptr_t)p;
	struct tlsf_block *b, *next;
	size_t size;

	*err = -EINVAL;
	if (!p || a < (uintptr_t)block_payload(h->first) || a >= (uintptr_t)h->sentinel ||
	    (a & (W - 1)))
		return NULL;
	b = block_of(p);
	size = block_size(b);
	if (block_is_free(b)) {
		if (freed_block(h, b))
			*err = -EALREADY;
		return NULL;
	}
	if (size < MIN_BLOCK || size > (uintptr_t)h->sentinel - (uintptr_t)b - W)
		return NULL;
	next = block_next(b);
	if (block_prev_is_free(next))
		return NULL;
	if (block_prev_is_free(b)) {
		const struct tlsf_block *prev = b->prev_phys;

		if ((uintptr_t)prev < (uintptr_t)h->first || (uintptr_t)prev >= (uintptr_t)b ||
		    ((uintptr_t)prev & (W - 1)) || !block_is_free(prev) || block_next(prev) != b)
			return NULL;
	} else if (b == h->first ? false : (uintptr_t)b < (uintptr_t)h->first + W + MIN_BLOCK) {
		return NULL;
	}
	*err = 0;
	return b;
}

int tlsf_free(struct tlsf *h, void *p)
{
	int err;
	struct tlsf_block *b = live_block(h, p, &err);

	if (!b)
		return err;
	h->used -= block_size(b);
	link_free_to_next(b);
	release(h, b);
	return 0;
}

void *tlsf_realloc(struct tlsf *h, void *p, size_t size)
{
	struct tlsf_block *b, *next;
	size_t want, old;
	void *q;
	int err;

	if (!p)
		return tlsf_alloc(h, size);
	want = adjust_request(size);
	b = live_block(h, p, &err);
	if (!want || !b)
		return NULL;
	old = block_size(b);
	next = block_next(b);
	if (want > old && block_is_free(next) && old + W + block_size(next) >= want) {
		absorb_next(h, b);
		/* the block after next had PREV_FREE for next; b is used */
		block_next(b)->size &= ~BLOCK_PREV_FREE;
	}
	if (want <= block_size(b)) {
		trim_used(h, b, want);
		h->used = h->used - old + block_size(b);
		return p;
	}
	q = tlsf_alloc(h, size);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	tlsf_free(h, p);
	return q;
}

size_t tlsf_usable(const struct tlsf *h, const void *p)
{
	int err;
	const struct tlsf_block *b = live_block(h, p, &err);

	return b ? block_size(b) : 0;
}

size_t tlsf_used(const struct tlsf *h)
{
	return h->used;
}

/* The highest non-empty list, false if there is none. */
static bool highest_list(const struct tlsf *h, unsigned *fl, unsigned *sl)
{
	if (!h->fl_bitmap)
		return false;
	*fl = fls32(h->fl_bitmap);
	*sl = fls32(h->sl_bitmap[*fl]);
	return true;
}

size_t tlsf_largest_free(const struct tlsf *h)
{
	unsigned fl, sl;
	size_t best = 0;

	if (!highest_list(h, &fl, &sl))
		return 0;
	for (const struct tlsf_block *b = h->lists[fl][sl]; b; b = b->next_free)
		if (block_size(b) > best)
			best = block_size(b);
	return best;
}

size_t tlsf_max_alloc(const struct tlsf *h)
{
	unsigned fl, sl;
	size_t floor;

	if (!highest_list(h, &fl, &sl))
		return 0;
	floor = list_floor(fl, sl);
	return floor > TLSF_MAX_REQUEST ? TLSF_MAX_REQUEST : floor;
}

int tlsf_check(const struct tlsf *h)
{
	const struct tlsf_block *b, *prev = NULL;
	size_t free_blocks = 0, listed = 0, used = 0;

	if (!h || !h->first || (uintptr_t)h->first < (uintptr_t)(h + 1) ||
	    ((uintptr_t)h->first & (W - 1)) || (uintptr_t)h->sentinel <= (uintptr_t)h->first ||
	    block_size(h->sentinel) != 0 || block_is_free(h->sentinel) ||
	    block_prev_is_free(h->first))
		return -1;
	for (b = h->first; b != h->sentinel; prev = b, b = block_next(b)) {
		size_t size = block_size(b);

		if (size < MIN_BLOCK || (size & (W - 1)) ||
		    size > (uintptr_t)h->sentinel - (uintptr_t)b - W)
			return -2;
		if (prev && block_prev_is_free(b) != block_is_free(prev))
			return -3;
		if (block_is_free(b)) {
			if (block_next(b)->prev_phys != b)
				return -3;
			if (prev && block_is_free(prev))
				return -4;
			free_blocks++;
		} else {
			used += size;
		}
	}
	if (prev && block_prev_is_free(b) != block_is_free(prev))
		return -3;
	for (unsigned fl = 0; fl < FL_COUNT; fl++) {
		if (!!(h->fl_bitmap & (1u << fl)) != !!h->sl_bitmap[fl])
			return -6;
		for (unsigned sl = 0; sl < SL_COUNT; sl++) {
			const struct tlsf_block *back = NULL;

			if (!!(h->sl_bitmap[fl] & (1u << sl)) != !!h->lists[fl][sl])
				return -6;
			for (b = h->lists[fl][sl]; b; back = b, b = b->next_free) {
				unsigned f, s;

				if (++listed > free_blocks || (uintptr_t)b < (uintptr_t)h->first ||
				    (uintptr_t)b >= (uintptr_t)h->sentinel ||
				    ((uintptr_t)b & (W - 1)) || !block_is_free(b) ||
				    b->prev_free != back ||
				    block_size(b) > (uintptr_t)h->sentinel - (uintptr_t)b - W ||
				    block_next(b)->prev_phys != b)
					return -5;
				mapping_insert(block_size(b), &f, &s);
				if (f != fl || s != sl)
					return -5;
			}
		}
	}
	if (fl_bits_beyond(h))
		return -6;
	if (listed != free_blocks)
		return -5;
	if (used != h->used)
		return -7;
	return 0;
}
