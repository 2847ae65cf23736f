/* tlsf_lock.c - "tlsf-lock": TLSF (tlsf.c) under one TTAS spinlock around
 * each call, as ESP-IDF, NuttX and RIOT use it, over a layout's bytes (see
 * locked_heap.h for the arena and the system heaps). */
#include "locked_heap.h"
#include "tlsf.h"

static void *tl_create(void *mem, size_t len)
{
	return tlsf_create(mem, len);
}

static void *tl_heap_alloc(void *h, size_t size)
{
	return tlsf_alloc(h, size);
}

static void *tl_heap_alloc_aligned(void *h, size_t align, size_t size)
{
	return tlsf_alloc_aligned(h, align, size);
}

static void *tl_heap_realloc(void *h, void *p, size_t size)
{
	return tlsf_realloc(h, p, size);
}

static int tl_heap_free(void *h, void *p)
{
	return tlsf_free(h, p);
}

static size_t tl_heap_used(const void *h)
{
	return tlsf_used(h);
}

static size_t tl_heap_usable(const void *h, const void *p)
{
	return tlsf_usable(h, p);
}

static size_t tl_heap_largest_free(const void *h)
{
	return tlsf_largest_free(h);
}

static size_t tl_heap_max_alloc(const void *h)
{
	return tlsf_max_alloc(h);
}

static int tl_heap_check(const void *h)
{
	return tlsf_check(h);
}

const struct general_heap_ops tlsf_heap_ops = {
    .create = tl_create,
    .alloc = tl_heap_alloc,
    .alloc_aligned = tl_heap_alloc_aligned,
    .realloc = tl_heap_realloc,
    .free = tl_heap_free,
    .usable = tl_heap_usable,
    .used = tl_heap_used,
    .largest_free = tl_heap_largest_free,
    .max_alloc = tl_heap_max_alloc,
    .check = tl_heap_check,
    .default_align = TLSF_ALIGN,
    .name = "tlsf",
};

static void *tl_alloc(struct strategy *s, void *t, size_t size, enum strat_kind kind)
{
	return locked_heap_alloc(s, t, size, kind, &tlsf_heap_ops);
}

static int tl_free(struct strategy *s, void *t, void *p, enum strat_kind kind)
{
	return locked_heap_free(s, t, p, kind, &tlsf_heap_ops);
}

static const struct strategy_ops tlsf_lock_ops = {
    .thread_init = locked_heap_thread_init,
    .thread_fini = locked_heap_thread_fini,
    .alloc = tl_alloc,
    .free = tl_free,
    .alloc_ex = locked_heap_alloc_ex,
    .realloc = locked_heap_realloc,
    .sys_reset = locked_heap_sys_reset,
    .capacity = locked_heap_capacity,
    .used = locked_heap_used,
    .largest_free = locked_heap_largest_free,
    .owns = locked_heap_owns,
    .check = locked_heap_check,
};

size_t tlsf_lock_size(const struct smpheap_layout *layout)
{
	return locked_heap_size(layout);
}

int strategy_tlsf_lock_init(struct strategy *s, void *mem, size_t len,
			    const struct smpheap_layout *layout)
{
	int err = locked_heap_init(s, mem, len, layout, &tlsf_heap_ops, "tlsf-lock",
				   "TLSF (Masmano et al., ECRTS 2004), written here; "
				   "one TTAS spinlock");

	if (!err)
		s->ops = &tlsf_lock_ops;
	return err;
}
