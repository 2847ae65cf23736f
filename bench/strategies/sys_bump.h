/* sys_bump.h - the per-core system heaps of the locked strategies
 * (blockmap-lock, tlsf-lock, sysheap-lock): one bump region per core, sized
 * by the layout's sys_size[], never freed one by one, reset when the core
 * goes down (strategy sys_reset). Each caller holds its own lock around
 * these calls; none of them locks. */
#ifndef BENCH_SYS_BUMP_H
#define BENCH_SYS_BUMP_H

#include <stddef.h>

#include "smpheap/layout.h"
#include "strategy.h"

struct sys_bump {
	unsigned cores;
	unsigned char *base[SMPHEAP_MAX_CORES];
	size_t size[SMPHEAP_MAX_CORES];
	size_t off[SMPHEAP_MAX_CORES];		 /* bytes handed out (padding included) */
	size_t used;				 /* sum of off[] */
	size_t capacity;			 /* sum of size[] */
	unsigned thread_core[STRAT_MAX_THREADS]; /* per-thread context: its core */
};

/* Places the regions at `off` bytes into `mem` (each on a 64-byte boundary)
 * and returns the offset just past them. With sb == NULL it only computes
 * that offset (mem may be NULL). O(cores). */
size_t sys_bump_place(struct sys_bump *sb, unsigned char *mem, size_t off,
		      const struct smpheap_layout *l);

/* `size` bytes (> 0) on an `align` boundary (a power of two; 0: 16) from
 * `core`'s region, or NULL when it has not that much left. O(1). */
void *sys_bump_alloc(struct sys_bump *sb, unsigned core, size_t size, size_t align);

/* Gives back everything `core` (taken modulo the cores) allocated. O(1). */
void sys_bump_reset(struct sys_bump *sb, unsigned core);

/* The largest allocation one of the cores can still make. O(cores). */
size_t sys_bump_largest(const struct sys_bump *sb);

/* 1 if p lies inside one of the regions. O(cores). */
int sys_bump_owns(const struct sys_bump *sb, const void *p);

/* The thread context of strategy thread `thread` acting as `core`: a
 * pointer to its core number (modulo the cores), read by sys_bump_core(). */
void *sys_bump_thread_init(struct sys_bump *sb, unsigned thread, unsigned core);

static inline unsigned sys_bump_core(const void *tctx)
{
	return tctx ? *(const unsigned *)tctx : 0;
}

#endif /* BENCH_SYS_BUMP_H */
