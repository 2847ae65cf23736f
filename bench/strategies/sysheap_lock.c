/* sysheap_lock.c - "sysheap-lock": a heap of Zephyr sys_heap's design
 * (sysheap.c) under one TTAS spinlock around each call, as k_heap holds a
 * k_spinlock around sys_heap (SOF's zephyr/lib/alloc.c allocates this way),
 * over a layout's bytes (see locked_heap.h for the arena, the system heaps
 * and what the macro defines). */
#include "locked_heap.h"
#include "sysheap.h"

LOCKED_HEAP_STRATEGY(sysheap, SYSHEAP_CHUNK, "sysheap-lock",
		     "a heap of sys_heap's design, written here; one TTAS spinlock, as k_heap")
