/* smpheap/platform.h - what the heap asks of a platform.
 *
 * lib/ never includes an OS header. A platform (platform/host, platform/xtensa,
 * or a board port of yours) provides these functions at link time. Each one
 * is called from the places named in its comment; none may allocate.
 */
#ifndef SMPHEAP_PLATFORM_H
#define SMPHEAP_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The core the caller runs (or acts) as. Any value is accepted: the heap
 * reduces it modulo the layout's core count. Called on every allocation, so
 * it must be cheap (a register read on a DSP, a thread-local on the host). */
unsigned smph_platform_core_id(void);

/* RCU read-side section around the heap's scans of other cores' shards.
 * Must be wait-free and nestable; must not block. */
void smph_platform_read_lock(void);
void smph_platform_read_unlock(void);

/* Waits until every read-side section that began before the call has ended
 * (a grace period). Called from smpheap_core_down() only; may block. */
void smph_platform_synchronize(void);

/* Powers the memory [addr, addr+len) (whole banks) off or on. Off: its
 * contents are lost and it must not be touched until powered on again; the
 * platform writes back and invalidates the data cache first where it has one.
 * On the host this is madvise(MADV_DONTNEED), so RSS shows it. */
void smph_platform_bank_power(void *addr, size_t len, bool on);

/* A small number naming the calling thread among the live ones, below
 * SMPHEAP_THREAD_SLOTS, reused after the thread exits; or
 * SMPHEAP_NO_THREAD_SLOT. A thread with a slot gets single-writer counters
 * and, in classes with cache_max > 0, the word-claim cache. Optional: the
 * library's weak default gives no thread a slot (bare metal: one context
 * per core, pure lock-free path). Called on every allocation and free,
 * unless lib/ is built with SMPHEAP_PLATFORM_NO_THREAD_SLOTS (the Xtensa
 * build), which makes "no slot" a constant. */
#define SMPHEAP_THREAD_SLOTS 64u
#define SMPHEAP_NO_THREAD_SLOT 0xfffffffeu
unsigned smph_platform_thread_slot(void);

/* Required only of a platform that builds lib/ with
 * SMPHEAP_PLATFORM_ONE_CONTEXT_PER_CORE, the declaration that each core
 * runs one context that allocates or frees (no allocation or free from an
 * interrupt handler or from a thread preempting another on the same core;
 * README, Speed): the number of cores that may call the heap, their ids
 * 0..n-1. A heap whose layout has fewer cores (so that two cores would act
 * as one) does not rely on the declaration. Called by smpheap_init(). */
unsigned smph_platform_core_count(void);

/* Optional: a platform whose atomics GCC can only call (Xtensa: its
 * __atomic_* library functions) may give lib/ its 4-byte compare-and-swap
 * and read-modify-writes as functions of its own, and build lib/ with
 * SMPHEAP_PLATFORM_RMW32 and link-time optimisation, which inlines them
 * into the heap's paths. Same contracts as the C11 operations: `mo` is a
 * __ATOMIC_* order; cas32 returns the value it found (== expected: it
 * stored `desired`), the others the old value. */
unsigned smph_platform_cas32(volatile void *p, unsigned expected, unsigned desired, int smo,
			     int fmo);
unsigned smph_platform_exchange32(volatile void *p, unsigned v, int mo);
unsigned smph_platform_fetch_add32(volatile void *p, unsigned v, int mo);
unsigned smph_platform_fetch_and32(volatile void *p, unsigned v, int mo);
unsigned smph_platform_fetch_or32(volatile void *p, unsigned v, int mo);

/* Optional: the calling thread's identity as a thread-local, read inline on
 * every allocation and free instead of calling the two functions above. A
 * platform whose threads have C11 thread-locals defines it (the host does)
 * and builds lib/ with SMPHEAP_PLATFORM_SELF_TLS defined. A field holds
 * SMPHEAP_SELF_UNSET until the platform knows it; the heap then calls the
 * matching function above, which must fill it. Fields change only in their
 * own thread. */
#define SMPHEAP_SELF_UNSET 0xffffffffu
struct smph_platform_self {
	unsigned core; /* what smph_platform_core_id() returns, or SMPHEAP_SELF_UNSET */
	unsigned slot; /* what smph_platform_thread_slot() returns, or SMPHEAP_SELF_UNSET */
};
/* initial-exec: an access is one load from the thread pointer, not a
 * call of __tls_get_addr (and the register saves around it) that the
 * -fPIC build of lib/ would otherwise make; a program that dlopen()s the
 * heap needs static TLS room for it (glibc keeps some). */
#if defined(SMPHEAP_PLATFORM_SELF_TLS) && !defined(__cplusplus)
extern _Thread_local struct smph_platform_self smph_platform_self
    __attribute__((tls_model("initial-exec")));
#endif

/* What a platform calls into the library about its threads:
 * - smpheap_thread_flush(slot): the thread owning `slot` gives back every
 *   block it holds in any live heap's cache. Call it from that thread when
 *   it starts acting as another core, and when it exits (before the slot is
 *   reused). Never blocks. */
void smpheap_thread_flush(unsigned slot);

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_PLATFORM_H */
