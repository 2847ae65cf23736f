/* stress_layouts.h - layouts of the stress driver's own.
 *
 * "small": a heap so small that a handful of workers drive every zone to
 * exhaustion within milliseconds and keep it there, so that failing cleanly
 * (NULL, counted, nothing corrupted) and recovering as blocks come back are
 * exercised all the time rather than never. 4 KiB banks make core_down power
 * off banks at a fine grain, and two cores let one of them go down while the
 * other runs. Portable (plain data): the Xtensa driver uses it too.
 */
#ifndef SMPHEAP_STRESS_LAYOUTS_H
#define SMPHEAP_STRESS_LAYOUTS_H

#include "smpheap/layout.h"

static const struct smpheap_layout stress_layout_small = {
    .name = "small",
    .origin = "smpheap-stress: tiny on purpose, to keep every zone at exhaustion",
    .cores = 2,
    .bank_size = 4096,
    .sys_size = {4096, 2048},
    .sys_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED,
    .class_count = 5,
    .classes =
	{
	    {16, 32, 0},
	    {48, 16, 0},
	    {64, 16, 0},
	    {256, 8, 0},
	    {1024, 4, 0},
	},
    .runtime_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED | SMPHEAP_CAP_DMA,
    .page_size = 256,
    .buffer_region_count = 2,
    .buffer_regions =
	{
	    /* the old 64 buffer pages plus the 66 of the old per-core block
	     * maps, one pool shared by the runtime and buffer zones */
	    {SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_CACHED, 64 + 66,
	     SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER},
	    {SMPHEAP_CAP_LP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_UNCACHED, 16, SMPHEAP_POOL_BUFFER},
	},
    .slab_bytes = 1024, /* 4-page slabs: a tiny pool */
};

#endif /* SMPHEAP_STRESS_LAYOUTS_H */
