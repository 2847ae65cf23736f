/* layouts.c - the built-in layouts, by name. */
#include <pthread.h>
#include <string.h>

#include "smpheap/host.h"

#include "apl/memory.h"
#include "host/memory.h"
#include "tgl/memory.h"

static struct smpheap_layout host_layout;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void host_layout_fill(void)
{
	unsigned cores = smpheap_host_cores();

	host_layout = smpheap_layout_host_template;
	host_layout.cores = cores < SMPHEAP_MAX_CORES ? (cores ? cores : 1) : SMPHEAP_MAX_CORES;
	host_layout.sys_size[0] = SMPHEAP_HOST_SYS0;
	for (unsigned c = 1; c < host_layout.cores; c++)
		host_layout.sys_size[c] = SMPHEAP_HOST_SYSN;
	/* The shared HP pool: the buffer zone's 64 MiB plus the bytes of the
	 * legacy per-core block maps on this many cores, so that a legacy heap
	 * of the same bytes (the bench's) gets the same split as before. */
	host_layout.buffer_regions[0].pages +=
	    (uint32_t)(smpheap_layout_legacy_runtime_bytes(&host_layout) / host_layout.page_size);
}

static const char *const names[] = {"host", "tgl", "tgl-split", "apl", NULL};

const char *const *smpheap_layout_names(void)
{
	return names;
}

const struct smpheap_layout *smpheap_layout_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "host")) {
		pthread_once(&host_once, host_layout_fill);
		return &host_layout;
	}
	if (!strcmp(name, "tgl"))
		return &smpheap_layout_tgl;
	if (!strcmp(name, "tgl-split"))
		return &smpheap_layout_tgl_split;
	if (!strcmp(name, "apl"))
		return &smpheap_layout_apl;
	return NULL;
}
