/* test_hotplug.c - a core goes down and comes back: its system heap resets,
 * its shard stops serving but still takes frees, its free banks are powered
 * off (now, and by a later sweep), and core_up restores everything. On the
 * host also: the grace period really waits for a reader, and a powered-off
 * bank really leaves RSS. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "test_heap.h"

#ifdef SMPHEAP_TEST_HOSTED
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#endif

static struct smpheap_stats st(struct smpheap *h, enum smpheap_zone z)
{
	struct smpheap_stats s;

	smpheap_stats(h, z, &s);
	return s;
}

static unsigned char bank_is_off(struct smpheap *h, void *p)
{
	return atomic_load(&h->bank_off[((uintptr_t)p - h->zones_base) >> h->bank_shift]);
}

static void test_down_up(void)
{
	struct smpheap *h = test_heap_create(&smpheap_layout_tgl);
	void *own[4], *more, *big;
	size_t off, hp = (size_t)h->regions[0].pages << h->page_shift;
	int hp_banks = (int)((hp + ((size_t)1 << h->bank_shift) - 1) >> h->bank_shift);

	CHECK(h != NULL);
	if (!h)
		return;
	for (int i = 0; i < 4; i++) {
		own[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
		CHECK(own[i] != NULL);
		if (own[i])
			memset(own[i], 0x42, 4096);
	}
	CHECK_EQ(smpheap_core_is_up(h, 1), 1);
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(smpheap_core_down(h, 1), -EALREADY);
	CHECK_EQ(smpheap_core_is_up(h, 1), 0);
	CHECK_EQ(smpheap_check(h), 0);
	/* Core 1's system bank is off, and so is every pool bank with no
	 * live page, whichever core used it; the bank with the blocks is on. */
	off = st(h, SMPHEAP_ZONE_RUNTIME).banks_released;
	CHECK(off >= 1 + 30);
	CHECK_EQ(bank_is_off(h, (void *)h->sys[1].base), 1);
	CHECK_EQ(bank_is_off(h, own[0]), 0);
	CHECK(((unsigned char *)own[3])[4095] == 0x42);
	CHECK_EQ(smpheap_core_sweep(h, 1), 0); /* nothing new to release */
	/* Frees from any core still work; the bank they free is swept next. */
	for (int i = 0; i < 4; i++)
		CHECK_EQ(smpheap_free(h, own[i]), 0);
	CHECK_EQ(smpheap_free(h, own[0]), -EALREADY);
	/* The current slabs of core 0 are not retired (hysteresis) until
	 * core 0 goes down too. */
	CHECK_EQ(smpheap_check(h), 0);

	/* The pool wakes its banks before it reports exhaustion: a buffer of
	 * the whole HP pool, then nothing more. */
	big = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, hp - 16 * 1024);
	CHECK(big != NULL);
	CHECK(st(h, SMPHEAP_ZONE_RUNTIME).banks_released <= 1);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_free(h, big), 0);
	/* Every HP bank but the one with core 0's current slab, and LP (the
	 * pool woke every bank that was off). */
	CHECK_EQ(smpheap_bank_sweep(h), hp_banks - 1 + 1);
	CHECK_EQ(smpheap_check(h), 0);

	/* Back up: the system heap serves again. */
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	CHECK_EQ(smpheap_core_up(h, 1), -EALREADY);
	CHECK_EQ(smpheap_core_sweep(h, 1), -EAGAIN);
	CHECK_EQ(bank_is_off(h, (void *)h->sys[1].base), 0);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).used, 0);
	CHECK_EQ(smpheap_check(h), 0);

	/* Core 0 can go down too (a controller on another core would do it);
	 * its system heap is reset, its current slabs go back to the pool. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 1000) != NULL);
	CHECK(st(h, SMPHEAP_ZONE_SYS).used >= 1000);
	CHECK_EQ(smpheap_core_down(h, 0), 0);
	CHECK_EQ(st(h, SMPHEAP_ZONE_SYS).used, 0);
	CHECK(st(h, SMPHEAP_ZONE_SYS).peak >= 1000);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).banks_released, (size_t)hp_banks + 1 + 1);
	/* A system allocation by a down core fails cleanly. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16) == NULL);
	/* Runtime allocations still work (pages are no core's). */
	more = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(more != NULL);
	CHECK_EQ(smpheap_free(h, more), 0);
	CHECK_EQ(smpheap_core_up(h, 0), 0);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16) != NULL);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
}

#ifdef SMPHEAP_TEST_HOSTED
static atomic_int reader_in, reader_done;

static void *reader(void *arg)
{
	struct timespec ms200 = {0, 200 * 1000 * 1000};

	(void)arg;
	smph_platform_read_lock();
	atomic_store(&reader_in, 1);
	nanosleep(&ms200, NULL);
	atomic_store(&reader_done, 1);
	smph_platform_read_unlock();
	return NULL;
}

/* core_down must not power banks off before a grace period: a reader
 * inside its read-side section holds core_down back. */
static void test_grace_period(void)
{
	struct smpheap *h = test_heap_create(&smpheap_layout_tgl);
	pthread_t t;

	CHECK(h != NULL);
	if (!h)
		return;
	pthread_create(&t, NULL, reader, NULL);
	while (!atomic_load(&reader_in))
		sched_yield();
	CHECK_EQ(smpheap_core_down(h, 2), 0);
	CHECK_EQ(atomic_load(&reader_done), 1);
	pthread_join(t, NULL);
	test_heap_destroy(h);
}

/* Resident pages of [p, p+len). */
static size_t resident(void *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec[64];
	size_t n = len / (size_t)page, r = 0;

	if (n > sizeof(vec) || mincore(p, len, vec))
		return (size_t)-1;
	for (size_t i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

/* A bank powered off leaves RSS (madvise), a system heap is per core. */
static void test_power_off_rss(void)
{
	struct smpheap *h = test_heap_create(&smpheap_layout_tgl);
	unsigned char *sys1;
	void *bank;

	CHECK(h != NULL);
	if (!h)
		return;
	test_act_as(1);
	sys1 = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 24 * 1024);
	CHECK(sys1 && (uintptr_t)sys1 == h->sys[1].base);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16) == NULL); /* core 1's heap is full */
	test_act_as(0);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16) != NULL); /* core 0's is not */
	if (!sys1)
		return;
	memset(sys1, 0xee, 24 * 1024);
	bank = (void *)h->sys[1].base;
	CHECK_EQ(resident(bank, 24 * 1024), 24 * 1024 / sysconf(_SC_PAGESIZE));
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(resident(bank, 24 * 1024), 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	test_act_as(1);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 24 * 1024) == sys1); /* reset */
	test_act_as(0);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
}
#endif

int main(void)
{
	if (test_act_as(0))
		return 1;
	test_down_up();
#ifdef SMPHEAP_TEST_HOSTED
	test_grace_period();
	test_power_off_rss();
#endif
	return check_report("test_hotplug");
}
