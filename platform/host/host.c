/* host.c - the host platform: Linux threads act as cores.
 *
 * Core identity is a thread-local set by smpheap_host_bind() (or, for a
 * thread that never binds, the CPU it first allocates on). Pinning and the
 * topology come from hwloc, grace periods from liburcu's "bulletproof"
 * flavour (no thread registration, so any thread may steal), and a powered-off
 * bank is madvise(MADV_DONTNEED): its pages go back to the kernel, RSS shows
 * it, and they read as zeros when touched again.
 */
#define SMPHEAP_PLATFORM_SELF_TLS 1 /* we define smph_platform_self */
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <urcu-bp.h>

#include "smpheap/host.h"
#include "smpheap/platform.h"

/* This thread's core and slot (smpheap/platform.h): the heap reads them
 * inline; the functions below fill them the first time. */
_Thread_local struct smph_platform_self smph_platform_self = {SMPHEAP_SELF_UNSET,
							      SMPHEAP_SELF_UNSET};

/* Thread slots: a small number per live thread (see smpheap/platform.h),
 * taken from a bitmap on a thread's first allocation and given back by a
 * thread-specific-data destructor when it exits, after its caches are
 * flushed. */
#define SLOT_UNSET SMPHEAP_SELF_UNSET
static _Atomic unsigned long long slots_taken; /* bit i: slot i is some thread's */
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static void slot_release(void *arg)
{
	unsigned slot = (unsigned)(uintptr_t)arg - 1;

	smpheap_thread_flush(slot);
	smph_platform_self.slot = SMPHEAP_NO_THREAD_SLOT;
	atomic_fetch_and(&slots_taken, ~(1ull << slot));
}

static void slot_key_create(void)
{
	(void)pthread_key_create(&slot_key, slot_release);
}

static __attribute__((noinline)) unsigned slot_take(void)
{
	unsigned long long taken = atomic_load(&slots_taken);

	_Static_assert(SMPHEAP_THREAD_SLOTS <= 64, "one word of slot bits");
	pthread_once(&slot_once, slot_key_create);
	/* liburcu-bp registers a thread on its first read-side section, under
	 * a mutex: do it here, on the thread's first allocation, so that no
	 * later steal (runtime.c) ever waits for a lock. */
	urcu_bp_register_thread();
	smph_platform_self.slot = SMPHEAP_NO_THREAD_SLOT; /* if all are taken */
	while (~taken) {
		unsigned slot = (unsigned)__builtin_ctzll(~taken);

		if (slot >= SMPHEAP_THREAD_SLOTS)
			break;
		if (atomic_compare_exchange_weak(&slots_taken, &taken, taken | (1ull << slot))) {
			smph_platform_self.slot = slot;
			(void)pthread_setspecific(slot_key, (void *)(uintptr_t)(slot + 1));
			break;
		}
	}
	return smph_platform_self.slot;
}

unsigned smph_platform_thread_slot(void)
{
	unsigned s = smph_platform_self.slot;

	return __builtin_expect(s != SLOT_UNSET, 1) ? s : slot_take();
}

static pthread_once_t topo_once = PTHREAD_ONCE_INIT;
static hwloc_topology_t topo;
static unsigned topo_pus = 1, topo_cores = 1;
static char topo_summary[512];

static void topo_load(void)
{
	int pus, cores, packages;
	hwloc_obj_t root;
	const char *model = NULL;
	unsigned long long l3 = 0;

	if (hwloc_topology_init(&topo) || hwloc_topology_load(topo)) {
		snprintf(topo_summary, sizeof(topo_summary), "hwloc: topology unavailable");
		return;
	}
	pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	topo_pus = pus > 0 ? (unsigned)pus : 1;
	topo_cores = cores > 0 ? (unsigned)cores : topo_pus;
	root = hwloc_get_root_obj(topo);
	if (packages > 0)
		model = hwloc_obj_get_info_by_name(
		    hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0), "CPUModel");
	if (!model)
		model = hwloc_obj_get_info_by_name(root, "CPUModel");
	for (int i = 0; i < hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_L3CACHE); i++)
		l3 += hwloc_get_obj_by_type(topo, HWLOC_OBJ_L3CACHE, i)->attr->cache.size;
	snprintf(topo_summary, sizeof(topo_summary),
		 "%d package(s), %u core(s), %u PU(s), L3 %llu KiB total, %s", packages, topo_cores,
		 topo_pus, l3 / 1024, model ? model : "unknown CPU model");
}

static void topo_init(void)
{
	pthread_once(&topo_once, topo_load);
}

unsigned smpheap_host_pus(void)
{
	topo_init();
	return topo_pus;
}

unsigned smpheap_host_cores(void)
{
	topo_init();
	return topo_cores;
}

const char *smpheap_host_topology(void)
{
	topo_init();
	return topo_summary;
}

int smpheap_host_bind(unsigned core)
{
	hwloc_obj_t pu;

	if (core >= SMPHEAP_MAX_CORES)
		return -EINVAL;
	/* The thread's slot and its liburcu registration (each may take a
	 * lock once) now, so that no allocation of this thread ever does. */
	(void)smph_platform_thread_slot();
	/* Cached blocks come from the old core's shard: give them back. */
	if (smph_platform_self.core != core && smph_platform_self.slot < SMPHEAP_THREAD_SLOTS)
		smpheap_thread_flush(smph_platform_self.slot);
	smph_platform_self.core = core;
	topo_init();
	pu = topo ? hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, core % topo_pus) : NULL;
	if (pu)
		(void)hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD);
	return 0;
}

static __attribute__((noinline)) unsigned bind_lazily(void)
{
	int cpu = sched_getcpu();

	smph_platform_self.core = cpu > 0 ? (unsigned)cpu % SMPHEAP_MAX_CORES : 0;
	return smph_platform_self.core;
}

unsigned smpheap_host_core(void)
{
	unsigned c = smph_platform_self.core;

	return __builtin_expect(c != SMPHEAP_SELF_UNSET, 1) ? c : bind_lazily();
}

unsigned smph_platform_core_id(void)
{
	return smpheap_host_core();
}

void smph_platform_read_lock(void)
{
	urcu_bp_read_lock();
}

void smph_platform_read_unlock(void)
{
	urcu_bp_read_unlock();
}

void smph_platform_synchronize(void)
{
	urcu_bp_synchronize_rcu();
}

void smph_platform_bank_power(void *addr, size_t len, bool on)
{
	/* Powering on needs nothing: the kernel maps zeroed pages on touch. */
	if (!on)
		(void)madvise(addr, len, MADV_DONTNEED);
}

struct smpheap *smpheap_host_create(const struct smpheap_layout *layout)
{
	size_t size = smpheap_size(layout), align = smpheap_alignment(layout);
	uintptr_t raw, aligned;
	void *map;
	struct smpheap *h;

	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	map = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	/* Trim to exactly [aligned, aligned + size), so destroy can unmap
	 * knowing only the heap and its layout. */
	raw = (uintptr_t)map;
	aligned = (raw + align - 1) & ~(uintptr_t)(align - 1);
	if (aligned > raw)
		munmap(map, aligned - raw);
	if (raw + size + align > aligned + size)
		munmap((void *)(aligned + size), raw + size + align - (aligned + size));
	h = smpheap_init((void *)aligned, size, layout);
	if (!h) {
		munmap((void *)aligned, size);
		errno = EINVAL;
	}
	return h;
}

void smpheap_host_destroy(struct smpheap *h)
{
	if (h) {
		size_t size = smpheap_size(smpheap_layout(h));

		smpheap_fini(h);
		munmap(h, size);
	}
}
