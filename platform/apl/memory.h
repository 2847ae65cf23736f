/* apl/memory.h - an Apollo Lake-like (cAVS 1.5) audio DSP: 2 cores, smaller.
 *
 * Where the numbers come from:
 * - 2 DSP cores, 9 banks of 64 KiB HP SRAM (576 KiB: one for the heap's
 *   metadata, one per core group, six for the buffer zone; smpheap_size() is
 *   10 banks with the LP one) and 64 KiB of LP SRAM: the shape of SOF's
 *   platform/apollolake memory map (8 or more HP banks by SKU).
 * - System heaps 16 KiB (primary) and 12 KiB: half of tgl's, as APL's
 *   firmware runs fewer system components.
 * - Runtime block sizes 64..2048 as in SOF's APL block maps, cut on demand
 *   from one HP pool shared with the buffer zone: the legacy per-core
 *   counts (kept for blockmap-lock only) make 88 KiB on 2 cores, and the
 *   pool is those plus the 6 banks of the buffer heap, in 256-byte pages;
 *   plus LP as a buffer region.
 * The word-claim cache is off (one context per core).
 */
#ifndef SMPHEAP_LAYOUT_APL_H
#define SMPHEAP_LAYOUT_APL_H

#include "smpheap/layout.h"

static const struct smpheap_layout smpheap_layout_apl = {
    .name = "apl",
    .origin = "SOF apollolake memory map shape; one HP pool of runtime + buffer bytes",
    .cores = 2,
    .bank_size = 64 * 1024,
    .sys_size = {16 * 1024, 12 * 1024},
    .sys_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED,
    .class_count = 6,
    .classes =
	{
	    {64, 64, 0},
	    {128, 64, 0},
	    {256, 32, 0},
	    {512, 16, 0},
	    {1024, 8, 0},
	    {2048, 4, 0},
	},
    .runtime_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED | SMPHEAP_CAP_DMA,
    .page_size = 256,
    .buffer_region_count = 2,
    .buffer_regions =
	{
	    {SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_CACHED,
	     (2 * 45056 + 6 * 64 * 1024) / 256, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER},
	    {SMPHEAP_CAP_LP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_UNCACHED, (64 * 1024) / 256,
	     SMPHEAP_POOL_BUFFER},
	},
};

#endif
