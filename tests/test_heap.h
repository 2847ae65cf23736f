/* test_heap.h - getting a heap in a test, on any platform. */
#ifndef SMPHEAP_TEST_HEAP_H
#define SMPHEAP_TEST_HEAP_H

#include "smpheap/smpheap.h"

#include "apl/memory.h"
#include "tgl/memory.h"

#ifdef SMPHEAP_TEST_HOSTED
#include "smpheap/host.h"
static inline struct smpheap *test_heap_create(const struct smpheap_layout *l)
{
	return smpheap_host_create(l);
}
static inline void test_heap_destroy(struct smpheap *h)
{
	smpheap_host_destroy(h);
}
/* Makes the calling thread act as `core`; 0, or -1 where it cannot. */
static inline int test_act_as(unsigned core)
{
	return smpheap_host_bind(core) ? -1 : 0;
}
#else
/* Bare metal: one static arena, enough for the tgl layout, reused by each
 * test in turn. */
#ifndef TEST_ARENA_BYTES
#define TEST_ARENA_BYTES (4u << 20)
#endif
static unsigned char test_arena[TEST_ARENA_BYTES] __attribute__((aligned(65536)));
static inline struct smpheap *test_heap_create(const struct smpheap_layout *l)
{
	return smpheap_init(test_arena, sizeof(test_arena), l);
}
static inline void test_heap_destroy(struct smpheap *h)
{
	(void)h;
}
/* One execution context per core: we are whichever core runs us. */
static inline int test_act_as(unsigned core)
{
	return core == 0 ? 0 : -1;
}
#endif

#endif
