/* One operation of each kind between smpheap_xtensa_mark() calls, for
 * xt-profile.py (`make profile-xtensa`): where the instructions of a system
 * allocation, a runtime pair and a buffer pair go, function by function, on
 * one lx106 core and the tgl layout. */
#include "smpheap/smpheap.h"
#include "smpheap/xtensa.h"
#include "tgl/memory.h"

static unsigned char arena[4u << 20] __attribute__((aligned(64 * 1024)));

int main(void)
{
	struct smpheap *h =
	    smpheap_init(arena, smpheap_size(&smpheap_layout_tgl), &smpheap_layout_tgl);
	if (!h)
		return 1;
	for (int i = 0; i < 4; i++) { /* warm: first-touch paths out of the way */
		smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
		smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 4096));
		smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16);
	}
	smpheap_xtensa_mark();
	void *s = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16);
	smpheap_xtensa_mark();
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	smpheap_xtensa_mark();
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 4096));
	smpheap_xtensa_mark();
	return s && smpheap_check(h) == 0 ? 0 : 1;
}
