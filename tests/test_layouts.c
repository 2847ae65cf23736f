/* test_layouts.c - every built-in layout is valid, and the heap built from it
 * puts each zone on bank boundaries with no overlap; bad layouts are refused. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "test_heap.h"

struct span {
	uintptr_t lo, hi;
};

static int overlaps(const struct span *a, const struct span *b)
{
	return a->lo < b->hi && b->lo < a->hi;
}

static void check_geometry(const struct smpheap_layout *l)
{
	struct smpheap *h = test_heap_create(l);
	struct span spans[SMPHEAP_MAX_CORES * 2 + SMPHEAP_MAX_BUFFER_REGIONS];
	unsigned n = 0;
	size_t bank = l->bank_size;
	const char *why = "";

	CHECK_EQ(smpheap_layout_validate(l, &why), 0);
	CHECK(smpheap_size(l) > 0);
	CHECK_EQ(smpheap_alignment(l), bank);
	CHECK(h != NULL);
	if (!h)
		return;
	CHECK_EQ(smpheap_check(h), 0);
	CHECK(smpheap_layout(h) == l);
	CHECK_EQ(h->zones_base % bank, 0);
	CHECK(h->end - h->base == smpheap_size(l));
	for (unsigned c = 0; c < l->cores; c++) {
		/* Each system heap starts on a bank boundary (power gating). */
		CHECK_EQ(h->sys[c].base % bank, 0);
		CHECK_EQ(h->sys[c].size, l->sys_size[c]);
		spans[n++] = (struct span){h->sys[c].base, h->sys[c].base + h->sys[c].size};
	}
	/* Every class's slab: at most a word of blocks (less the live bit),
	 * aligned blocks, within its pages. */
	for (unsigned k = 0; k < h->class_count; k++) {
		const struct smph_class_geom *g = &h->geom[k];

		CHECK(g->blocks >= 1 && g->blocks <= SMPH_SLAB_MAX_BLOCKS);
		CHECK(g->span <= (size_t)g->pages << h->page_shift);
		CHECK_EQ(((size_t)g->align_pages << h->page_shift) % g->align, 0);
		CHECK_EQ(g->align_pages % (1u << h->gshift), 0);
	}
	CHECK_EQ(h->pool_base % bank, 0);
	if (l->cores > 0) /* core 0 gets the large system heap (asymmetric) */
		for (unsigned c = 1; c < l->cores; c++)
			CHECK(l->sys_size[0] >= l->sys_size[c]);
	for (unsigned r = 0; r < h->region_count; r++) {
		const struct smph_region *rg = &h->regions[r];

		CHECK_EQ(rg->base % bank, 0);
		spans[n++] =
		    (struct span){rg->base, rg->base + ((size_t)rg->pages << h->page_shift)};
	}
	for (unsigned i = 0; i < n; i++) {
		CHECK(spans[i].lo >= h->zones_base && spans[i].hi <= h->end);
		for (unsigned j = i + 1; j < n; j++)
			CHECK(!overlaps(&spans[i], &spans[j]));
	}
	/* The bank table agrees with the geometry. */
	for (unsigned c = 0; c < l->cores; c++) {
		unsigned idx = 99;

		CHECK_EQ(smph_locate(h, h->sys[c].base, &idx), SMPH_AT_SYS);
		CHECK_EQ(idx, c);
	}
	CHECK_EQ(smph_locate(h, h->base, &n), SMPH_AT_FOREIGN);
	test_heap_destroy(h);
}

static void check_refused(void)
{
	struct smpheap_layout bad = smpheap_layout_tgl;
	const char *why = NULL;
	static unsigned char small[1 << 16] __attribute__((aligned(65536)));

	CHECK_EQ(smpheap_layout_validate(NULL, &why), -EINVAL);
	CHECK(why != NULL);
	bad.cores = 0;
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	CHECK_EQ(smpheap_size(&bad), 0);
	bad = smpheap_layout_tgl;
	bad.bank_size = 3000;
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	bad = smpheap_layout_tgl;
	bad.page_size = 8;
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	bad = smpheap_layout_tgl;
	bad.classes[1].block_size = 64; /* not ascending */
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	bad = smpheap_layout_tgl;
	bad.classes[0].block_size = 17 * 16; /* odd factor 17 > 15 */
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	bad = smpheap_layout_tgl;
	bad.classes[2].count = 0; /* counts are legacy: 0 is fine */
	CHECK_EQ(smpheap_layout_validate(&bad, &why), 0);
	bad.buffer_regions[0].zones = 1u << 7;
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	bad = smpheap_layout_tgl;
	bad.buffer_regions[0].pages = 0;
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);
	bad = smpheap_layout_tgl;
	bad.class_count = SMPHEAP_MAX_CLASSES + 1;
	CHECK_EQ(smpheap_layout_validate(&bad, &why), -EINVAL);

	/* init refuses small or misaligned memory, and NULL. */
	CHECK(smpheap_init(small, sizeof(small), &smpheap_layout_tgl) == NULL);
	CHECK(smpheap_init(small + 16, sizeof(small) - 16, &smpheap_layout_apl) == NULL);
	CHECK(smpheap_init(NULL, 1u << 30, &smpheap_layout_apl) == NULL);
}

int main(void)
{
	check_geometry(&smpheap_layout_tgl);
	check_geometry(&smpheap_layout_tgl_split);
	check_geometry(&smpheap_layout_apl);
#ifdef SMPHEAP_TEST_HOSTED
	{
		const char *const *names = smpheap_layout_names();

		CHECK(smpheap_layout_by_name("nope") == NULL);
		for (unsigned i = 0; names[i]; i++) {
			const struct smpheap_layout *l = smpheap_layout_by_name(names[i]);

			CHECK(l != NULL);
			if (l) {
				CHECK(!strcmp(l->name, names[i]));
				check_geometry(l);
			}
		}
		CHECK_EQ(smpheap_layout_by_name("host")->cores,
			 smpheap_host_cores() < 64 ? smpheap_host_cores() : 64);
	}
#endif
	check_refused();
	return check_report("test_layouts");
}
