/* first_fit.h - the example allocator of bench/examples: first fit over an
 * address-ordered free list in memory the caller gives, blocks split on
 * allocation and merged with free neighbours on free. A 16-byte header holds
 * a block's size (header included); a free block's header also links the
 * next free block. No lock: its two wrappers hold one around each call
 * (example_alloc.c, the shared library; example_strategy.c, the strategy a
 * bare-metal harness links). Plain C11, no OS, no libc. */
#ifndef BENCH_EXAMPLES_FIRST_FIT_H
#define BENCH_EXAMPLES_FIRST_FIT_H

#include <stddef.h>

#define FIRST_FIT_HEADER 16 /* keeps every block 16-byte aligned */

struct first_fit_block;

struct first_fit {
	struct first_fit_block *free_list; /* by address */
	unsigned char *base, *end;	   /* the memory it hands out */
};

/* 0, or -1 if `len` bytes at `mem` (16-aligned) are too few. */
int first_fit_init(struct first_fit *h, void *mem, size_t len);
/* A block of at least n bytes, 16-byte aligned, or NULL. */
void *first_fit_alloc(struct first_fit *h, size_t n);
/* 0; -1 for a pointer outside its memory (nothing changes). */
int first_fit_free(struct first_fit *h, void *p);
/* Bytes the live block p may use. */
size_t first_fit_usable(const void *p);

#endif
