/* sysheap_lock.c - "sysheap-lock": a heap of Zephyr sys_heap's design
 * (sysheap.c) under one TTAS spinlock around each call, as k_heap holds a
 * k_spinlock around sys_heap (SOF's zephyr/lib/alloc.c allocates this way),
 * over a layout's bytes (see locked_heap.h for the arena and the system
 * heaps). */
#include "locked_heap.h"
#include "sysheap.h"

static void *sh_create(void *mem, size_t len)
{
	return sysheap_create(mem, len);
}

static void *sh_heap_alloc(void *h, size_t size)
{
	return sysheap_alloc(h, size);
}

static void *sh_heap_alloc_aligned(void *h, size_t align, size_t size)
{
	return sysheap_alloc_aligned(h, align, size);
}

static void *sh_heap_realloc(void *h, void *p, size_t size)
{
	return sysheap_realloc(h, p, size);
}

static int sh_heap_free(void *h, void *p)
{
	return sysheap_free(h, p);
}

static size_t sh_heap_used(const void *h)
{
	return sysheap_used(h);
}

static size_t sh_heap_usable(const void *h, const void *p)
{
	return sysheap_usable(h, p);
}

static size_t sh_heap_largest_free(const void *h)
{
	return sysheap_largest_free(h);
}

static size_t sh_heap_max_alloc(const void *h)
{
	return sysheap_max_alloc(h);
}

static int sh_heap_check(const void *h)
{
	return sysheap_check(h);
}

const struct general_heap_ops sysheap_heap_ops = {
    .create = sh_create,
    .alloc = sh_heap_alloc,
    .alloc_aligned = sh_heap_alloc_aligned,
    .realloc = sh_heap_realloc,
    .free = sh_heap_free,
    .usable = sh_heap_usable,
    .used = sh_heap_used,
    .largest_free = sh_heap_largest_free,
    .max_alloc = sh_heap_max_alloc,
    .check = sh_heap_check,
    .default_align = SYSHEAP_CHUNK,
    .name = "sysheap",
};

static void *sh_alloc(struct strategy *s, void *t, size_t size, enum strat_kind kind)
{
	return locked_heap_alloc(s, t, size, kind, &sysheap_heap_ops);
}

static int sh_free(struct strategy *s, void *t, void *p, enum strat_kind kind)
{
	return locked_heap_free(s, t, p, kind, &sysheap_heap_ops);
}

static const struct strategy_ops sysheap_lock_ops = {
    .thread_init = locked_heap_thread_init,
    .thread_fini = locked_heap_thread_fini,
    .alloc = sh_alloc,
    .free = sh_free,
    .alloc_ex = locked_heap_alloc_ex,
    .realloc = locked_heap_realloc,
    .sys_reset = locked_heap_sys_reset,
    .capacity = locked_heap_capacity,
    .used = locked_heap_used,
    .largest_free = locked_heap_largest_free,
    .owns = locked_heap_owns,
    .check = locked_heap_check,
};

size_t sysheap_lock_size(const struct smpheap_layout *layout)
{
	return locked_heap_size(layout);
}

int strategy_sysheap_lock_init(struct strategy *s, void *mem, size_t len,
			       const struct smpheap_layout *layout)
{
	int err = locked_heap_init(s, mem, len, layout, &sysheap_heap_ops, "sysheap-lock",
				   "a heap of sys_heap's design, written here; "
				   "one TTAS spinlock as k_heap");

	if (!err)
		s->ops = &sysheap_lock_ops;
	return err;
}
