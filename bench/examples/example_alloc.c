/* example_alloc.c - a tiny real allocator, to show (and test) how a user's
 * allocator runs in the suite: build it as a shared library and give it to
 *
 *	smpheap-stress --strategy-lib example=build/release/bench/examples/libexample_alloc.so
 *	smpheap-bench  --strategy-lib example=...
 *
 * First fit over an address-ordered free list in a static arena, blocks
 * split on allocation and merged with free neighbours on free, one mutex
 * around each call (a mutex, not a spinlock: the stress driver runs more
 * threads than the host has CPUs, and a spinner would wait out a preempted
 * holder's whole time slice). A 16-byte header holds the block's size (header
 * included); a free block's header also links the next free block. It
 * exports what the harness loads: malloc, free and malloc_usable_size. */
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#define ARENA_BYTES (64u << 20)
#define HEADER 16 /* keeps every block 16-byte aligned */

struct block {
	size_t size;	    /* bytes, header included */
	struct block *next; /* free blocks only: the next free block by address */
};

static _Alignas(HEADER) unsigned char arena[ARENA_BYTES];
static struct block *free_list;
static int ready;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *malloc(size_t n)
{
	size_t need = (n + HEADER + HEADER - 1) & ~(size_t)(HEADER - 1);
	struct block **link = &free_list, *b;

	if (n == 0 || n > ARENA_BYTES)
		return NULL;
	pthread_mutex_lock(&lock);
	if (!ready) {
		free_list = (struct block *)arena;
		free_list->size = ARENA_BYTES;
		free_list->next = NULL;
		ready = 1;
	}
	for (b = *link; b && b->size < need; b = *link)
		link = &b->next;
	if (b && b->size - need >= 2 * HEADER) { /* split: the tail stays free */
		struct block *rest = (struct block *)((unsigned char *)b + need);

		rest->size = b->size - need;
		rest->next = b->next;
		*link = rest;
		b->size = need;
	} else if (b) {
		*link = b->next;
	}
	pthread_mutex_unlock(&lock);
	return b ? (unsigned char *)b + HEADER : NULL;
}

void free(void *p)
{
	struct block *b = (struct block *)((unsigned char *)p - HEADER), *prev = NULL, **link;

	if (!p)
		return;
	pthread_mutex_lock(&lock);
	for (link = &free_list; *link && *link < b; link = &(*link)->next)
		prev = *link;
	b->next = *link;
	*link = b;
	if (b->next && (unsigned char *)b + b->size == (unsigned char *)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (prev && (unsigned char *)prev + prev->size == (unsigned char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	}
	pthread_mutex_unlock(&lock);
}

size_t malloc_usable_size(void *p)
{
	return p ? ((struct block *)((unsigned char *)p - HEADER))->size - HEADER : 0;
}
