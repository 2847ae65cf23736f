/* tgl/memory.h - a Tiger Lake-like (cAVS 2.5) audio DSP: 4 cores, 64 KiB banks.
 *
 * Where the numbers come from:
 * - 4 DSP cores, HP SRAM in 64 KiB power-gateable banks and one 64 KiB bank
 *   of LP SRAM: the shape of SOF's platform/tigerlake memory map
 *   (src/platform/tigerlake/include/platform/lib/memory.h); the exact bank
 *   count there varies by SKU.
 * - System heaps: 32 KiB for the primary core, 24 KiB for the others (SOF's
 *   HEAP_SYSTEM_M_SIZE / HEAP_SYSTEM_S_SIZE for cAVS 2.x are of this order),
 *   one bank each.
 * - Runtime block sizes: four per octave from 16 to 4096 bytes (SOF's TGL
 *   runtime/shared maps have 64..4096 in powers of two, plus 768 here so
 *   that 600-byte component structs stopped taking 1024-byte blocks). With
 *   powers of two, log-distributed requests wasted about a quarter of their
 *   bytes in block tails; four per octave waste about 7 %, and eight were
 *   measured worse (README, "Size classes"). smpheap cuts them from the
 *   pool on demand, in slabs of up to 4 KiB (`slab_bytes`; with 2, 4 and
 *   8 KiB: `pipeline` 502, 502, 490 pipelines, `ipc4-pipelines` 107, 107,
 *   96, `fill` at 100 % 92.9, 93.5, 91.5 % served). The `count` column
 *   is the fixed per-core block map of the seed's design (SOF's
 *   power-of-two sizes only; 0 for the others), 444 blocks (528 KiB on 4
 *   cores), kept only so that the bench's blockmap-lock can build the
 *   legacy heap of the same bytes.
 * - `tgl`: one HP pool shared by the runtime and buffer zones, of exactly
 *   those 528 KiB plus the 34 banks SOF gives its buffer heap (10816 pages
 *   of 256 bytes, SOF's buffer block size), and the LP bank as a low-power
 *   buffer region: 2.83 MB of runtime and buffer bytes, as before.
 * - `tgl-split`: the same pool, with SOF's split as byte quotas (runtime at
 *   most 528 KiB, buffer at most its 34 banks + LP), to show what sharing
 *   the pool buys.
 * The word-claim cache is off: a DSP has one context per core, and the
 * pure path is what a DSP wants for bounded latency.
 */
#ifndef SMPHEAP_LAYOUT_TGL_H
#define SMPHEAP_LAYOUT_TGL_H

#include "smpheap/layout.h"

#define SMPHEAP_TGL_RUNTIME_BYTES (4 * 135168) /* 4 cores x the legacy map below */
#define SMPHEAP_TGL_BUFFER_BYTES (34 * 64 * 1024)

#define SMPHEAP_LAYOUT_TGL_BODY                                                                      \
	.origin = "SOF tigerlake memory map shape; one HP pool of SOF's runtime + buffer bytes",     \
	.cores = 4, .bank_size = 64 * 1024,                                                          \
	.sys_size = {32 * 1024, 24 * 1024, 24 * 1024, 24 * 1024},                                    \
	.sys_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED, .class_count = 28,                          \
	.classes =                                                                                   \
	    {                                                                                        \
		{16, 0, 0},   {32, 0, 0},    {48, 0, 0},   {64, 128, 0}, {80, 0, 0},   {96, 0, 0},   \
		{112, 0, 0},  {128, 128, 0}, {160, 0, 0},  {192, 0, 0},	 {224, 0, 0},  {256, 96, 0}, \
		{320, 0, 0},  {384, 0, 0},   {448, 0, 0},  {512, 48, 0}, {640, 0, 0},  {768, 16, 0}, \
		{896, 0, 0},  {1024, 16, 0}, {1280, 0, 0}, {1536, 0, 0}, {1792, 0, 0}, {2048, 8, 0}, \
		{2560, 0, 0}, {3072, 0, 0},  {3584, 0, 0}, {4096, 4, 0},                             \
	},                                                                                           \
	.slab_bytes = 4096, .runtime_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED | SMPHEAP_CAP_DMA,   \
	.page_size = 256, .buffer_region_count = 2,                                                  \
	.buffer_regions = {                                                                          \
	    {SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_CACHED,                                  \
	     (SMPHEAP_TGL_RUNTIME_BYTES + SMPHEAP_TGL_BUFFER_BYTES) / 256,                           \
	     SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER},                                            \
	    {SMPHEAP_CAP_LP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_UNCACHED, (64 * 1024) / 256,             \
	     SMPHEAP_POOL_BUFFER},                                                                   \
	}

static const struct smpheap_layout smpheap_layout_tgl = {
    .name = "tgl",
    SMPHEAP_LAYOUT_TGL_BODY,
};

static const struct smpheap_layout smpheap_layout_tgl_split = {
    .name = "tgl-split",
    SMPHEAP_LAYOUT_TGL_BODY,
    .runtime_quota = SMPHEAP_TGL_RUNTIME_BYTES,
    .buffer_quota = SMPHEAP_TGL_BUFFER_BYTES + 64 * 1024,
};

#endif
