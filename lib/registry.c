/* registry.c - the heaps with thread slots, so that a thread that exits or
 * changes core can find the heaps it holds cached words of (tcache.c). */
#include "tcache.h"

#define SMPH_MAX_HEAPS 64 /* heaps with thread slots alive at once */

/* Heaps with thread slots. A thread that exits or changes core walks this
 * (under an RCU read-side section) to give back what it holds; smpheap_fini()
 * takes a heap out and waits a grace period before its memory may go. */
static SMPH_ATOMIC(struct smpheap *) smph_heaps[SMPH_MAX_HEAPS];

bool smph_registry_add(struct smpheap *h)
{
	for (unsigned i = 0; i < SMPH_MAX_HEAPS; i++) {
		struct smpheap *none = NULL;

		/* Release: a thread that finds h here sees it initialised. */
		if (smph_cas_strong(&smph_heaps[i], &none, h, smph_release, smph_relaxed)) {
			h->registry_index = i;
			return true;
		}
	}
	return false;
}

void smpheap_fini(struct smpheap *h)
{
	if (!h || h->magic != SMPH_MAGIC)
		return;
	h->magic = 0;
	if (h->tcache_slots) {
		smph_store(&smph_heaps[h->registry_index], NULL, smph_relaxed);
		/* A thread flushing into h may have found it before the store
		 * above: wait until it is done. */
		smph_platform_synchronize();
	}
}

void smpheap_thread_flush(unsigned slot)
{
	smph_platform_read_lock();
	for (unsigned i = 0; i < SMPH_MAX_HEAPS; i++) {
		/* Acquire: pairs with smph_registry_add(). */
		struct smpheap *h = smph_load(&smph_heaps[i], smph_acquire);

		if (h && slot < h->tcache_slots)
			smph_tcache_flush(h, &h->tcache[slot]);
	}
	smph_platform_read_unlock();
}
