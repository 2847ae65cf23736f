/* tlsf_lock.c - "tlsf-lock": TLSF (tlsf.c) under one TTAS spinlock around
 * each call, as ESP-IDF, NuttX and RIOT use it, over a layout's bytes (see
 * locked_heap.h for the arena, the system heaps and what the macro
 * defines). */
#include "locked_heap.h"
#include "tlsf.h"

LOCKED_HEAP_STRATEGY(tlsf, TLSF_ALIGN, "tlsf-lock",
		     "TLSF (Masmano et al., ECRTS 2004), written here; one TTAS spinlock")
