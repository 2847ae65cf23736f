/* consumer.c - an outside program that calls every public function of
 * smpheap/smpheap.h and smpheap/host.h, the way an application would, and
 * checks every answer. Built against the installed package by
 * `make install-check`, once with find_package(smpheap) and once with
 * pkg-config alone. Exits 0 when all is well, 1 with a message otherwise.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign() */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smpheap/host.h>
#include <smpheap/smpheap.h>

/* Checks `cond`; on failure says which check, where, and exits non-zero. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "consumer: FAILED at line %d: %s\n", __LINE__, #cond);     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

/* The host platform: topology, thread binding, built-in layouts. */
static void use_platform(void)
{
	const char *const *names = smpheap_layout_names();
	const char *topology = smpheap_host_topology();

	CHECK(smpheap_host_pus() >= 1);
	CHECK(smpheap_host_cores() >= 1 && smpheap_host_cores() <= smpheap_host_pus());
	CHECK(topology != NULL && strlen(topology) > 0);

	CHECK(names != NULL && names[0] != NULL);
	for (unsigned i = 0; names[i]; i++) {
		const struct smpheap_layout *l = smpheap_layout_by_name(names[i]);

		CHECK(l != NULL && strcmp(l->name, names[i]) == 0);
		CHECK(smpheap_layout_validate(l, NULL) == 0);
	}
	CHECK(smpheap_layout_by_name("no-such-board") == NULL);

	CHECK(smpheap_host_bind(0) == 0 && smpheap_host_core() == 0);
	CHECK(smpheap_host_bind(SMPHEAP_MAX_CORES) == -EINVAL);
	CHECK(smpheap_host_core() == 0); /* a refused bind changes nothing */
}

/* Layout queries, without a heap. */
static void use_layout(const struct smpheap_layout *l)
{
	struct smpheap_layout broken = *l;
	const char *why = NULL;

	CHECK(smpheap_layout_validate(l, &why) == 0);
	CHECK(smpheap_size(l) > 0);
	CHECK(smpheap_alignment(l) == l->bank_size);

	broken.cores = 0; /* no cores: not a usable layout */
	CHECK(smpheap_layout_validate(&broken, &why) < 0 && why != NULL && why[0] != '\0');
	CHECK(smpheap_size(&broken) == 0 && smpheap_alignment(&broken) == 0);
}

/* Every heap operation, on a heap `h` built for a layout of 2 cores or more.
 * The calling thread acts as core 0. Leaves the heap as it found it: empty,
 * every core up. */
static void use_heap(struct smpheap *h, const struct smpheap_layout *l)
{
	struct smpheap_stats s;
	int outside; /* an object that is not in the heap */
	size_t bad_sys, bad_runtime;

	CHECK(smpheap_layout(h) == l);
	CHECK(smpheap_stats(h, SMPHEAP_ZONE_SYS, &s) == 0);
	bad_sys = s.bad_frees;
	CHECK(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s) == 0);
	bad_runtime = s.bad_frees;

	/* One allocation per zone. */
	void *sys = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 128);
	char *rt = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 600);
	void *buf = smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_DMA, 4096, 4096);

	CHECK(sys != NULL && (uintptr_t)sys % 16 == 0);
	CHECK(rt != NULL && (uintptr_t)rt % 16 == 0);
	CHECK(buf != NULL && (uintptr_t)buf % 4096 == 0);
	memset(rt, 0xa5, 600);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 0) == NULL); /* size 0 */

	/* What a pointer is. */
	CHECK(smpheap_zone_of(h, sys) == SMPHEAP_ZONE_SYS);
	CHECK(smpheap_zone_of(h, rt) == SMPHEAP_ZONE_RUNTIME);
	CHECK(smpheap_zone_of(h, buf) == SMPHEAP_ZONE_BUFFER);
	CHECK(smpheap_zone_of(h, &outside) == -EFAULT);
	CHECK(smpheap_usable_size(h, rt) >= 600);
	CHECK(smpheap_usable_size(h, buf) >= 4096);
	CHECK(smpheap_usable_size(h, sys) == 0);

	/* realloc: keeps the zone and the contents. */
	buf = smpheap_realloc(h, buf, 8192);
	CHECK(buf != NULL && smpheap_zone_of(h, buf) == SMPHEAP_ZONE_BUFFER);
	CHECK(smpheap_usable_size(h, buf) >= 8192);
	rt = smpheap_realloc(h, rt, 1000);
	CHECK(rt != NULL && smpheap_zone_of(h, rt) == SMPHEAP_ZONE_RUNTIME);
	CHECK((unsigned char)rt[0] == 0xa5 && (unsigned char)rt[599] == 0xa5);
	void *extra = smpheap_realloc(h, NULL, 100); /* allocates in RUNTIME */
	CHECK(extra != NULL && smpheap_zone_of(h, extra) == SMPHEAP_ZONE_RUNTIME);
	CHECK(smpheap_realloc(h, extra, 0) == NULL); /* frees */
	CHECK(smpheap_usable_size(h, extra) == 0);

	/* free, and each error it reports (none of them changes the heap). */
	CHECK(smpheap_free(h, NULL) == 0);
	CHECK(smpheap_free(h, sys) == -EPERM);
	CHECK(smpheap_free(h, &outside) == -EFAULT);
	CHECK(smpheap_free(h, rt + 16) == -EINVAL);
	CHECK(smpheap_free(h, rt) == 0);
	CHECK(smpheap_free(h, rt) == -EALREADY);
	CHECK(smpheap_free(h, buf) == 0);

	/* Hotplug: core 1 allocates, goes down with a live block, the block is
	 * freed from core 0, a sweep powers off what that block held. */
	CHECK(smpheap_host_bind(1) == 0);
	void *late = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(late != NULL);
	CHECK(smpheap_host_bind(0) == 0);
	CHECK(smpheap_core_is_up(h, 1) == 1);
	CHECK(smpheap_core_sweep(h, 1) == -EAGAIN); /* only a down core is swept */
	CHECK(smpheap_core_down(h, 1) == 0);
	CHECK(smpheap_core_down(h, 1) == -EALREADY);
	CHECK(smpheap_core_is_up(h, 1) == 0);
	CHECK(smpheap_free(h, late) == 0); /* frees of a down core's blocks still work */
	CHECK(smpheap_core_sweep(h, 1) >= 0);
	CHECK(smpheap_core_up(h, 1) == 0);
	CHECK(smpheap_core_up(h, 1) == -EALREADY);
	CHECK(smpheap_core_is_up(h, 1) == 1);
	CHECK(smpheap_core_is_up(h, l->cores) == -EINVAL);
	CHECK(smpheap_core_down(h, l->cores) == -EINVAL);
	CHECK(smpheap_core_sweep(h, l->cores) == -EINVAL);
	CHECK(smpheap_core_up(h, l->cores) == -EINVAL);

	/* Stats: every zone answers; the bad frees above were counted. */
	for (int z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		CHECK(smpheap_stats(h, (enum smpheap_zone)z, &s) == 0);
		CHECK(s.capacity > 0 && s.peak <= s.capacity && s.largest_free <= s.capacity);
	}
	CHECK(smpheap_stats(h, SMPHEAP_ZONE_SYS, &s) == 0 && s.bad_frees == bad_sys + 1);
	CHECK(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s) == 0);
	CHECK(s.used == 0 && s.allocs >= 3 && s.bad_frees == bad_runtime + 3);
	CHECK(smpheap_stats(h, SMPHEAP_ZONE_BUFFER, &s) == 0 && s.used == 0);
	CHECK(smpheap_stats(h, (enum smpheap_zone)SMPHEAP_ZONE_COUNT, &s) == -EINVAL);

	CHECK(smpheap_check(h) == 0);
}

/* Names of the error codes the API returns. */
static void use_strerror(void)
{
	const int errs[] = {0, -EFAULT, -EPERM, -EINVAL, -EALREADY, -ENOMEM, -EUCLEAN, -EAGAIN};
	const char *unknown = smpheap_strerror(-12345);

	CHECK(unknown != NULL);
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		const char *text = smpheap_strerror(errs[i]);

		CHECK(text != NULL && text[0] != '\0' && strcmp(text, unknown) != 0);
	}
}

int main(void)
{
	const struct smpheap_layout *l = smpheap_layout_by_name("tgl");

	CHECK(l != NULL && l->cores >= 2);
	use_platform();
	use_layout(l);
	use_strerror();

	/* A heap in memory the program provides (what a DSP firmware does). */
	size_t size = smpheap_size(l), align = smpheap_alignment(l);
	void *mem = NULL;
	struct smpheap *h;

	CHECK(posix_memalign(&mem, align, size) == 0);
	CHECK(smpheap_init(mem, size - 1, l) == NULL); /* too small */
	h = smpheap_init(mem, size, l);
	CHECK(h != NULL);
	use_heap(h, l);
	smpheap_fini(h);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64) == NULL); /* no longer a heap */
	free(mem);

	/* A heap the host platform maps. */
	h = smpheap_host_create(l);
	CHECK(h != NULL);
	use_heap(h, l);
	smpheap_host_destroy(h);
	smpheap_host_destroy(NULL); /* accepted */

	printf("consumer: every public function answered as documented (%u PUs, %u cores)\n",
	       smpheap_host_pus(), smpheap_host_cores());
	return 0;
}
