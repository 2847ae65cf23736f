/* sysheap.h - a heap of Zephyr sys_heap's design, written here from its
 * documentation (doc/kernel/memory_management/heap.rst and the comments of
 * lib/heap/heap.h in zephyrproject-rtos/zephyr); the heap current SOF
 * allocates from on Zephyr, under a k_heap spinlock.
 *
 *   - memory in 8-byte chunk units; a chunk is named by its offset in units
 *     from the heap's start (chunk 0 holds this control structure);
 *   - each chunk starts with a header: the size of its left neighbour, its
 *     own size and a used bit, so both neighbours are found in O(1); the
 *     header is the 32-bit-field form (8 bytes), sys_heap's layout for
 *     heaps over 0x7fff chunks, as the bench arenas are;
 *   - a free chunk carries its free-list links after the header; one
 *     circular free list per power-of-two bucket of chunk sizes, with a
 *     bitmask of the non-empty buckets;
 *   - allocation tries up to SYSHEAP_ALLOC_LOOPS chunks of the request's own
 *     bucket (rotating the list head past each that is too small, as
 *     CONFIG_SYS_HEAP_ALLOC_LOOPS, default 3, does), then takes the first
 *     chunk of the first larger non-empty bucket, which always fits;
 *   - the chunk is split, the remainder freed; a free coalesces with both
 *     free neighbours at once. A one-unit remainder cannot hold the list
 *     links: it stays with the allocation (sys_heap keeps it as an unlisted
 *     "solo" free header instead; here every free chunk is listed, so that
 *     a merged chunk's links never land on a freed header, and a double
 *     free is always recognised).
 *
 * Plain C11, no allocation, no OS. Not thread-safe: callers lock
 * (sysheap_lock.c holds one spinlock around each call, as k_heap does).
 * Payloads are 8-byte aligned. Everything is O(1) unless stated. */
#ifndef BENCH_SYSHEAP_H
#define BENCH_SYSHEAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYSHEAP_CHUNK 8u      /* bytes per chunk unit */
#define SYSHEAP_ALLOC_LOOPS 3 /* chunks of the exact bucket tried */
/* The largest request: chunk sizes are 31-bit unit counts. */
#define SYSHEAP_MAX_REQUEST ((size_t)0x3fffffff)

struct sysheap;

/* A heap over [mem, mem + len): the control structure in the first chunks
 * (under 200 bytes), then one free chunk, then a one-unit end marker.
 * Returns the heap (inside mem) or NULL when mem is NULL or len is too small
 * for a two-unit chunk; memory past 2^31 units is left unused. O(1). */
struct sysheap *sysheap_create(void *mem, size_t len);

/* Bytes of overhead: control chunks plus the end marker (what
 * sysheap_create keeps of len besides alignment). */
size_t sysheap_overhead(void);

/* At least `size` bytes, 8-byte aligned; NULL when size is 0, above
 * SYSHEAP_MAX_REQUEST, or when neither SYSHEAP_ALLOC_LOOPS chunks of its
 * bucket nor any larger bucket fits (a fitting chunk deeper in the exact
 * bucket is not found, by design). O(SYSHEAP_ALLOC_LOOPS). */
void *sysheap_alloc(struct sysheap *h, size_t size);

/* As sysheap_alloc, aligned to `align` (a power of two; 8 or less is the
 * plain allocation); the chunks before the aligned address and after the
 * block return to the free lists. NULL also for align 0, not a power of
 * two, or above SYSHEAP_MAX_REQUEST / 4. O(SYSHEAP_ALLOC_LOOPS). */
void *sysheap_alloc_aligned(struct sysheap *h, size_t align, size_t size);

/* realloc(): p NULL is sysheap_alloc(size). In place when the chunk
 * shrinks (the tail is freed, coalescing) or its right neighbour is free
 * and big enough (absorbed, excess split off); otherwise allocate, copy,
 * free. NULL with p untouched when size is 0 or above SYSHEAP_MAX_REQUEST,
 * when sysheap_free would reject p, or when no chunk is found. O(1) plus
 * the copy. */
void *sysheap_realloc(struct sysheap *h, void *p, size_t size);

/* Frees p. 0; -EINVAL when p is NULL or not a live chunk of this heap
 * (outside it, not on a chunk boundary, or with a header whose size and
 * neighbours do not match); -EALREADY when its header's used bit is clear
 * and it still is a free chunk, or lies at the end of the free chunk it was
 * coalesced into (a double free, while nothing overwrote the header).
 * A rejected pointer changes nothing. A pointer into a payload whose bytes
 * happen to form a consistent used header is not caught. O(1). */
int sysheap_free(struct sysheap *h, void *p);

/* Usable bytes of live chunk p, or 0 when sysheap_free would reject it. */
size_t sysheap_usable(const struct sysheap *h, const void *p);

/* Usable bytes of all live chunks. */
size_t sysheap_used(const struct sysheap *h);

/* The largest free chunk's usable bytes. O(chunks in the top bucket). */
size_t sysheap_largest_free(const struct sysheap *h);

/* The largest `size` sysheap_alloc would grant now (from the top bucket:
 * anything below it, or what one of the first SYSHEAP_ALLOC_LOOPS chunks
 * of its list holds). O(SYSHEAP_ALLOC_LOOPS). */
size_t sysheap_max_alloc(const struct sysheap *h);

/* Walks every chunk and every free list; 0 if every invariant holds, else
 * the negative number of the first one broken:
 *   -1 the control chunk and the end marker (sizes, used bits, bounds);
 *   -2 the chunk chain: sizes non-zero, inside the heap, each chunk's left
 *      size its left neighbour's size, ending exactly at the end marker;
 *   -3 coalescing: no two adjacent free chunks;
 *   -4 the lists: every free chunk of at least two units; circular lists,
 *      links consistent both ways, each listed chunk free and in the bucket
 *      of its size, and the lists hold exactly the free chunks;
 *   -5 the bitmask: a bucket's bit is set iff its list is non-empty;
 *   -6 accounting: sysheap_used() is the sum of the live chunks' bytes.
 * O(chunks). */
int sysheap_check(const struct sysheap *h);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_SYSHEAP_H */
