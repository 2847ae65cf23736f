/* smpheap/host.h - the host (Linux, pthreads, hwloc, liburcu) platform.
 *
 * Link smpheap::host (it brings smpheap::smpheap). Every function here is
 * thread-safe.
 */
#ifndef SMPHEAP_HOST_H
#define SMPHEAP_HOST_H

#include "smpheap/smpheap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A built-in layout: "host" (core count from hwloc, generous sizes), "tgl"
 * (Tiger Lake-like, 4 cores) or "apl" (Apollo Lake-like, 2 cores).
 * NULL if the name is unknown. The layout is static; never free it. */
const struct smpheap_layout *smpheap_layout_by_name(const char *name);

/* Names of the built-in layouts, NULL-terminated. */
const char *const *smpheap_layout_names(void);

/* Maps smpheap_size(layout) bytes (bank-aligned, untouched until used) and
 * builds a heap there. NULL on failure (errno set). */
struct smpheap *smpheap_host_create(const struct smpheap_layout *layout);

/* Unmaps a heap made by smpheap_host_create(). No operation may be in flight.
 * NULL is accepted. */
void smpheap_host_destroy(struct smpheap *h);

/* From now on this thread allocates as `core`, and is pinned with hwloc to the
 * PU `core` modulo the machine's PUs (pinning failure is not an error: the
 * thread still acts as `core`). Returns 0, or -EINVAL for core >=
 * SMPHEAP_MAX_CORES. A thread that never binds acts as the CPU it first
 * allocates on (sched_getcpu()). Binding also gives the thread its slot and
 * registers it with liburcu-bp, each of which may take a lock once; a thread
 * that never binds does that in its first allocation. */
int smpheap_host_bind(unsigned core);

/* The core this thread acts as (binding it lazily, unpinned, if it has not). */
unsigned smpheap_host_core(void);

/* Processing units (hardware threads) and cores hwloc sees on this machine. */
unsigned smpheap_host_pus(void);
unsigned smpheap_host_cores(void);

/* A one-line summary of the machine's topology from hwloc (static buffer). */
const char *smpheap_host_topology(void);

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_HOST_H */
