/* test_general_heaps.c - TLSF (tlsf.c) and the sys_heap-design heap
 * (sysheap.c), one table of tests run over both, in the manner of Zephyr's
 * heap tests: the heap's check() after every operation, a fill token over
 * every live block verified before it is freed, seeded random mixes of
 * alloc / aligned alloc / realloc / free against a reference model,
 * exhaustion and recovery, full coalescing back to one free block, and every
 * bad input returning its documented code with the heap's bytes unchanged.
 * Then the two strategies (tlsf-lock, sysheap-lock) through the strategy
 * interface: ownership, sys_reset, capacity and used accounting.
 *
 * Portable (no allocation, no threads): it also runs on lx106 under QEMU
 * (xtensa_general_heaps), where the heaps' words are 4 bytes.
 *
 *	bench_test_general_heaps [SEED [OPS]]
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "locked_heap.h"
#include "tgl/memory.h"

#define ARENA (1u << 20)
#define SMALL_ARENA (64u << 10)
#define SLOTS 256

static _Alignas(64) unsigned char arena[ARENA];
static unsigned char snapshot[ARENA];
static _Alignas(16) unsigned char outside[64];
/* the strategies' memory: the tgl layout's bytes (about 2.9 MiB) */
#define STRATEGY_MEM (3u << 20)
static _Alignas(64) unsigned char strategy_mem[STRATEGY_MEM];

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 1 B .. 16 KiB, log-distributed (as Zephyr's heap stress test draws). */
static size_t rnd_size(void)
{
	unsigned e = (unsigned)(rnd() % 15);

	return ((size_t)1 << e) + rnd() % ((size_t)1 << e);
}

struct slot {
	unsigned char *p;
	size_t size; /* asked */
	size_t align;
	unsigned char token;
};

static struct slot slots[SLOTS];

static void fill(struct slot *s)
{
	memset(s->p, s->token, s->size);
}

static int intact(const struct slot *s)
{
	for (size_t i = 0; i < s->size; i++)
		if (s->p[i] != s->token)
			return 0;
	return 1;
}

/* Sum of the usable sizes of the model's live blocks. */
static size_t model_used(const struct general_heap_ops *o, void *h)
{
	size_t n = 0;

	for (unsigned i = 0; i < SLOTS; i++)
		if (slots[i].p)
			n += o->usable(h, slots[i].p);
	return n;
}

static unsigned failed_before;

/* check() and the books after an operation; stops a run at its first
 * failure so that one broken invariant is one line, not thousands. */
static int validate(const struct general_heap_ops *o, void *h, const char *what)
{
	int c = o->check(h);

	CHECK_EQ(c, 0);
	CHECK_EQ(o->used(h), model_used(o, h));
	if (check_failed != failed_before) {
		printf("  (%s after %s)\n", o->name, what);
		return -1;
	}
	return 0;
}

/* Frees every `step`-th slot's block after checking its token, validating
 * after each free; the number freed, or -1 at the first failure. */
static int free_slots(const struct general_heap_ops *o, void *h, unsigned step, const char *what)
{
	int freed = 0;

	for (unsigned i = 0; i < SLOTS; i += step) {
		if (!slots[i].p)
			continue;
		CHECK(intact(&slots[i]));
		CHECK_EQ(o->free(h, slots[i].p), 0);
		slots[i].p = NULL;
		freed++;
		if (validate(o, h, what))
			return -1;
	}
	return freed;
}

/* A live block from the heap: aligned, usable at least its size, inside the
 * arena, the usable bytes writable without touching any other block. */
static void take(const struct general_heap_ops *o, void *h, struct slot *s, unsigned char *p,
		 size_t size, size_t align)
{
	size_t a = align > o->default_align ? align : o->default_align;

	s->p = p;
	s->size = size;
	s->align = align;
	s->token = (unsigned char)(rnd() | 1);
	CHECK(((uintptr_t)p & (a - 1)) == 0);
	CHECK(o->usable(h, p) >= size);
	CHECK(p >= arena && p + size <= arena + ARENA);
	fill(s);
}

static void test_bad_inputs(const struct general_heap_ops *o)
{
	void *h = o->create(arena, ARENA);
	unsigned char *a, *b, *c;
	int foreign;

	CHECK(h != NULL);
	a = o->alloc(h, 100);
	b = o->alloc(h, 200);
	c = o->alloc(h, 300);
	CHECK(a && b && c);
	memset(a, 0xa5, o->usable(h, a));
	memset(b, 0, o->usable(h, b));
	CHECK_EQ(o->free(h, c), 0);
	memcpy(snapshot, arena, ARENA);
#define UNCHANGED() CHECK(memcmp(snapshot, arena, ARENA) == 0)
	CHECK_EQ(o->free(h, NULL), -EINVAL);
	UNCHANGED();
	CHECK_EQ(o->free(h, &foreign), -EINVAL);
	UNCHANGED();
	CHECK_EQ(o->free(h, outside + 16), -EINVAL); /* aligned, another object */
	CHECK_EQ(o->free(h, arena), -EINVAL);	     /* the control structure */
	UNCHANGED();
	CHECK_EQ(o->free(h, a + 1), -EINVAL);		    /* misaligned */
	CHECK_EQ(o->free(h, a + 16), -EINVAL);		    /* interior, token bytes */
	CHECK_EQ(o->free(h, b + 16), -EINVAL);		    /* interior, zero bytes */
	CHECK_EQ(o->free(h, b + o->usable(h, b)), -EINVAL); /* just past b */
	UNCHANGED();
	CHECK_EQ(o->free(h, c), -EALREADY); /* double free */
	UNCHANGED();
	CHECK(o->alloc(h, 0) == NULL);
	CHECK(o->alloc(h, SIZE_MAX) == NULL);
	CHECK(o->alloc(h, SIZE_MAX / 2) == NULL);
	CHECK(o->alloc(h, ARENA) == NULL); /* bigger than the heap */
	CHECK(o->alloc_aligned(h, 0, 64) == NULL);
	CHECK(o->alloc_aligned(h, 48, 64) == NULL); /* not a power of two */
	CHECK(o->alloc_aligned(h, (size_t)1 << (sizeof(size_t) * 8 - 1), 64) == NULL);
	CHECK(o->alloc_aligned(h, 64, 0) == NULL);
	CHECK(o->realloc(h, &foreign, 64) == NULL);
	CHECK(o->realloc(h, a + 16, 64) == NULL);
	CHECK(o->realloc(h, c, 64) == NULL); /* freed */
	CHECK(o->realloc(h, a, 0) == NULL);  /* size 0: refused, a kept */
	CHECK(o->realloc(h, a, SIZE_MAX) == NULL);
	CHECK_EQ(o->usable(h, a + 16), 0);
	CHECK_EQ(o->usable(h, c), 0);
	CHECK_EQ(o->usable(h, &foreign), 0);
	UNCHANGED();
#undef UNCHANGED
	CHECK_EQ(o->check(h), 0);
	CHECK_EQ(o->free(h, a), 0);
	CHECK_EQ(o->free(h, a), -EALREADY);
	CHECK_EQ(o->free(h, b), 0);
	CHECK_EQ(o->free(h, b), -EALREADY); /* coalesced into both neighbours */
	CHECK_EQ(o->check(h), 0);
	CHECK_EQ(o->used(h), 0);
	/* heaps that cannot be made */
	CHECK(o->create(NULL, ARENA) == NULL);
	CHECK(o->create(arena, 16) == NULL);
	CHECK(o->create(arena + 1, 16) == NULL);
}

/* The largest request the heap says it grants is granted, and one byte more
 * is not (asked anew: an allocation and its free may reorder the lists, and
 * sysheap's answer depends on the order of its top bucket). */
static void check_max_alloc(const struct general_heap_ops *o, void *h)
{
	size_t m = o->max_alloc(h);
	void *p;

	if (!m)
		return;
	p = o->alloc(h, m);
	CHECK(p != NULL);
	if (p)
		CHECK_EQ(o->free(h, p), 0);
	m = o->max_alloc(h);
	p = o->alloc(h, m + 1);
	CHECK(p == NULL);
	if (p)
		o->free(h, p);
	CHECK(o->largest_free(h) >= m);
}

/* Random alloc / aligned / realloc / free against the model. */
static void test_random(const struct general_heap_ops *o, uint64_t seed, unsigned ops)
{
	void *h = o->create(arena, ARENA);
	size_t empty_largest;

	rng = seed;
	memset(slots, 0, sizeof(slots));
	CHECK(h != NULL);
	CHECK_EQ(o->check(h), 0);
	empty_largest = o->largest_free(h);
	CHECK(empty_largest > ARENA - 8192 && empty_largest < ARENA);
	failed_before = check_failed;
	for (unsigned n = 0; n < ops; n++) {
		struct slot *s = &slots[rnd() % SLOTS];
		unsigned op = (unsigned)(rnd() % 8);
		const char *what;

		if (!s->p) {
			size_t size = rnd_size(), align = 0;
			unsigned char *p;

			if (op < 2) {
				align = (size_t)1 << (rnd() % 13); /* 1 .. 4096 */
				p = o->alloc_aligned(h, align, size);
				what = "alloc_aligned";
			} else {
				p = o->alloc(h, size);
				what = "alloc";
			}
			if (p)
				take(o, h, s, p, size, align);
		} else if (op < 3) {
			size_t size = rnd_size(), keep = size < s->size ? size : s->size;
			unsigned char *p;

			CHECK(intact(s));
			p = o->realloc(h, s->p, size);
			what = "realloc";
			if (p) {
				s->p = p;
				s->size = keep;
				CHECK(intact(s)); /* the contents moved with it */
				take(o, h, s, p, size, 0);
			} else {
				CHECK(intact(s)); /* untouched on failure */
			}
		} else {
			CHECK(intact(s));
			CHECK_EQ(o->free(h, s->p), 0);
			CHECK_EQ(o->free(h, s->p), -EALREADY);
			s->p = NULL;
			what = "free";
		}
		if (validate(o, h, what))
			return;
		if (n % 64 == 0) {
			check_max_alloc(o, h);
			if (validate(o, h, "max_alloc"))
				return;
		}
	}
	/* every live block intact, then all freed: one free block again */
	if (free_slots(o, h, 1, "final free") < 0)
		return;
	CHECK_EQ(o->used(h), 0);
	CHECK_EQ(o->largest_free(h), empty_largest);
	CHECK(o->max_alloc(h) <= empty_largest);
	check_max_alloc(o, h);
}

/* Fill a small heap to exhaustion with mixed sizes, free every other block,
 * refill, free all: the heap comes back whole. */
static void test_exhaustion(const struct general_heap_ops *o)
{
	void *h = o->create(arena, SMALL_ARENA);
	size_t empty_largest = o->largest_free(h);
	unsigned live = 0;
	int freed;

	memset(slots, 0, sizeof(slots));
	failed_before = check_failed;
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < SLOTS; i++) {
			size_t size = 64 + (i % 7) * 200;
			unsigned char *p;

			if (slots[i].p)
				continue;
			p = o->alloc(h, size);
			if (!p)
				continue;
			take(o, h, &slots[i], p, size, 0);
			live++;
		}
		if (validate(o, h, "fill"))
			return;
		/* nothing of the smallest size fits any more, or every slot is used */
		CHECK(live == SLOTS || o->max_alloc(h) < 64 + 6 * 200);
		CHECK(o->used(h) > SMALL_ARENA / 2);
		freed = free_slots(o, h, 2, "half free");
		if (freed <= 0)
			return;
		live -= (unsigned)freed;
	}
	if (free_slots(o, h, 1, "free all") < 0)
		return;
	CHECK_EQ(o->used(h), 0);
	CHECK_EQ(o->largest_free(h), empty_largest);
	/* the whole heap in one block again */
	{
		void *p = o->alloc(h, o->max_alloc(h));

		CHECK(p != NULL);
		CHECK_EQ(o->free(h, p), 0);
		CHECK_EQ(o->check(h), 0);
	}
}

/* Alignment up to 8 KiB, and realloc in place: grow into a free right
 * neighbour, shrink where it is. */
static void test_align_realloc(const struct general_heap_ops *o)
{
	void *h = o->create(arena, ARENA);
	unsigned char *a, *b, *c, *q;

	for (size_t align = 1; align <= 8192; align <<= 1) {
		void *p[3];

		for (int i = 0; i < 3; i++) {
			p[i] = o->alloc_aligned(h, align, 24 + i * 1000);
			CHECK(p[i] && ((uintptr_t)p[i] & (align - 1)) == 0);
			CHECK(o->usable(h, p[i]) >= (size_t)(24 + i * 1000));
		}
		CHECK_EQ(o->check(h), 0);
		for (int i = 0; i < 3; i++)
			CHECK_EQ(o->free(h, p[i]), 0);
		CHECK_EQ(o->check(h), 0);
		CHECK_EQ(o->used(h), 0);
	}
	a = o->alloc(h, 256);
	b = o->alloc(h, 256);
	c = o->alloc(h, 256);
	memset(a, 7, 256);
	CHECK_EQ(o->free(h, b), 0);
	q = o->realloc(h, a, 400); /* b's room */
	CHECK(q == a);
	CHECK(q[0] == 7 && q[255] == 7);
	CHECK(o->usable(h, a) >= 400);
	CHECK_EQ(o->check(h), 0);
	q = o->realloc(h, a, 40); /* shrink in place */
	CHECK(q == a);
	CHECK(o->usable(h, a) < 256);
	CHECK_EQ(o->check(h), 0);
	q = o->realloc(h, c, 100000); /* the rest of the heap follows c */
	CHECK(q == c);
	q = o->realloc(h, a, 5000); /* moves: the copy keeps the contents */
	CHECK(q && q != a && q[0] == 7 && q[39] == 7);
	CHECK_EQ(o->free(h, q), 0);
	CHECK_EQ(o->free(h, c), 0);
	CHECK_EQ(o->check(h), 0);
	CHECK_EQ(o->used(h), 0);
	q = o->realloc(h, NULL, 64); /* realloc(NULL) allocates */
	CHECK(q != NULL);
	CHECK_EQ(o->free(h, q), 0);
}

/* The adapters through the strategy interface, over the tgl layout. */
static void test_strategy(int (*init)(struct strategy *, void *, size_t,
				      const struct smpheap_layout *),
			  size_t (*size)(const struct smpheap_layout *), const char *name)
{
	const struct smpheap_layout *l = &smpheap_layout_tgl;
	size_t len = size(l), runtime = 0, buffer = 0, sys = 0;
	void *mem = strategy_mem;
	struct strategy s;
	void *t, *r, *b, *y, *z;
	int foreign;

	CHECK(len <= STRATEGY_MEM);
	if (len > STRATEGY_MEM)
		return;
	CHECK_EQ(init(&s, mem, 100, l), -1);
	CHECK_EQ(init(&s, (char *)mem + 8, len - 8, l), -1);
	CHECK_EQ(init(&s, mem, len, l), 0);
	CHECK(strcmp(s.name, name) == 0);
	CHECK(s.bounded && !s.floor && s.heap == NULL && s.cores == l->cores);
	CHECK(strstr(s.version, "written here") != NULL);
	for (unsigned c = 0; c < l->class_count; c++)
		runtime += (size_t)l->classes[c].block_size * l->classes[c].count * l->cores;
	/* the pool's bytes less the block maps (layout.h's legacy split) */
	for (unsigned k = 0; k < l->buffer_region_count; k++)
		buffer += (size_t)l->buffer_regions[k].pages * l->page_size;
	buffer -= runtime;
	for (unsigned c = 0; c < l->cores; c++)
		sys += l->sys_size[c];
	/* one arena: either kind may draw from all of it, counted once */
	CHECK_EQ(s.ops->capacity(&s, STRAT_RUNTIME), runtime + buffer);
	CHECK_EQ(s.ops->capacity(&s, STRAT_BUFFER), runtime + buffer);
	CHECK_EQ(s.arena, runtime + buffer);
	CHECK_EQ(s.ops->capacity(&s, STRAT_SYS), sys);
	CHECK_EQ(s.max_runtime, l->classes[l->class_count - 1].block_size);
	/* the heap's control structure lives in the arena */
	CHECK(s.ops->largest_free(&s, STRAT_BUFFER) < runtime + buffer);
	/* TLSF's good fit grants up to 1/32 less than its largest free block */
	CHECK(s.ops->largest_free(&s, STRAT_BUFFER) > (runtime + buffer) / 32 * 31 - 16384);
	CHECK_EQ(s.ops->largest_free(&s, STRAT_SYS), l->sys_size[0]);

	t = s.ops->thread_init(&s, 0, 1);
	y = strategy_alloc(&s, t, 100, STRAT_SYS);
	CHECK(y && s.ops->owns(&s, y));
	CHECK_EQ(s.ops->used(&s, STRAT_SYS), 100);
	z = s.ops->alloc_ex(&s, t, STRAT_SYS, 0, 10, 256);
	CHECK(z && ((uintptr_t)z & 255) == 0);
	CHECK(strategy_alloc(&s, t, l->sys_size[1], STRAT_SYS) == NULL); /* core 1's is full */
	CHECK_EQ(strategy_free(&s, t, y, STRAT_SYS), 0); /* never freed one by one */
	s.ops->sys_reset(&s, 1);
	CHECK_EQ(s.ops->used(&s, STRAT_SYS), 0);
	CHECK(strategy_alloc(&s, t, l->sys_size[1], STRAT_SYS) == y); /* all of it again */
	s.ops->sys_reset(&s, 1);

	r = strategy_alloc(&s, t, 64, STRAT_RUNTIME);
	b = strategy_alloc(&s, t, 10000, STRAT_BUFFER);
	CHECK(r && b && s.ops->owns(&s, r) && s.ops->owns(&s, b));
	CHECK(!s.ops->owns(&s, &foreign));
	CHECK(s.ops->used(&s, STRAT_RUNTIME) >= 64 && s.ops->used(&s, STRAT_RUNTIME) < 128);
	CHECK(s.ops->used(&s, STRAT_BUFFER) >= 10000 && s.ops->used(&s, STRAT_BUFFER) < 10100);
	CHECK_EQ(s.ops->check(&s), 0);
	CHECK(s.ops->alloc_ex(&s, t, STRAT_RUNTIME, SMPHEAP_CAP_HP, 64, 0) == NULL);
	z = s.ops->alloc_ex(&s, t, STRAT_BUFFER, 0, 3000, 4096);
	CHECK(z && ((uintptr_t)z & 4095) == 0);
	z = s.ops->realloc(&s, t, z, 3000, 6000, STRAT_BUFFER);
	CHECK(z != NULL);
	CHECK(s.ops->used(&s, STRAT_BUFFER) >= 16000);
	CHECK_EQ(strategy_free(&s, t, z, STRAT_BUFFER), 0);
	CHECK_EQ(strategy_free(&s, t, NULL, STRAT_RUNTIME), 0);
	CHECK_EQ(strategy_free(&s, t, &foreign, STRAT_RUNTIME), -EINVAL);
	CHECK_EQ(strategy_free(&s, t, &foreign, STRAT_SYS), -EINVAL);
	CHECK_EQ(strategy_free(&s, t, (char *)r + 8, STRAT_RUNTIME), -EINVAL);
	CHECK_EQ(strategy_free(&s, t, r, STRAT_RUNTIME), 0);
	CHECK_EQ(strategy_free(&s, t, r, STRAT_RUNTIME), -EALREADY);
	CHECK_EQ(s.ops->used(&s, STRAT_RUNTIME), 0);
	CHECK_EQ(strategy_free(&s, t, b, STRAT_BUFFER), 0);
	CHECK_EQ(s.ops->used(&s, STRAT_BUFFER), 0);
	CHECK_EQ(s.ops->check(&s), 0);

	/* exhaustion through the interface: the arena is the two zones' bytes */
	{
		static void *held[4096];
		unsigned n = 0;
		size_t total;

		while (n < 4096 && (held[n] = strategy_alloc(&s, t, 1024, STRAT_BUFFER)))
			n++;
		total = s.ops->used(&s, STRAT_BUFFER);
		CHECK(n < 4096 && total <= runtime + buffer && total > (runtime + buffer) * 9 / 10);
		CHECK(s.ops->largest_free(&s, STRAT_RUNTIME) < 1024);
		CHECK_EQ(s.ops->check(&s), 0);
		while (n)
			CHECK_EQ(strategy_free(&s, t, held[--n], STRAT_BUFFER), 0);
		CHECK_EQ(s.ops->used(&s, STRAT_BUFFER), 0);
		CHECK(s.ops->largest_free(&s, STRAT_RUNTIME) >
		      (runtime + buffer) / 32 * 31 - 16384);
		CHECK_EQ(s.ops->check(&s), 0);
	}
	s.ops->thread_fini(&s, t);
}

int main(int argc, char **argv)
{
	static const struct general_heap_ops *const heaps[] = {&tlsf_heap_ops, &sysheap_heap_ops};
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x9e3779b97f4a7c15ull;
	unsigned ops = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 20000;

	printf("test_general_heaps: seed %#llx, %u operations\n", (unsigned long long)seed, ops);
	for (unsigned i = 0; i < sizeof(heaps) / sizeof(heaps[0]); i++) {
		test_bad_inputs(heaps[i]);
		test_random(heaps[i], seed, ops);
		test_random(heaps[i], seed ^ 0x5bd1e995u, ops / 4);
		test_exhaustion(heaps[i]);
		test_align_realloc(heaps[i]);
	}
	test_strategy(strategy_tlsf_lock_init, tlsf_lock_size, "tlsf-lock");
	test_strategy(strategy_sysheap_lock_init, sysheap_lock_size, "sysheap-lock");
	return check_report("test_general_heaps");
}
