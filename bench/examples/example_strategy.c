/* example_strategy.c - a user's allocator linked into the bare-metal
 * harness: the first-fit allocator of first_fit.c behind the suite's one
 * interface (struct strategy, bench/strategies/strategy.h), one spinlock
 * around each call. The Xtensa stress driver runs it beside the others
 * (stress/xtensa/stress_main.c); README.md shows it as the ten-line example.
 * Plain C11, no OS. */
#include "example_strategy.h"

#include <errno.h>

#include "first_fit.h"
#include "spinlock.h"

static struct example {
	struct first_fit heap;
	struct bench_spinlock lock;
} example;

static void *ex_alloc(struct strategy *s, void *t, size_t n, enum strat_kind k)
{
	struct example *e = s->impl;
	void *p;

	(void)t;
	(void)k;
	bench_spin_lock(&e->lock);
	p = first_fit_alloc(&e->heap, n);
	bench_spin_unlock(&e->lock);
	return p;
}

static int ex_free(struct strategy *s, void *t, void *p, enum strat_kind k)
{
	struct example *e = s->impl;
	int rc;

	(void)t;
	(void)k;
	if (!p)
		return 0;
	bench_spin_lock(&e->lock);
	rc = first_fit_free(&e->heap, p);
	bench_spin_unlock(&e->lock);
	return rc ? -EINVAL : 0; /* -EINVAL: not its block */
}

static size_t ex_usable(struct strategy *s, const void *p)
{
	(void)s;
	return first_fit_usable(p);
}

static int ex_owns(struct strategy *s, const void *p)
{
	struct example *e = s->impl;

	return (const unsigned char *)p >= e->heap.base && (const unsigned char *)p < e->heap.end;
}

static void *ex_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	(void)s;
	(void)thread;
	(void)core;
	return NULL;
}

static void ex_thread_fini(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
}

static const struct strategy_ops example_ops = {
    .thread_init = ex_thread_init,
    .thread_fini = ex_thread_fini,
    .alloc = ex_alloc,
    .free = ex_free,
    .usable = ex_usable,
    .owns = ex_owns,
};

int example_strategy_init(struct strategy *s, void *mem, size_t len)
{
	static const char version[] = "first fit, one spinlock (bench/examples)";

	if (first_fit_init(&example.heap, mem, len))
		return -1;
	bench_spin_init(&example.lock);
	*s =
	    (struct strategy){.name = "example", .ops = &example_ops, .impl = &example, .cores = 1};
	for (unsigned i = 0; i < sizeof(version); i++)
		s->version[i] = version[i];
	return 0;
}
