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

static unsigned owner_core(struct smpheap *h, void *p)
{
	unsigned idx = 999;

	return smph_locate(h, (uintptr_t)p, &idx) == SMPH_AT_SHARD ? idx : 999;
}

static void test_down_up(void)
{
	struct smpheap *h = test_heap_create(&smpheap_layout_tgl);
	void *own[4], *stolen[4], *more;
	unsigned banks_per_core;

	CHECK(h != NULL);
	if (!h)
		return;
	banks_per_core = (unsigned)((h->group_end[1] - h->sys[1].base) >> h->bank_shift);
	CHECK_EQ(banks_per_core, 3);
	/* Core 0's 4096 class has 4 blocks; the next 4 are stolen from core 1. */
	for (int i = 0; i < 4; i++) {
		own[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
		CHECK_EQ(owner_core(h, own[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		stolen[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
		CHECK_EQ(owner_core(h, stolen[i]), 1);
		memset(stolen[i], 0x42, 4096);
	}
	CHECK_EQ(smpheap_core_is_up(h, 1), 1);
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(smpheap_core_down(h, 1), -EALREADY);
	CHECK_EQ(smpheap_core_is_up(h, 1), 0);
	CHECK_EQ(smpheap_check(h), 0);
	/* Banks with no live block are off; the one with the 4096 blocks is on. */
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).banks_released, banks_per_core - 1);
	CHECK_EQ(h->bank_off[((uintptr_t)stolen[0] - h->zones_base) >> h->bank_shift], 0);
	/* Live blocks survive; the down shard serves nobody: the next 4096
	 * comes from core 2. */
	CHECK(((unsigned char *)stolen[3])[4095] == 0x42);
	more = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
	CHECK_EQ(owner_core(h, more), 2);
	CHECK_EQ(smpheap_core_sweep(h, 1), 0); /* nothing new to release */
	/* Frees of the down core's blocks still work, from any core. */
	for (int i = 0; i < 4; i++)
		CHECK_EQ(smpheap_free(h, stolen[i]), 0);
	CHECK_EQ(smpheap_free(h, stolen[0]), -EALREADY);
	CHECK_EQ(smpheap_core_sweep(h, 1), 1);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).banks_released, banks_per_core);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).bank_release_count, banks_per_core);
	CHECK_EQ(smpheap_check(h), 0);

	/* Back up: banks on, the shard serves again. */
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	CHECK_EQ(smpheap_core_up(h, 1), -EALREADY);
	CHECK_EQ(smpheap_core_sweep(h, 1), -EAGAIN);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).banks_released, 0);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).bank_release_count, banks_per_core);
	stolen[0] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
	CHECK_EQ(owner_core(h, stolen[0]), 1);
	if (stolen[0])
		memset(stolen[0], 1, 4096); /* powered-on memory is writable */
	CHECK_EQ(smpheap_free(h, stolen[0]), 0);
	CHECK_EQ(smpheap_free(h, more), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(smpheap_free(h, own[i]), 0);
	CHECK_EQ(st(h, SMPHEAP_ZONE_RUNTIME).used, 0);
	CHECK_EQ(smpheap_check(h), 0);

	/* Core 0 can go down too (a controller on another core would do it);
	 * its system heap is reset. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 1000) != NULL);
	CHECK(st(h, SMPHEAP_ZONE_SYS).used >= 1000);
	CHECK_EQ(smpheap_core_down(h, 0), 0);
	CHECK_EQ(st(h, SMPHEAP_ZONE_SYS).used, 0);
	CHECK(st(h, SMPHEAP_ZONE_SYS).peak >= 1000);
	/* A system allocation by a down core fails cleanly. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16) == NULL);
	/* Runtime allocations made as a down core are served by the others. */
	more = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(more && owner_core(h, more) != 0);
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

/* core_down must not release banks while a stealer may still be scanning:
 * a reader inside its read-side section holds core_down back. */
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
