/* example_alloc.c - a tiny real allocator, to show (and test) how a user's
 * allocator runs in the suite: build it as a shared library and give it to
 *
 *	smpheap-stress --strategy-lib example=build/release/bench/examples/libexample_alloc.so
 *	smpheap-bench  --strategy-lib example=...
 *
 * First fit over an address-ordered free list in a static arena, blocks
 * split on allocation and merged with free neighbours on free, one spinlock
 * around each call. A 16-byte header holds the block's size (header
 * included); a free block's header also links the next free block. It
 * exports what the harness loads: malloc, free and malloc_usable_size. */
#include <malloc.h>
#include <stdatomic.h>
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
static atomic_int lock;

static void acquire(void)
{
	int expected = 0;

	/* acquire: the list as the last holder left it */
	while (!atomic_compare_exchange_weak_explicit(&lock, &expected, 1, memory_order_acquire,
						      memory_order_relaxed))
		expected = 0;
}

static void release(void)
{
	atomic_store_explicit(&lock, 0, memory_order_release); /* publish the list */
}

void *malloc(size_t n)
{
	size_t need = (n + HEADER + HEADER - 1) & ~(size_t)(HEADER - 1);
	struct block **link = &free_list, *b;

	if (n == 0 || n > ARENA_BYTES)
		return NULL;
	acquire();
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
	release();
	return b ? (unsigned char *)b + HEADER : NULL;
}

void free(void *p)
{
	struct block *b = (struct block *)((unsigned char *)p - HEADER), *prev = NULL, **link;

	if (!p)
		return;
	acquire();
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
	release();
}

size_t malloc_usable_size(void *p)
{
	return p ? ((struct block *)((unsigned char *)p - HEADER))->size - HEADER : 0;
}
