/* example_alloc.c - a tiny real allocator as a shared library, to show (and
 * test) how a user's allocator runs in the suite on the host:
 *
 *	smpheap-stress --strategy-lib example=build/release/bench/examples/libexample_alloc.so
 *	smpheap-bench  --strategy-lib example=...
 *
 * The first-fit allocator of first_fit.c over a static arena, one mutex
 * around each call (a mutex, not a spinlock: the stress driver runs more
 * threads than the host has CPUs, and a spinner would wait out a preempted
 * holder's whole time slice). It exports what the harness loads: malloc,
 * free and malloc_usable_size. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "first_fit.h"

#define ARENA_BYTES (64u << 20)

static _Alignas(FIRST_FIT_HEADER) unsigned char arena[ARENA_BYTES];
static struct first_fit heap;
static int ready;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *malloc(size_t n)
{
	void *p;

	pthread_mutex_lock(&lock);
	if (!ready)
		ready = first_fit_init(&heap, arena, sizeof(arena)) == 0;
	p = ready ? first_fit_alloc(&heap, n) : NULL;
	pthread_mutex_unlock(&lock);
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&lock);
	first_fit_free(&heap, p);
	pthread_mutex_unlock(&lock);
}

size_t malloc_usable_size(void *p)
{
	return p ? first_fit_usable(p) : 0;
}
