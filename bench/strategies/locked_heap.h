/* locked_heap.h - a general-purpose heap under one spinlock, as a strategy:
 * what tlsf-lock and sysheap-lock share (firmware holds a k_spinlock around
 * sys_heap, ESP-IDF a lock around TLSF).
 *
 * The memory given to locked_heap_init() holds this structure, the layout's
 * per-core system heaps (sys_bump.h, as blockmap-lock serves them) and one
 * arena of the layout's runtime plus buffer zone bytes, in which the heap
 * places its own control structure: every bounded strategy runs in the same
 * bytes, and a general heap's overhead is counted against it.
 *
 * The per-call paths are static inline here, called with the adapter's
 * `static const` table of the heap's functions, so the compiler calls the
 * heap directly: one indirect call per operation (through strategy_ops),
 * as for every strategy. */
#ifndef BENCH_LOCKED_HEAP_H
#define BENCH_LOCKED_HEAP_H

#include <errno.h>
#include <stddef.h>

#include "smpheap/layout.h"
#include "spinlock.h"
#include "strategy.h"
#include "sys_bump.h"

/* The heap's functions, over its opaque handle. */
struct general_heap_ops {
	void *(*create)(void *mem, size_t len);
	void *(*alloc)(void *heap, size_t size);
	void *(*alloc_aligned)(void *heap, size_t align, size_t size);
	void *(*realloc)(void *heap, void *p, size_t size);
	int (*free)(void *heap, void *p);
	size_t (*usable)(const void *heap, const void *p);
	size_t (*used)(const void *heap);
	size_t (*largest_free)(const void *heap);
	size_t (*max_alloc)(const void *heap);
	int (*check)(const void *heap);
	size_t default_align; /* what alloc guarantees */
	const char *name;     /* the heap's own name, for tests */
};

/* The two heaps (tlsf_lock.c, sysheap_lock.c); the unit tests drive them
 * through these tables too. */
extern const struct general_heap_ops tlsf_heap_ops;
extern const struct general_heap_ops sysheap_heap_ops;

struct locked_heap {
	_Alignas(64) struct bench_spinlock lock;
	void *heap;
	const struct general_heap_ops *ops;
	unsigned char *arena, *arena_end;
	size_t used[STRAT_KINDS];     /* live usable bytes per kind (SYS: in sys) */
	size_t capacity[STRAT_KINDS]; /* the layout's zone bytes per kind */
	struct sys_bump sys;
};

/* Bytes locked_heap_init() needs for `layout`, and the arena's share. */
size_t locked_heap_size(const struct smpheap_layout *layout);
size_t locked_heap_arena_bytes(const struct smpheap_layout *layout);

/* Sets up `s` over mem (aligned to 64, len >= locked_heap_size(layout)).
 * 0, or -1 when mem, len or the layout do not fit or the heap refuses the
 * arena. `ops` and `version` must outlive s. */
int locked_heap_init(struct strategy *s, void *mem, size_t len, const struct smpheap_layout *layout,
		     const struct general_heap_ops *ops, const char *name, const char *version);

/* The strategy calls shared by both adapters (s->impl is the locked_heap). */
void *locked_heap_thread_init(struct strategy *s, unsigned thread, unsigned core);
void locked_heap_thread_fini(struct strategy *s, void *tctx);
void *locked_heap_alloc_ex(struct strategy *s, void *tctx, enum strat_kind kind, uint32_t caps,
			   size_t size, size_t align);
void *locked_heap_realloc(struct strategy *s, void *tctx, void *p, size_t old_size, size_t size,
			  enum strat_kind kind);
void locked_heap_sys_reset(struct strategy *s, unsigned core);
size_t locked_heap_capacity(struct strategy *s, enum strat_kind kind);
size_t locked_heap_used(struct strategy *s, enum strat_kind kind);
size_t locked_heap_largest_free(struct strategy *s, enum strat_kind kind);
int locked_heap_owns(struct strategy *s, const void *p);
int locked_heap_check(struct strategy *s);

/* The arena's kinds: RUNTIME and BUFFER share it; anything else is SYS. */
static inline int locked_heap_in_arena(enum strat_kind kind)
{
	return kind == STRAT_RUNTIME || kind == STRAT_BUFFER;
}

static inline void *locked_heap_alloc(struct strategy *s, void *tctx, size_t size,
				      enum strat_kind kind, const struct general_heap_ops *ops)
{
	struct locked_heap *lh = s->impl;
	void *p;

	if (size == 0)
		return NULL;
	bench_spin_lock(&lh->lock);
	if (locked_heap_in_arena(kind)) {
		size_t before = ops->used(lh->heap);

		p = ops->alloc(lh->heap, size);
		lh->used[kind] += ops->used(lh->heap) - before;
	} else {
		p = sys_bump_alloc(&lh->sys, sys_bump_core(tctx), size, 0);
	}
	bench_spin_unlock(&lh->lock);
	return p;
}

/* NULL is a no-op (0), as free(NULL); SYS memory is never freed one by one
 * (0 for a pointer of a system heap, -EINVAL otherwise); arena pointers get
 * the heap's own answer (0, -EINVAL, -EALREADY). */
static inline int locked_heap_free(struct strategy *s, void *tctx, void *p, enum strat_kind kind,
				   const struct general_heap_ops *ops)
{
	struct locked_heap *lh = s->impl;
	size_t before;
	int err;

	(void)tctx;
	if (!p)
		return 0;
	if (!locked_heap_in_arena(kind))
		return sys_bump_owns(&lh->sys, p) ? 0 : -EINVAL;
	bench_spin_lock(&lh->lock);
	before = ops->used(lh->heap);
	err = ops->free(lh->heap, p);
	lh->used[kind] -= before - ops->used(lh->heap);
	bench_spin_unlock(&lh->lock);
	return err;
}

/* Defines a locked strategy over a heap whose API is api##_create,
 * api##_alloc, ... api##_check (tlsf.h, sysheap.h): the table
 * api##_heap_ops, the strategy's alloc and free (the inline paths above,
 * calling the heap directly), its strategy_ops, and api##_lock_size() and
 * strategy_##api##_lock_init() (declared in strategy.h), which names the
 * strategy `sname` with the JSON context text `sversion`. */
#define LOCKED_HEAP_STRATEGY(api, align, sname, sversion)                                          \
	static void *api##_op_create(void *mem, size_t len)                                        \
	{                                                                                          \
		return api##_create(mem, len);                                                     \
	}                                                                                          \
	static void *api##_op_alloc(void *h, size_t size)                                          \
	{                                                                                          \
		return api##_alloc(h, size);                                                       \
	}                                                                                          \
	static void *api##_op_alloc_aligned(void *h, size_t a, size_t size)                        \
	{                                                                                          \
		return api##_alloc_aligned(h, a, size);                                            \
	}                                                                                          \
	static void *api##_op_realloc(void *h, void *p, size_t size)                               \
	{                                                                                          \
		return api##_realloc(h, p, size);                                                  \
	}                                                                                          \
	static int api##_op_free(void *h, void *p)                                                 \
	{                                                                                          \
		return api##_free(h, p);                                                           \
	}                                                                                          \
	static size_t api##_op_usable(const void *h, const void *p)                                \
	{                                                                                          \
		return api##_usable(h, p);                                                         \
	}                                                                                          \
	static size_t api##_op_used(const void *h)                                                 \
	{                                                                                          \
		return api##_used(h);                                                              \
	}                                                                                          \
	static size_t api##_op_largest_free(const void *h)                                         \
	{                                                                                          \
		return api##_largest_free(h);                                                      \
	}                                                                                          \
	static size_t api##_op_max_alloc(const void *h)                                            \
	{                                                                                          \
		return api##_max_alloc(h);                                                         \
	}                                                                                          \
	static int api##_op_check(const void *h)                                                   \
	{                                                                                          \
		return api##_check(h);                                                             \
	}                                                                                          \
	const struct general_heap_ops api##_heap_ops = {                                           \
	    .create = api##_op_create,                                                             \
	    .alloc = api##_op_alloc,                                                               \
	    .alloc_aligned = api##_op_alloc_aligned,                                               \
	    .realloc = api##_op_realloc,                                                           \
	    .free = api##_op_free,                                                                 \
	    .usable = api##_op_usable,                                                             \
	    .used = api##_op_used,                                                                 \
	    .largest_free = api##_op_largest_free,                                                 \
	    .max_alloc = api##_op_max_alloc,                                                       \
	    .check = api##_op_check,                                                               \
	    .default_align = (align),                                                              \
	    .name = #api,                                                                          \
	};                                                                                         \
	static void *api##_lock_alloc(struct strategy *s, void *t, size_t size,                    \
				      enum strat_kind kind)                                        \
	{                                                                                          \
		return locked_heap_alloc(s, t, size, kind, &api##_heap_ops);                       \
	}                                                                                          \
	static int api##_lock_free(struct strategy *s, void *t, void *p, enum strat_kind kind)     \
	{                                                                                          \
		return locked_heap_free(s, t, p, kind, &api##_heap_ops);                           \
	}                                                                                          \
	static const struct strategy_ops api##_lock_ops = {                                        \
	    .thread_init = locked_heap_thread_init,                                                \
	    .thread_fini = locked_heap_thread_fini,                                                \
	    .alloc = api##_lock_alloc,                                                             \
	    .free = api##_lock_free,                                                               \
	    .alloc_ex = locked_heap_alloc_ex,                                                      \
	    .realloc = locked_heap_realloc,                                                        \
	    .sys_reset = locked_heap_sys_reset,                                                    \
	    .capacity = locked_heap_capacity,                                                      \
	    .used = locked_heap_used,                                                              \
	    .largest_free = locked_heap_largest_free,                                              \
	    .owns = locked_heap_owns,                                                              \
	    .check = locked_heap_check,                                                            \
	};                                                                                         \
	size_t api##_lock_size(const struct smpheap_layout *layout)                                \
	{                                                                                          \
		return locked_heap_size(layout);                                                   \
	}                                                                                          \
	int strategy_##api##_lock_init(struct strategy *s, void *mem, size_t len,                  \
				       const struct smpheap_layout *layout)                        \
	{                                                                                          \
		int err = locked_heap_init(s, mem, len, layout, &api##_heap_ops, sname, sversion); \
                                                                                                   \
		if (!err)                                                                          \
			s->ops = &api##_lock_ops;                                                  \
		return err;                                                                        \
	}

#endif /* BENCH_LOCKED_HEAP_H */
