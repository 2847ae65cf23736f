/* sys_bump.c - per-core bump regions for the system heaps (see sys_bump.h). */
#include "sys_bump.h"

static size_t bump_align(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

size_t sys_bump_place(struct sys_bump *sb, unsigned char *mem, size_t off,
		      const struct smpheap_layout *l)
{
	if (sb) {
		sb->cores = l->cores;
		sb->used = 0;
		sb->capacity = 0;
	}
	for (unsigned c = 0; c < l->cores; c++) {
		off = bump_align(off, 64);
		if (sb) {
			sb->base[c] = mem + off;
			sb->size[c] = l->sys_size[c];
			sb->off[c] = 0;
			sb->capacity += l->sys_size[c];
		}
		off += l->sys_size[c];
	}
	return off;
}

void *sys_bump_alloc(struct sys_bump *sb, unsigned core, size_t size, size_t align)
{
	uintptr_t at;
	size_t off;

	if (align == 0)
		align = 16;
	if (align & (align - 1) || align > sb->size[core])
		return NULL;
	at = bump_align((uintptr_t)sb->base[core] + sb->off[core], align);
	off = at - (uintptr_t)sb->base[core];
	if (size > sb->size[core] || off > sb->size[core] - size)
		return NULL;
	sb->used += off + size - sb->off[core];
	sb->off[core] = off + size;
	return sb->base[core] + off;
}

void sys_bump_reset(struct sys_bump *sb, unsigned core)
{
	core %= sb->cores;
	sb->used -= sb->off[core];
	sb->off[core] = 0;
}

size_t sys_bump_largest(const struct sys_bump *sb)
{
	size_t best = 0;

	for (unsigned c = 0; c < sb->cores; c++)
		if (sb->size[c] - sb->off[c] > best)
			best = sb->size[c] - sb->off[c];
	return best;
}

int sys_bump_owns(const struct sys_bump *sb, const void *p)
{
	const unsigned char *c = p;

	for (unsigned k = 0; k < sb->cores; k++)
		if (c >= sb->base[k] && c < sb->base[k] + sb->size[k])
			return 1;
	return 0;
}

void *sys_bump_thread_init(struct sys_bump *sb, unsigned thread, unsigned core)
{
	unsigned *c = &sb->thread_core[thread % STRAT_MAX_THREADS];

	*c = core % sb->cores;
	return c;
}
