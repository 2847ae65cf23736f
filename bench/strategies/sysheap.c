/* sysheap.c - a heap of Zephyr sys_heap's design (see sysheap.h), written
 * here from its documentation.
 *
 * Chunk c is the 8-byte units from c * 8 bytes past the heap's start:
 *
 *   word 0  left      units of the left neighbour (0 for chunk 0)
 *   word 1  size_used units << 1 | used
 *   word 2  prev      free chunks only: the bucket list's previous chunk
 *   word 3  next      free chunks only: the bucket list's next chunk
 *
 * (32-bit words); the payload starts after words 0 and 1. Chunk 0 is the
 * control structure, marked used; the end marker is a used chunk of size 0
 * whose header takes the heap's last unit. Chunk id 0 never names a free
 * chunk, so a list head of 0 means empty. */
#include "sysheap.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define BUCKETS 32
#define HDR_BYTES 8u /* the left and size_used words */
#define MIN_LISTED 2 /* units a chunk needs to hold the list links */
#define MAX_UNITS 0x7fffffffu

struct sysheap {
	uint32_t chunk0_hdr[2]; /* chunk 0's header: this structure is chunk 0 */
	uint32_t end;		/* the end marker's chunk id */
	uint32_t avail;		/* bit b: bucket b's list is non-empty */
	size_t used;		/* usable bytes of the live chunks */
	uint32_t head[BUCKETS]; /* one chunk of each bucket's circular list; 0: empty */
};

enum { LEFT, SIZE_USED, PREV, NEXT };

#define CONTROL_UNITS ((uint32_t)((sizeof(struct sysheap) + SYSHEAP_CHUNK - 1) / SYSHEAP_CHUNK))

static uint32_t *chunk_hdr(const struct sysheap *h, uint32_t c)
{
	return (uint32_t *)((uintptr_t)h + (uintptr_t)c * SYSHEAP_CHUNK);
}

static uint32_t chunk_size(const struct sysheap *h, uint32_t c)
{
	return chunk_hdr(h, c)[SIZE_USED] >> 1;
}

static bool chunk_used(const struct sysheap *h, uint32_t c)
{
	return chunk_hdr(h, c)[SIZE_USED] & 1;
}

static void set_size(struct sysheap *h, uint32_t c, uint32_t units)
{
	uint32_t *hdr = chunk_hdr(h, c);

	hdr[SIZE_USED] = units << 1 | (hdr[SIZE_USED] & 1);
}

static void set_used(struct sysheap *h, uint32_t c, bool used)
{
	uint32_t *hdr = chunk_hdr(h, c);

	hdr[SIZE_USED] = (hdr[SIZE_USED] & ~1u) | (used ? 1u : 0u);
}

static uint32_t right_of(const struct sysheap *h, uint32_t c)
{
	return c + chunk_size(h, c);
}

static uint32_t left_of(const struct sysheap *h, uint32_t c)
{
	return c - chunk_hdr(h, c)[LEFT];
}

/* Writes c's size into its right neighbour's left field. */
static void sync_right(struct sysheap *h, uint32_t c)
{
	chunk_hdr(h, right_of(h, c))[LEFT] = chunk_size(h, c);
}

static void *chunk_mem(const struct sysheap *h, uint32_t c)
{
	return (unsigned char *)chunk_hdr(h, c) + HDR_BYTES;
}

static size_t chunk_usable(const struct sysheap *h, uint32_t c)
{
	return ((size_t)chunk_size(h, c) - 1) * SYSHEAP_CHUNK;
}

static unsigned fls32(uint32_t v)
{
	return 31u - (unsigned)__builtin_clz(v);
}

static inline unsigned bucket_of(uint32_t units)
{
	return fls32(units);
}

/* Units a request of `bytes` (1..SYSHEAP_MAX_REQUEST) takes, header included. */
static inline uint32_t units_for(size_t bytes)
{
	return (uint32_t)((bytes + HDR_BYTES + SYSHEAP_CHUNK - 1) / SYSHEAP_CHUNK);
}

static inline void list_add(struct sysheap *h, uint32_t c)
{
	uint32_t units = chunk_size(h, c), *hdr = chunk_hdr(h, c);
	unsigned b;

	b = bucket_of(units);
	if (!h->head[b]) {
		h->head[b] = c;
		hdr[PREV] = hdr[NEXT] = c;
		h->avail |= 1u << b;
	} else {
		/* at the tail: just before the head */
		uint32_t second = h->head[b], first = chunk_hdr(h, second)[PREV];

		hdr[PREV] = first;
		hdr[NEXT] = second;
		chunk_hdr(h, first)[NEXT] = c;
		chunk_hdr(h, second)[PREV] = c;
	}
}

static inline void list_remove(struct sysheap *h, uint32_t c)
{
	uint32_t units = chunk_size(h, c), *hdr = chunk_hdr(h, c);
	unsigned b;

	b = bucket_of(units);
	if (hdr[NEXT] == c) {
		h->head[b] = 0;
		h->avail &= ~(1u << b);
		return;
	}
	chunk_hdr(h, hdr[PREV])[NEXT] = hdr[NEXT];
	chunk_hdr(h, hdr[NEXT])[PREV] = hdr[PREV];
	if (h->head[b] == c)
		h->head[b] = hdr[NEXT];
}

/* Splits c at c + units: c keeps `units`, the rest becomes a chunk marked
 * free (not listed). */
static inline uint32_t split(struct sysheap *h, uint32_t c, uint32_t units)
{
	uint32_t rest = c + units, *rh = chunk_hdr(h, rest);

	rh[SIZE_USED] = (chunk_size(h, c) - units) << 1;
	rh[LEFT] = units;
	sync_right(h, rest);
	set_size(h, c, units);
	return rest;
}

/* c (marked free, not listed) coalesced with its free neighbours, listed. */
static inline void free_chunk(struct sysheap *h, uint32_t c)
{
	uint32_t r = right_of(h, c), l;

	if (!chunk_used(h, r)) {
		list_remove(h, r);
		set_size(h, c, chunk_size(h, c) + chunk_size(h, r));
		sync_right(h, c);
	}
	l = left_of(h, c);
	if (!chunk_used(h, l)) {
		list_remove(h, l);
		set_size(h, l, chunk_size(h, l) + chunk_size(h, c));
		sync_right(h, l);
		c = l;
	}
	list_add(h, c);
}

/* A free chunk of at least `units`, taken off its list, or 0. */
static inline uint32_t take_chunk(struct sysheap *h, uint32_t units)
{
	unsigned b = bucket_of(units);
	uint32_t larger;

	if (h->avail & (1u << b)) {
		for (int i = 0; i < SYSHEAP_ALLOC_LOOPS; i++) {
			uint32_t c = h->head[b];

			if (chunk_size(h, c) >= units) {
				list_remove(h, c);
				return c;
			}
			h->head[b] = chunk_hdr(h, c)[NEXT]; /* look at another next time */
		}
	}
	larger = b + 1 < BUCKETS ? h->avail & (~0u << (b + 1)) : 0;
	if (larger) {
		uint32_t c = h->head[__builtin_ctz(larger)];

		list_remove(h, c);
		return c;
	}
	return 0;
}

/* Used chunk c keeps `units`; the rest is freed (coalescing right) when it
 * can hold the list links, else stays with c. */
static inline void trim(struct sysheap *h, uint32_t c, uint32_t units)
{
	if (chunk_size(h, c) >= units + MIN_LISTED)
		free_chunk(h, split(h, c, units));
}

size_t sysheap_overhead(void)
{
	return (size_t)(CONTROL_UNITS + 1) * SYSHEAP_CHUNK;
}

struct sysheap *sysheap_create(void *mem, size_t len)
{
	uintptr_t start = (uintptr_t)mem, base;
	size_t units;
	struct sysheap *h;
	uint32_t end, *first, *endh;

	if (!mem)
		return NULL;
	base = (start + SYSHEAP_CHUNK - 1) & ~(uintptr_t)(SYSHEAP_CHUNK - 1);
	if (len < base - start)
		return NULL;
	units = (len - (base - start)) / SYSHEAP_CHUNK;
	if (units > MAX_UNITS)
		units = MAX_UNITS;
	if (units < CONTROL_UNITS + MIN_LISTED + 1)
		return NULL;
	h = (struct sysheap *)base;
	memset(h, 0, sizeof(*h));
	end = (uint32_t)units - 1;
	h->chunk0_hdr[LEFT] = 0;
	h->chunk0_hdr[SIZE_USED] = CONTROL_UNITS << 1 | 1;
	h->end = end;
	first = chunk_hdr(h, CONTROL_UNITS);
	first[LEFT] = CONTROL_UNITS;
	first[SIZE_USED] = (end - CONTROL_UNITS) << 1;
	endh = chunk_hdr(h, end);
	endh[LEFT] = end - CONTROL_UNITS;
	endh[SIZE_USED] = 1; /* size 0, used */
	list_add(h, CONTROL_UNITS);
	return h;
}

void *sysheap_alloc(struct sysheap *h, size_t size)
{
	uint32_t units, c;

	if (size == 0 || size > SYSHEAP_MAX_REQUEST)
		return NULL;
	units = units_for(size);
	c = take_chunk(h, units);
	if (!c)
		return NULL;
	set_used(h, c, true);
	trim(h, c, units);
	h->used += chunk_usable(h, c);
	return chunk_mem(h, c);
}

void *sysheap_alloc_aligned(struct sysheap *h, size_t align, size_t size)
{
	uint32_t units, c, gap;
	uintptr_t mem;

	if (align == 0 || (align & (align - 1)) || align > SYSHEAP_MAX_REQUEST / 4)
		return NULL;
	if (align <= SYSHEAP_CHUNK)
		return sysheap_alloc(h, size);
	if (size == 0 || size > SYSHEAP_MAX_REQUEST)
		return NULL;
	units = units_for(size);
	/* the aligned address is at most align - 8 bytes into the chunk, or
	 * align + 8 when a one-unit prefix (too small to list) moves it on */
	c = take_chunk(h, units + (uint32_t)(align / SYSHEAP_CHUNK) + 1);
	if (!c)
		return NULL;
	mem = (uintptr_t)chunk_mem(h, c);
	gap = (uint32_t)((((mem + align - 1) & ~(uintptr_t)(align - 1)) - mem) / SYSHEAP_CHUNK);
	if (gap == 1)
		gap += (uint32_t)(align / SYSHEAP_CHUNK);
	if (gap) {
		/* the prefix stays free; its left neighbour is used (c was free) */
		uint32_t n = split(h, c, gap);

		list_add(h, c);
		c = n;
	}
	set_used(h, c, true);
	trim(h, c, units);
	h->used += chunk_usable(h, c);
	return chunk_mem(h, c);
}

/* c, with its used bit clear, is a chunk that was freed: still a free chunk
 * or coalesced into the free chunk on its left, which ends where c did
 * (c's right neighbour's left size leads to a free chunk at or before c). */
static inline bool freed_chunk(const struct sysheap *h, uint32_t c)
{
	uint32_t units = chunk_size(h, c), r, left;

	if (units == 0 || units > h->end - c)
		return false;
	r = c + units;
	left = chunk_hdr(h, r)[LEFT];
	return left >= units && left <= r - CONTROL_UNITS && !chunk_used(h, r - left) &&
	       chunk_size(h, r - left) == left;
}

/* The live chunk p names, or 0 with *err set to why not. */
static inline uint32_t live_chunk(const struct sysheap *h, const void *p, int *err)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)h;
	uint32_t c, units, left;

	*err = -EINVAL;
	if (!p || a < base + (uintptr_t)CONTROL_UNITS * SYSHEAP_CHUNK + HDR_BYTES ||
	    a >= base + (uintptr_t)h->end * SYSHEAP_CHUNK || ((a - base) & (SYSHEAP_CHUNK - 1)))
		return 0;
	c = (uint32_t)((a - base - HDR_BYTES) / SYSHEAP_CHUNK);
	if (!chunk_used(h, c)) {
		if (freed_chunk(h, c))
			*err = -EALREADY;
		return 0;
	}
	units = chunk_size(h, c);
	left = chunk_hdr(h, c)[LEFT];
	if (units < MIN_LISTED || units > h->end - c || chunk_hdr(h, c + units)[LEFT] != units ||
	    left == 0 || left > c || chunk_size(h, c - left) != left)
		return 0;
	*err = 0;
	return c;
}

int sysheap_free(struct sysheap *h, void *p)
{
	int err;
	uint32_t c = live_chunk(h, p, &err);

	if (!c)
		return err;
	h->used -= chunk_usable(h, c);
	set_used(h, c, false);
	free_chunk(h, c);
	return 0;
}

void *sysheap_realloc(struct sysheap *h, void *p, size_t size)
{
	uint32_t c, units, r;
	size_t old;
	void *q;
	int err;

	if (!p)
		return sysheap_alloc(h, size);
	if (size == 0 || size > SYSHEAP_MAX_REQUEST)
		return NULL;
	c = live_chunk(h, p, &err);
	if (!c)
		return NULL;
	units = units_for(size);
	old = chunk_usable(h, c);
	r = right_of(h, c);
	if (units > chunk_size(h, c) && !chunk_used(h, r) &&
	    chunk_size(h, c) + chunk_size(h, r) >= units) {
		list_remove(h, r);
		set_size(h, c, chunk_size(h, c) + chunk_size(h, r));
		sync_right(h, c);
	}
	if (units <= chunk_size(h, c)) {
		trim(h, c, units);
		h->used = h->used - old + chunk_usable(h, c);
		return p;
	}
	q = sysheap_alloc(h, size);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	sysheap_free(h, p);
	return q;
}

size_t sysheap_usable(const struct sysheap *h, const void *p)
{
	int err;
	uint32_t c = live_chunk(h, p, &err);

	return c ? chunk_usable(h, c) : 0;
}

size_t sysheap_used(const struct sysheap *h)
{
	return h->used;
}

size_t sysheap_largest_free(const struct sysheap *h)
{
	uint32_t c, best = 0;

	if (!h->avail)
		return 0;
	c = h->head[fls32(h->avail)];
	do {
		if (chunk_size(h, c) > best)
			best = chunk_size(h, c);
		c = chunk_hdr(h, c)[NEXT];
	} while (c != h->head[fls32(h->avail)]);
	return ((size_t)best - 1) * SYSHEAP_CHUNK;
}

size_t sysheap_max_alloc(const struct sysheap *h)
{
	unsigned top;
	uint32_t best, c;
	size_t bytes;

	if (!h->avail)
		return 0;
	top = fls32(h->avail);
	/* anything of a lower bucket falls through to the top one */
	best = top >= 2 ? (1u << top) - 1 : 0;
	c = h->head[top];
	for (int i = 0; i < SYSHEAP_ALLOC_LOOPS; i++) {
		if (chunk_size(h, c) > best)
			best = chunk_size(h, c);
		c = chunk_hdr(h, c)[NEXT];
	}
	bytes = ((size_t)best - 1) * SYSHEAP_CHUNK;
	return bytes > SYSHEAP_MAX_REQUEST ? SYSHEAP_MAX_REQUEST : bytes;
}

/* c is a chunk boundary of h: its neighbours' sizes agree with it. */
static bool chunk_is_consistent(const struct sysheap *h, uint32_t c)
{
	uint32_t units, left;

	if (c < CONTROL_UNITS || c >= h->end)
		return false;
	units = chunk_size(h, c);
	left = chunk_hdr(h, c)[LEFT];
	return units && units <= h->end - c && chunk_hdr(h, c + units)[LEFT] == units && left &&
	       left <= c && chunk_size(h, c - left) == left;
}

int sysheap_check(const struct sysheap *h)
{
	uint32_t c, expected = 0, listed = 0;
	size_t used = 0;
	bool prev_free = false;

	if (!h || h->chunk0_hdr[LEFT] != 0 ||
	    h->chunk0_hdr[SIZE_USED] != (CONTROL_UNITS << 1 | 1) || h->end <= CONTROL_UNITS ||
	    chunk_size(h, h->end) != 0 || !chunk_used(h, h->end))
		return -1;
	for (c = 0; c < h->end; c = right_of(h, c)) {
		uint32_t units = chunk_size(h, c);

		if (units == 0 || units > h->end - c || chunk_hdr(h, c + units)[LEFT] != units)
			return -2;
		if (chunk_used(h, c)) {
			if (c)
				used += chunk_usable(h, c);
			prev_free = false;
			continue;
		}
		if (prev_free)
			return -3;
		if (units < MIN_LISTED)
			return -4;
		prev_free = true;
		expected++;
	}
	for (unsigned b = 0; b < BUCKETS; b++) {
		uint32_t head = h->head[b], back;

		if (!!(h->avail & (1u << b)) != !!head)
			return -5;
		if (!head)
			continue;
		back = chunk_hdr(h, head)[PREV];
		c = head;
		do {
			if (++listed > expected || !chunk_is_consistent(h, c) || chunk_used(h, c) ||
			    chunk_size(h, c) < MIN_LISTED || bucket_of(chunk_size(h, c)) != b ||
			    chunk_hdr(h, c)[PREV] != back)
				return -4;
			back = c;
			c = chunk_hdr(h, c)[NEXT];
		} while (c != head);
		if (chunk_hdr(h, head)[PREV] != back)
			return -4;
	}
	if (listed != expected)
		return -4;
	if (used != h->used)
		return -6;
	return 0;
}
