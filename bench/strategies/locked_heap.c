/* locked_heap.c - the cold parts of the locked general heaps (see
 * locked_heap.h): set-up, accounting queries, ownership, checks. */
#include "locked_heap.h"

#include <string.h>

static size_t lh_align(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t runtime_bytes(const struct smpheap_layout *l)
{
	return smpheap_layout_legacy_runtime_bytes(l);
}

static size_t buffer_bytes(const struct smpheap_layout *l)
{
	return smpheap_layout_legacy_buffer_bytes(l);
}

size_t locked_heap_arena_bytes(const struct smpheap_layout *layout)
{
	return runtime_bytes(layout) + buffer_bytes(layout);
}

/* One pass computes the size (lh == NULL) or places the parts. */
static size_t lh_layout(struct locked_heap *lh, unsigned char *mem, const struct smpheap_layout *l)
{
	size_t off = sys_bump_place(lh ? &lh->sys : NULL, mem, lh_align(sizeof(*lh), 64), l);

	off = lh_align(off, 64);
	if (lh) {
		lh->arena = mem + off;
		lh->arena_end = lh->arena + locked_heap_arena_bytes(l);
	}
	return off + locked_heap_arena_bytes(l);
}

size_t locked_heap_size(const struct smpheap_layout *layout)
{
	return lh_layout(NULL, NULL, layout);
}

int locked_heap_init(struct strategy *s, void *mem, size_t len, const struct smpheap_layout *layout,
		     const struct general_heap_ops *ops, const char *name, const char *version)
{
	struct locked_heap *lh = mem;
	size_t n;

	if (!s || !mem || ((uintptr_t)mem & 63) || !layout || layout->cores == 0 ||
	    layout->cores > SMPHEAP_MAX_CORES || layout->class_count > SMPHEAP_MAX_CLASSES ||
	    len < locked_heap_size(layout))
		return -1;
	memset(lh, 0, sizeof(*lh));
	lh_layout(lh, mem, layout);
	lh->ops = ops;
	lh->heap = ops->create(lh->arena, (size_t)(lh->arena_end - lh->arena));
	if (!lh->heap)
		return -1;
	lh->capacity[STRAT_SYS] = lh->sys.capacity;
	/* One arena: a request of either kind may take any of its bytes. */
	lh->capacity[STRAT_RUNTIME] = runtime_bytes(layout) + buffer_bytes(layout);
	lh->capacity[STRAT_BUFFER] = lh->capacity[STRAT_RUNTIME];
	bench_spin_init(&lh->lock);
	memset(s, 0, sizeof(*s));
	s->name = name;
	n = strlen(version);
	if (n >= sizeof(s->version))
		n = sizeof(s->version) - 1;
	memcpy(s->version, version, n);
	s->impl = lh;
	s->bounded = true;
	s->arena = lh->capacity[STRAT_RUNTIME];
	s->max_runtime =
	    layout->class_count ? layout->classes[layout->class_count - 1].block_size : 0;
	s->cores = layout->cores;
	return 0;
}

void *locked_heap_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	struct locked_heap *lh = s->impl;

	return sys_bump_thread_init(&lh->sys, thread, core);
}

void locked_heap_thread_fini(struct strategy *s, void *tctx)
{
	(void)s;
	(void)tctx;
}

void *locked_heap_alloc_ex(struct strategy *s, void *tctx, enum strat_kind kind, uint32_t caps,
			   size_t size, size_t align)
{
	struct locked_heap *lh = s->impl;
	void *p;

	if (caps || size == 0)
		return NULL; /* one arena: no memory kinds to choose from */
	bench_spin_lock(&lh->lock);
	if (locked_heap_in_arena(kind)) {
		size_t before = lh->ops->used(lh->heap);

		p = align <= lh->ops->default_align ? lh->ops->alloc(lh->heap, size)
						    : lh->ops->alloc_aligned(lh->heap, align, size);
		lh->used[kind] += lh->ops->used(lh->heap) - before;
	} else {
		p = sys_bump_alloc(&lh->sys, sys_bump_core(tctx), size, align);
	}
	bench_spin_unlock(&lh->lock);
	return p;
}

/* SYS blocks are never freed: a SYS realloc is a fresh bump block with the
 * old contents copied (what the caller would do without realloc). */
void *locked_heap_realloc(struct strategy *s, void *tctx, void *p, size_t old_size, size_t size,
			  enum strat_kind kind)
{
	struct locked_heap *lh = s->impl;
	void *q;

	if (!locked_heap_in_arena(kind)) {
		if (size == 0)
			return NULL;
		bench_spin_lock(&lh->lock);
		q = sys_bump_alloc(&lh->sys, sys_bump_core(tctx), size, 0);
		bench_spin_unlock(&lh->lock);
		if (q && p)
			memcpy(q, p, old_size < size ? old_size : size);
		return q;
	}
	bench_spin_lock(&lh->lock);
	{
		size_t before = lh->ops->used(lh->heap);

		q = lh->ops->realloc(lh->heap, p, size);
		lh->used[kind] += lh->ops->used(lh->heap) - before;
	}
	bench_spin_unlock(&lh->lock);
	return q;
}

void locked_heap_sys_reset(struct strategy *s, unsigned core)
{
	struct locked_heap *lh = s->impl;

	bench_spin_lock(&lh->lock);
	sys_bump_reset(&lh->sys, core);
	bench_spin_unlock(&lh->lock);
}

size_t locked_heap_capacity(struct strategy *s, enum strat_kind kind)
{
	return ((struct locked_heap *)s->impl)->capacity[kind];
}

size_t locked_heap_used(struct strategy *s, enum strat_kind kind)
{
	struct locked_heap *lh = s->impl;
	size_t u;

	bench_spin_lock(&lh->lock);
	u = locked_heap_in_arena(kind) ? lh->used[kind] : lh->sys.used;
	bench_spin_unlock(&lh->lock);
	return u;
}

size_t locked_heap_largest_free(struct strategy *s, enum strat_kind kind)
{
	struct locked_heap *lh = s->impl;
	size_t n;

	bench_spin_lock(&lh->lock);
	n = locked_heap_in_arena(kind) ? lh->ops->max_alloc(lh->heap) : sys_bump_largest(&lh->sys);
	bench_spin_unlock(&lh->lock);
	return n;
}

int locked_heap_owns(struct strategy *s, const void *p)
{
	struct locked_heap *lh = s->impl;
	const unsigned char *c = p;

	return (c >= lh->arena && c < lh->arena_end) || sys_bump_owns(&lh->sys, p);
}

/* The heap's own invariants, and the per-kind split adding up to what the
 * heap says it has handed out. */
int locked_heap_check(struct strategy *s)
{
	struct locked_heap *lh = s->impl;
	int err;

	bench_spin_lock(&lh->lock);
	err = lh->ops->check(lh->heap);
	if (!err && lh->used[STRAT_RUNTIME] + lh->used[STRAT_BUFFER] != lh->ops->used(lh->heap))
		err = -100;
	bench_spin_unlock(&lh->lock);
	return err;
}
