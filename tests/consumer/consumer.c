/* consumer.c - uses every public function, the way an outside program would. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <smpheap/host.h>
#include <smpheap/smpheap.h>

#define EXPECT(c)                                                                                  \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("consumer: FAILED %s (line %d)\n", #c, __LINE__);                   \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	const struct smpheap_layout *l = smpheap_layout_by_name("tgl");
	struct smpheap_stats s;
	struct smpheap *h;
	void *sys, *rt, *buf;

	EXPECT(l && smpheap_layout_validate(l, NULL) == 0);
	EXPECT(smpheap_size(l) > 0 && smpheap_alignment(l) == l->bank_size);
	EXPECT(smpheap_layout_names()[0] != NULL);
	EXPECT(smpheap_host_bind(0) == 0 && smpheap_host_core() == 0);
	EXPECT(smpheap_host_pus() >= 1 && smpheap_host_cores() >= 1);
	EXPECT(strlen(smpheap_host_topology()) > 0);
	h = smpheap_host_create(l);
	EXPECT(h && smpheap_layout(h) == l);
	sys = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 128);
	rt = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, SMPHEAP_CAP_HP, 600);
	buf = smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_DMA, 4096, 4096);
	EXPECT(sys && rt && buf);
	EXPECT(smpheap_usable_size(h, rt) == 768);
	EXPECT(smpheap_zone_of(h, buf) == SMPHEAP_ZONE_BUFFER);
	buf = smpheap_realloc(h, buf, 8192);
	EXPECT(buf != NULL);
	EXPECT(smpheap_free(h, sys) == -EPERM);
	EXPECT(smpheap_free(h, rt) == 0 && smpheap_free(h, rt) == -EALREADY);
	EXPECT(smpheap_free(h, buf) == 0);
	EXPECT(smpheap_core_down(h, 1) == 0 && smpheap_core_is_up(h, 1) == 0);
	EXPECT(smpheap_core_sweep(h, 1) >= 0);
	EXPECT(smpheap_core_up(h, 1) == 0);
	EXPECT(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s) == 0 && s.used == 0 && s.bad_frees == 1);
	EXPECT(smpheap_check(h) == 0);
	printf("consumer: find_package(smpheap) works; every function answered (%s)\n",
	       smpheap_strerror(-EALREADY));
	smpheap_host_destroy(h);
	return 0;
}
