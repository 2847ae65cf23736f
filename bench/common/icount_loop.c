/* icount_loop.c - the one instruction-count loop (icount_loop.h). */
#include "icount_loop.h"

/* ---- through the strategy interface ---------------------------------------- */

static void *null_alloc(struct strategy *s, void *t, size_t size, enum strat_kind k)
{
	(void)t;
	(void)size;
	(void)k;
	__asm__ volatile("" ::"r"(s) : "memory");
	return s;
}

static int null_free(struct strategy *s, void *t, void *p, enum strat_kind k)
{
	(void)s;
	(void)t;
	(void)k;
	__asm__ volatile("" ::"r"(p) : "memory");
	return 0;
}

static void *null_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	(void)thread;
	(void)core;
	return s;
}

static void null_thread_fini(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
}

static const struct strategy_ops null_ops = {
    .thread_init = null_thread_init,
    .thread_fini = null_thread_fini,
    .alloc = null_alloc,
    .free = null_free,
};

void icount_null_strategy_init(struct strategy *s)
{
	static const char version[] = "no allocator: the loop's baseline";

	*s = (struct strategy){.name = "null", .ops = &null_ops, .cores = 1};
	for (unsigned i = 0; i < sizeof(version); i++)
		s->version[i] = version[i];
}

__attribute__((noinline)) void icount_strategy_allocs(struct strategy *s, void *t, size_t size,
						      enum strat_kind k, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__asm__ volatile("" ::"r"(strategy_alloc(s, t, size, k)) : "memory");
}

__attribute__((noinline)) void icount_strategy_pairs(struct strategy *s, void *t, size_t size,
						     enum strat_kind k, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		strategy_free(s, t, strategy_alloc(s, t, size, k), k);
}

/* ---- through smpheap's own API ----------------------------------------------- */

/* As a C caller that includes smpheap.h makes them: inline calls of the
 * fast paths with their tests (smpheap.h). The baseline is the same loop
 * with each call of smpheap_alloc() and smpheap_free() one call of an empty
 * function, so that a figure is the allocator's instructions: the fast
 * path, the caller's tests of its answer, its finish if any. */
__attribute__((noinline)) static void *null_heap_alloc(struct smpheap *h, enum smpheap_zone z,
						       uint32_t caps, size_t size)
{
	__asm__ volatile("" ::"r"(h), "r"(z), "r"(caps), "r"(size) : "memory");
	return h;
}

__attribute__((noinline)) static int null_heap_free(struct smpheap *h, void *p)
{
	__asm__ volatile("" ::"r"(h), "r"(p) : "memory");
	return 0;
}

static volatile bool direct_real;

void icount_direct_use(bool real)
{
	direct_real = real;
}

#define DIRECT_LOOPS(suffix, ALLOC, FREE)                                                          \
	__attribute__((noinline)) static void allocs_##suffix(                                     \
	    struct smpheap *h, enum smpheap_zone z, size_t size, unsigned n)                       \
	{                                                                                          \
		for (unsigned i = 0; i < n; i++)                                                   \
			__asm__ volatile("" ::"r"(ALLOC(h, z, 0, size)) : "memory");               \
	}                                                                                          \
	__attribute__((noinline)) static void pairs_##suffix(                                      \
	    struct smpheap *h, enum smpheap_zone z, size_t size, unsigned n)                       \
	{                                                                                          \
		for (unsigned i = 0; i < n; i++)                                                   \
			FREE(h, ALLOC(h, z, 0, size));                                             \
	}
DIRECT_LOOPS(real, smpheap_alloc, smpheap_free)
DIRECT_LOOPS(null, null_heap_alloc, null_heap_free)

void icount_direct_allocs(struct smpheap *h, enum smpheap_zone z, size_t size, unsigned n)
{
	(direct_real ? allocs_real : allocs_null)(h, z, size, n);
}

void icount_direct_pairs(struct smpheap *h, enum smpheap_zone z, size_t size, unsigned n)
{
	(direct_real ? pairs_real : pairs_null)(h, z, size, n);
}
