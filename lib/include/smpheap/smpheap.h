/* smpheap.h - a three-zone lock-free heap for SMP audio DSPs and host SMP machines.
 *
 * Zones (see DESIGN.md):
 *   SYS      per-core bump heaps: never freed, reset when the core goes down.
 *   RUNTIME  size-class blocks in slabs cut from a page pool on demand: each core
 *            allocates from its own current slab per class; free from any core.
 *   BUFFER   runs of pages from the same kind of pool; large audio buffers,
 *            DMA-friendly (no header in front of the data: metadata is out of band).
 *
 * The calling core comes from the platform layer (smph_platform_core_id(),
 * see smpheap/platform.h); on the host a thread picks its core with
 * smpheap_host_bind().
 *
 * Which operations may run at the same time (any threads, any cores):
 *
 *   operation              | alongside alloc/free/realloc | alongside core_down/up(c)
 *   -----------------------+------------------------------+---------------------------------
 *   alloc, alloc_aligned   | yes, lock-free               | yes, except by threads acting as c
 *                          |                              | while core_down(c) runs
 *   free                   | yes, lock-free               | yes, from any thread (also bound to c)
 *   thread exit, rebind    | yes                          | yes (each thread gives back its cache)
 *   realloc(p)             | yes, unless p itself is freed or realloc'd at the same time
 *   core_down/up(c)        | yes                          | not for the same c; one controller
 *   stats                  | yes (figures are a snapshot) | yes
 *   check                  | memory-safe; exact only when no operation is in flight
 *
 * Errors never crash and never change the heap; each is counted in the
 * zone's stats (bad_frees, failures).
 */
#ifndef SMPHEAP_H
#define SMPHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "smpheap/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SMPHEAP_VERSION_MAJOR 0
#define SMPHEAP_VERSION_MINOR 1
#define SMPHEAP_VERSION_PATCH 0

enum smpheap_zone {
	SMPHEAP_ZONE_SYS = 0,
	SMPHEAP_ZONE_RUNTIME = 1,
	SMPHEAP_ZONE_BUFFER = 2,
};
#define SMPHEAP_ZONE_COUNT 3

struct smpheap; /* opaque; lives at the start of the memory given to smpheap_init() */

/* Figures for one zone. Counts are sums of per-core counters: exact when no
 * operation is in flight, a consistent-enough snapshot otherwise. */
struct smpheap_stats {
	size_t capacity;       /* bytes the zone can hand out */
	size_t used;	       /* bytes in live blocks (block or page granular) */
	size_t peak;	       /* highest `used` seen (exact on one thread; see README) */
	size_t largest_free;   /* largest single allocation that could succeed now */
	size_t allocs;	       /* successful allocations (a moving realloc: one alloc, one free) */
	size_t frees;	       /* successful frees */
	size_t failures;       /* allocations that returned NULL */
	size_t bad_frees;      /* frees rejected: foreign, interior, double, system */
	size_t banks_released; /* banks powered off now (heap-wide) */
	size_t bank_release_count; /* banks powered off since init (a bank may count twice) */
	size_t poison_errors;	   /* freed blocks found written to (SMPHEAP_POISON builds) */
};

/* Bytes of memory (metadata included) that smpheap_init() needs for `layout`,
 * or 0 if the layout is invalid. Pure; safe to call at any time. */
size_t smpheap_size(const struct smpheap_layout *layout);

/* Alignment that smpheap_init() requires of `mem`: the layout's bank size, so
 * that every zone starts on a bank boundary. 0 if the layout is invalid. */
size_t smpheap_alignment(const struct smpheap_layout *layout);

/* 0 if `layout` is usable, else a negative errno and, if `why` is not NULL,
 * a static string naming the first problem found. */
int smpheap_layout_validate(const struct smpheap_layout *layout, const char **why);

/* Builds a heap in mem[0..len). Returns NULL if the layout is invalid, `len`
 * is smaller than smpheap_size(layout), or `mem` is not aligned to
 * smpheap_alignment(layout). The heap keeps `layout`; it must outlive the heap.
 * Not thread-safe: call once, before any other operation on the heap. */
struct smpheap *smpheap_init(void *mem, size_t len, const struct smpheap_layout *layout);

/* Retires a heap: it stops being a heap (every later call on it fails
 * cleanly), threads' caches stop referring to it, and once this returns its
 * memory may be reused. No operation on it may be in flight. */
void smpheap_fini(struct smpheap *h);

/* The layout a heap was built with; NULL for NULL, a retired heap or a
 * pointer that is not a heap. */
const struct smpheap_layout *smpheap_layout(const struct smpheap *h);

/* Allocates `size` bytes from `zone`, in a region that has every bit of `caps`
 * (0: any). Aligned to 16 bytes in SYS and RUNTIME, to the page size in BUFFER.
 * NULL on size 0, size too large, unknown zone, caps no region has, or
 * exhaustion (the heap keeps working and recovers as blocks are freed).
 * Lock-free. */
void *smpheap_alloc(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size);

/* As smpheap_alloc(), aligned to `align` (a power of two; up to the bank size
 * in SYS and BUFFER, up to the largest block's natural alignment in RUNTIME).
 * NULL if `align` is not a power of two or too large, or size+align overflows. */
void *smpheap_alloc_aligned(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size,
			    size_t align);

/* Resizes the live block `ptr` within its zone (RUNTIME or BUFFER), in place
 * when the block (or, in BUFFER, the free pages after it) can hold `size`.
 * realloc(NULL, n) allocates in RUNTIME; realloc(p, 0) frees p and returns
 * NULL. On failure returns NULL and leaves `ptr` live and unchanged. A SYS
 * pointer, a foreign or non-live pointer gets NULL and counts as a bad free. */
void *smpheap_realloc(struct smpheap *h, void *ptr, size_t size);

/* Frees `ptr`. Returns 0 (also for NULL), or:
 *   -EFAULT    ptr is outside the heap
 *   -EPERM     ptr is in a system heap (system memory is never freed)
 *   -EINVAL    ptr is inside a zone but not the start of a block or run
 *   -EALREADY  the block is already free (double free), or the page is free
 *              (a buffer run freed already, a slab gone back to the pool);
 *              nothing changes
 * Of two racing frees of a block exactly one gets 0, except when one is by
 * the thread whose cache holds the block's word: then both may, and that
 * thread counts the second as a bad free when it next hands the block out
 * or gives the word back (the block is never handed out twice; README).
 * Any core may free any block. Lock-free. */
int smpheap_free(struct smpheap *h, void *ptr);

/* Usable bytes of the live block at `ptr` (block or run size), 0 if ptr is
 * not the start of a live RUNTIME/BUFFER block; SYS pointers give 0. */
size_t smpheap_usable_size(const struct smpheap *h, const void *ptr);

/* Zone of `ptr`, or -EFAULT if it is outside the heap. */
int smpheap_zone_of(const struct smpheap *h, const void *ptr);

/* Takes `core` down: its current slabs stop being current, its system heap
 * is reset (all its system memory is gone), a grace period passes, its
 * system heap's banks are powered off, then the pool is swept
 * (smpheap_bank_sweep()). Frees of blocks it allocated keep working from
 * any core. No thread may allocate as `core` meanwhile (on a DSP the core is
 * parked; on the host, park the threads bound to it). Frees, thread exits
 * and rebinds may go on, also by threads bound to `core`: threads' caches
 * are never touched here, each thread gives its words back itself (at its
 * next refill, exit or rebind), and a later sweep powers their banks off.
 * 0, -EINVAL (no such core), -EALREADY (already down). */
int smpheap_core_down(struct smpheap *h, unsigned core);

/* As smpheap_bank_sweep(), for a down core (kept for callers of the
 * per-core API): the banks released now, or -EINVAL / -EAGAIN (core is up). */
int smpheap_core_sweep(struct smpheap *h, unsigned core);

/* Powers off every bank of the pool whose pages are all free, whichever
 * core used it: takes its pages out of the pool (so nobody is handed them),
 * waits a grace period, then powers it off. A pool that would otherwise
 * fail an allocation powers such banks on again first. Returns the number
 * of banks released now, or -EINVAL. May block (the grace period). */
int smpheap_bank_sweep(struct smpheap *h);

/* Brings `core` back: powers its banks on and lets its shard serve again.
 * 0, -EINVAL (no such core), -EALREADY (already up). */
int smpheap_core_up(struct smpheap *h, unsigned core);

/* 1 if `core` is up, 0 if down, -EINVAL if no such core. */
int smpheap_core_is_up(const struct smpheap *h, unsigned core);

/* Fills `out` with the figures of `zone`. 0 or -EINVAL. */
int smpheap_stats(const struct smpheap *h, enum smpheap_zone zone, struct smpheap_stats *out);

/* Walks every invariant (bitmap summaries, run start/end marks, system
 * offsets, counters). 0 when all hold, else a negative errno (-EFAULT for a
 * broken heap header, -EUCLEAN for broken zone state). Exact only when no
 * operation is in flight; never writes. */
int smpheap_check(const struct smpheap *h);

/* A human-readable name for an error code returned above. */
const char *smpheap_strerror(int err);

/* ---- The inline entry points ----
 *
 * smpheap_alloc() and smpheap_free() are the functions above. Where calls
 * cost a stack frame that tail calls cannot avoid (Xtensa's call0 ABI: a
 * function that calls anything saves its return address and registers,
 * and GCC 12 makes no tail calls there), this header also makes each call
 * of them an inline call of a short fast path that calls nothing, so that
 * it needs no frame of its own: the caller has one already. The fast path
 * finishes the usual case (a runtime block from the calling thread's held
 * word or its core's current slab, a system bump, a free back into a
 * slab's word) and leaves anything else to the finish function, with a
 * token that says what it did: an odd value, never a block (blocks are
 * 16-aligned). The pair does exactly what the function does; every check
 * and every count is made by one of the two. Elsewhere the functions'
 * own tail calls keep their fast paths free of frames, and a call of the
 * function is the shorter path (x86-64: about 10 instructions fewer a pair
 * than the inline calls inside a small function, which has to keep its
 * arguments for the finish).
 *
 * SMPHEAP_INLINE_FAST_PATHS (1 or 0) chooses; by default 1 on Xtensa with
 * GCC, else 0. Either way (smpheap_alloc)(...) calls the function. */

/* A runtime block of `size` bytes (caps 0, the calling core's slab), or an
 * odd token for smpheap_alloc_finish(). Lock-free, no call. */
void *smpheap_runtime_fast(struct smpheap *h, size_t size);
/* A system zone bump of `size` bytes (caps 0), or an odd token. */
void *smpheap_sys_fast(struct smpheap *h, size_t size);
/* What smpheap_alloc(h, zone, 0, size) returns, given the odd token the
 * zone's fast path returned. */
void *smpheap_alloc_finish(struct smpheap *h, enum smpheap_zone zone, size_t size, void *token);
/* 0 when `ptr` is freed and counted, else a token for smpheap_free_finish(). */
uintptr_t smpheap_free_fast(struct smpheap *h, void *ptr);
/* What smpheap_free(h, ptr) returns, given the fast path's token. */
int smpheap_free_finish(struct smpheap *h, void *ptr, uintptr_t token);

#ifndef SMPHEAP_INLINE_FAST_PATHS
#if defined(__GNUC__) && defined(__XTENSA__)
#define SMPHEAP_INLINE_FAST_PATHS 1
#else
#define SMPHEAP_INLINE_FAST_PATHS 0
#endif
#endif
#if SMPHEAP_INLINE_FAST_PATHS && !defined(SMPHEAP_NO_INLINE)
static inline __attribute__((always_inline)) void *
smpheap_alloc_inline(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size)
{
	void *t;

	if (zone == SMPHEAP_ZONE_RUNTIME && caps == 0)
		t = smpheap_runtime_fast(h, size);
	else if (zone == SMPHEAP_ZONE_SYS && caps == 0)
		t = smpheap_sys_fast(h, size);
	else
		return (smpheap_alloc)(h, zone, caps, size);
	if (__builtin_expect(!((uintptr_t)t & 1), 1))
		return t;
	return smpheap_alloc_finish(h, zone, size, t);
}

static inline __attribute__((always_inline)) int smpheap_free_inline(struct smpheap *h, void *ptr)
{
	uintptr_t t = smpheap_free_fast(h, ptr);

	if (__builtin_expect(t == 0, 1))
		return 0;
	return smpheap_free_finish(h, ptr, t);
}

#define smpheap_alloc(h, zone, caps, size) smpheap_alloc_inline((h), (zone), (caps), (size))
#define smpheap_free(h, ptr) smpheap_free_inline((h), (ptr))
#endif

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_H */
