/* host/memory.h - the default layout for host SMP machines.
 *
 * Not a DSP: sizes are generous so benchmarks and stress tests measure the
 * allocator, not exhaustion. The core count is the machine's (hwloc), so
 * smpheap_layout_by_name("host") fills it in at run time from this template.
 * - System heaps: 1 MiB for core 0, 256 KiB for the others.
 * - Runtime classes: 16 B to 4 KiB in steps of 1x and 1.5x powers of two, so
 *   no request wastes more than a third of its block (600 B takes 768 B).
 * - One HP pool in 1 KiB pages shared by the runtime and buffer zones: the
 *   buffer zone's 64 MiB plus the bytes the class counts give every core
 *   (about 3.3 MiB a core; layouts.c adds them once it knows the cores),
 *   and 4 MiB of LP for buffers. smpheap cuts slabs on demand and ignores
 *   the counts; the bench's legacy heaps take that split of the same bytes.
 * - 64 KiB banks, as on the DSPs, so power-off is exercised the same way.
 * - The word-claim cache is on up to 1 KiB blocks: each thread may hold up
 *   to one slab's word of free blocks per class (63 small blocks, down to
 *   8 of 1 KiB). It is off from
 *   1.5 KiB up: there a word would bring 2 to 4 blocks, and taking and
 *   giving back a word costs up to four atomic read-modify-writes, more
 *   than the one CAS per block of the pure path (the handoff benchmark
 *   measured 4 KiB blocks 16 % slower with it on).
 */
#ifndef SMPHEAP_LAYOUT_HOST_H
#define SMPHEAP_LAYOUT_HOST_H

#include "smpheap/layout.h"
#include "smpheap/platform.h"

#define SMPHEAP_HOST_SYS0 (1024 * 1024)
#define SMPHEAP_HOST_SYSN (256 * 1024)

static const struct smpheap_layout smpheap_layout_host_template = {
    .name = "host",
    .origin = "generous host defaults; core count from hwloc",
    .cores = 1, /* replaced by the machine's core count */
    .bank_size = 64 * 1024,
    .sys_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED,
    .class_count = 16,
    .classes =
	{
	    {16, 4096, 64},
	    {32, 4096, 64},
	    {48, 2048, 64},
	    {64, 4096, 64},
	    {96, 2048, 64},
	    {128, 2048, 64},
	    {192, 1024, 32},
	    {256, 1024, 32},
	    {384, 512, 16},
	    {512, 512, 16},
	    {768, 256, 8},
	    {1024, 256, 8},
	    {1536, 128, 0},
	    {2048, 128, 0},
	    {3072, 64, 0},
	    {4096, 64, 0},
	},
    .runtime_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED | SMPHEAP_CAP_DMA,
    .page_size = 1024,
    .buffer_region_count = 2,
    .buffer_regions =
	{
	    {SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_CACHED, 64 * 1024,
	     SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER},
	    {SMPHEAP_CAP_LP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_UNCACHED, 4 * 1024,
	     SMPHEAP_POOL_BUFFER},
	},
    .thread_slots = SMPHEAP_THREAD_SLOTS,
};

#endif
