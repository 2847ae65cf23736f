/* tgl/memory.h - a Tiger Lake-like (cAVS 2.5) audio DSP: 4 cores, 64 KiB banks.
 *
 * Where the numbers come from:
 * - 4 DSP cores, HP SRAM in 64 KiB power-gateable banks (47 banks here,
 *   3008 KiB: one for the heap's metadata, three per core group, 34 for the
 *   buffer zone; smpheap_size() is 48 banks with the LP one) and one 64 KiB
 *   bank of LP SRAM: the shape of SOF's
 *   platform/tigerlake memory map (src/platform/tigerlake/include/platform/
 *   lib/memory.h); the exact bank count there varies by SKU.
 * - System heaps: 32 KiB for the primary core, 24 KiB for the others (SOF's
 *   HEAP_SYSTEM_M_SIZE / HEAP_SYSTEM_S_SIZE for cAVS 2.x are of this order).
 * - Runtime block sizes 64..4096 as in SOF's TGL runtime/shared block maps,
 *   plus a 768-byte class so that 600-byte component structs stop taking
 *   1024-byte blocks. The counts are ours: sized so that each core's system
 *   heap and runtime shard fill three banks, which is what per-core power
 *   gating wants.
 * - The buffer zone fills the rest of HP SRAM with 256-byte pages (SOF's
 *   buffer heap block size), plus the LP bank as a low-power region.
 * The word-claim cache is off: with a handful of blocks per class, blocks
 * parked in one core's cache would starve the others.
 */
#ifndef SMPHEAP_LAYOUT_TGL_H
#define SMPHEAP_LAYOUT_TGL_H

#include "smpheap/layout.h"

static const struct smpheap_layout smpheap_layout_tgl = {
    .name = "tgl",
    .origin = "SOF tigerlake memory map shape; counts sized to 3 banks per core",
    .cores = 4,
    .bank_size = 64 * 1024,
    .sys_size = {32 * 1024, 24 * 1024, 24 * 1024, 24 * 1024},
    .sys_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED,
    .class_count = 8,
    .classes =
	{
	    {64, 128, 0},
	    {128, 128, 0},
	    {256, 96, 0},
	    {512, 48, 0},
	    {768, 16, 0},
	    {1024, 16, 0},
	    {2048, 8, 0},
	    {4096, 4, 0},
	},
    .runtime_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED | SMPHEAP_CAP_DMA,
    .page_size = 256,
    .buffer_region_count = 2,
    .buffer_regions =
	{
	    {SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_CACHED, (34 * 64 * 1024) / 256},
	    {SMPHEAP_CAP_LP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_UNCACHED, (64 * 1024) / 256},
	},
};

#endif
