/* tlsf.h - Two-Level Segregated Fit, as Masmano, Ripoll, Crespo and Real
 * describe it ("TLSF: a new dynamic memory allocator for real-time systems",
 * ECRTS 2004), written here from the paper; the allocator ESP-IDF, NuttX and
 * RIOT use.
 *
 *   - free blocks sit on 2-level segregated lists: the first level splits
 *     sizes by powers of two, the second splits each power of two into 32
 *     equal ranges (linear lists of one ALIGN step below 2^TLSF_FL_SHIFT);
 *   - a first-level bitmap and one 32-bit second-level bitmap per first
 *     level say which lists are non-empty, so the good-fit search (the
 *     request rounded up to the next list boundary, then the first
 *     non-empty list at or above it) is two find-first-set operations;
 *   - boundary tags: a one-word header (payload size, FREE and PREV_FREE
 *     bits) before the payload, and a pointer to the previous physical
 *     block that is valid, and only stored, while that block is free: it
 *     lives in the free block's last word, so a used block costs one word;
 *   - immediate coalescing with both physical neighbours on free; splitting
 *     on allocation.
 *
 * Plain C11, no allocation, no OS: the control structure lives at the start
 * of the memory handed to tlsf_create(). Not thread-safe: callers lock
 * (tlsf_lock.c holds one spinlock around each call, as a firmware does).
 * Payloads are aligned to TLSF_ALIGN (the word size: 4 on 32-bit, 8 on
 * 64-bit targets). Costs are in the number of free blocks n only where
 * stated; everything else is O(1). */
#ifndef BENCH_TLSF_H
#define BENCH_TLSF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TLSF_ALIGN sizeof(size_t) /* payload alignment and size granule */

struct tlsf;

/* A heap over [mem, mem + len): the control structure first (about 3 KiB
 * on 32-bit targets, 6.5 KiB on 64-bit ones), the pool after it. Returns
 * the heap (inside mem), or NULL when mem is NULL or len is too small for
 * the control structure and one block. A pool over the largest block
 * TLSF_MAX_BLOCK keeps only that much. O(1) (the lists are cleared:
 * O(lists)). */
struct tlsf *tlsf_create(void *mem, size_t len);

/* Bytes of overhead: control structure plus the first block's and the end
 * sentinel's headers (what tlsf_create(mem, len) keeps of len, at most,
 * besides alignment). */
size_t tlsf_overhead(void);

/* A block of at least `size` bytes aligned to TLSF_ALIGN, or NULL when size
 * is 0, above TLSF_MAX_REQUEST, or no free list at or above the request's
 * rounded-up list holds a block (good fit: a free block of exactly `size`
 * bytes in a lower list is not found, by design). O(1). */
void *tlsf_alloc(struct tlsf *h, size_t size);

/* As tlsf_alloc, aligned to `align` (a power of two; at most TLSF_ALIGN is
 * the plain allocation). NULL also when align is 0, not a power of two, or
 * above TLSF_MAX_REQUEST / 4. The gap before the aligned payload returns to the
 * free lists. O(1). */
void *tlsf_alloc_aligned(struct tlsf *h, size_t align, size_t size);

/* realloc(): p NULL is tlsf_alloc(size). In place when the block shrinks
 * (the tail returns to the free lists, coalesced with a free right
 * neighbour) or when its right neighbour is free and big enough; otherwise
 * a new block, a copy of the old contents, and a free of the old block.
 * NULL with p untouched when size is 0 or above TLSF_MAX_REQUEST, when p is
 * not a live block of this heap (as tlsf_free would reject it), or when no
 * block is found. O(1) plus the copy. */
void *tlsf_realloc(struct tlsf *h, void *p, size_t size);

/* Frees p. 0; -EINVAL when p is NULL or not a live block start of this heap
 * (outside the pool, misaligned, or its header and neighbours not those of
 * a live block); -EALREADY when p's header says the block is free and it
 * still is a free block, or lies at the end of the free block it was
 * coalesced into (a double free, while nothing overwrote the header). A rejected pointer changes
 * nothing. The header checks are what the boundary tags allow: a pointer into a payload whose bytes
 * happen to form a plausible live header is not caught. O(1). */
int tlsf_free(struct tlsf *h, void *p);

/* The usable bytes of live block p (at least what was asked), or 0 when
 * tlsf_free would reject p. O(1). */
size_t tlsf_usable(const struct tlsf *h, const void *p);

/* Usable bytes of all live blocks. O(1). */
size_t tlsf_used(const struct tlsf *h);

/* The largest free block's usable bytes. O(blocks in the highest list). */
size_t tlsf_largest_free(const struct tlsf *h);

/* The largest `size` tlsf_alloc(h, size) would grant now (the lower bound
 * of the highest non-empty list: good fit rounds a larger request past it).
 * O(1). */
size_t tlsf_max_alloc(const struct tlsf *h);

/* Walks every physical block and every free list and returns 0 if every
 * invariant holds, else the negative number of the first one broken:
 *   -1 the heap's own fields (pool bounds, sentinel);
 *   -2 the physical chain: sizes at least the minimum, multiples of
 *      TLSF_ALIGN, inside the pool, ending exactly at the sentinel;
 *   -3 boundary tags: each block's PREV_FREE bit is its left neighbour's
 *      FREE bit, and a free block's right neighbour points back to it;
 *   -4 coalescing: no two physically adjacent free blocks;
 *   -5 the lists: each listed block is free, in the list its size maps to,
 *      with consistent back links, and the lists hold exactly the free
 *      blocks of the chain;
 *   -6 the bitmaps: a list's bit is set iff the list is non-empty, a first
 *      level's bit iff its second-level bitmap is non-zero;
 *   -7 accounting: tlsf_used() is the sum of the live blocks' sizes.
 * O(blocks). */
int tlsf_check(const struct tlsf *h);

/* Limits, from the list geometry (FL_MAX in tlsf.c). */
#if UINTPTR_MAX > 0xffffffffu
#define TLSF_MAX_BLOCK (((size_t)1 << 32) - TLSF_ALIGN)
#else
#define TLSF_MAX_BLOCK (((size_t)1 << 30) - TLSF_ALIGN)
#endif
#define TLSF_MAX_REQUEST (TLSF_MAX_BLOCK / 2)

#ifdef __cplusplus
}
#endif

#endif /* BENCH_TLSF_H */
