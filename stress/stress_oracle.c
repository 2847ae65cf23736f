/* stress_oracle.c - bad inputs the stress driver gives smpheap, each with
 * the exact answer the API's error table promises (smpheap only: a peer
 * has no such table).
 * Portable C11: see stress_core.h for what a driver supplies. */
#include "stress_internal.h"

#include <errno.h>

/* One bad input, with the exact answer the API's error table promises. */
void stress_op_bad(struct stress_worker *w, uint64_t r1, uint64_t r2)
{
	struct stress *s = w->s;
	struct smpheap *h = s->st->heap;
	const struct smpheap_layout *l = s->cfg.layout;
	unsigned kind = sub(r1, 0, 9);
	if ((kind == 1 || kind == 4) && !w->sys_n)
		kind++; /* no system block at hand: the next kind instead */
	bump(&w->c.bad_inputs, 1);
	switch (kind) {
	case 0: { /* interior pointer of our own live block: -EINVAL, block untouched */
		unsigned idx = sub(r1, 1, w->live_n);
		struct stress_block *b = &w->live[idx];
		size_t off = 1;
		if (b->zone == SMPHEAP_ZONE_RUNTIME && b->len >= 32)
			off = 16;
		else if (b->zone == SMPHEAP_ZONE_BUFFER && b->len > l->page_size)
			off = l->page_size;
		int rc = smpheap_free(h, (char *)b->ptr + off);
		bump(&w->c.bad_frees, 1);
		if (rc != -EINVAL) {
			stress_fail(s, (int)w->id, w->op,
				    "free of an interior pointer: expected -EINVAL", b->ptr, b->len,
				    off, (uint64_t)(int64_t)-EINVAL, (uint64_t)(int64_t)rc);
			return;
		}
		if (smpheap_usable_size(h, b->ptr) != b->len) {
			stress_fail(s, (int)w->id, w->op, "interior free changed the block's size",
				    b->ptr, b->len, off, b->len, smpheap_usable_size(h, b->ptr));
			return;
		}
		stress_check_block(s, (int)w->id, w->op, b, "interior free damaged the block");
		return;
	}
	case 1: { /* a system pointer: -EPERM, and it stays usable */
		struct stress_block *b = &w->sys[sub(r1, 1, w->sys_n)];
		int rc = smpheap_free(h, b->ptr);
		bump(&w->c.bad_frees, 1);
		if (rc != -EPERM)
			stress_fail(s, (int)w->id, w->op,
				    "free of a system pointer: expected -EPERM", b->ptr, b->len, 0,
				    (uint64_t)(int64_t)-EPERM, (uint64_t)(int64_t)rc);
		else
			stress_check_block(s, (int)w->id, w->op, b,
					   "free of a system pointer damaged it");
		return;
	}
	case 2: { /* a pointer outside the heap: -EFAULT */
		int rc = smpheap_free(h, (void *)w);
		bump(&w->c.bad_frees, 1);
		if (rc != -EFAULT)
			stress_fail(s, (int)w->id, w->op,
				    "free of a foreign pointer: expected -EFAULT", w, 0, 0,
				    (uint64_t)(int64_t)-EFAULT, (uint64_t)(int64_t)rc);
		return;
	}
	case 3: { /* free(NULL): 0, not an error */
		int rc = smpheap_free(h, NULL);
		if (rc != 0)
			stress_fail(s, (int)w->id, w->op, "free(NULL): expected 0", NULL, 0, 0, 0,
				    (uint64_t)(int64_t)rc);
		return;
	}
	case 4: { /* realloc of a system pointer: NULL, counted as a bad free */
		struct stress_block *b = &w->sys[sub(r1, 1, w->sys_n)];
		void *q = smpheap_realloc(h, b->ptr, 1 + sub(r2, 0, 512));
		bump(&w->c.bad_frees, 1);
		if (q)
			stress_fail(s, (int)w->id, w->op,
				    "realloc of a system pointer: expected NULL", b->ptr, b->len, 0,
				    0, (uintptr_t)q);
		else
			stress_check_block(s, (int)w->id, w->op, b,
					   "realloc of a system pointer damaged it");
		return;
	}
	default: { /* allocations that must fail: NULL */
		static const struct {
			int zone;
			uint32_t caps;
			size_t size, align;
			const char *what;
		} bad[] = {
		    {SMPHEAP_ZONE_RUNTIME, 0, 0, 0, "alloc of size 0: expected NULL"},
		    {SMPHEAP_ZONE_BUFFER, 0, 4096, 48,
		     "alloc with a non-power-of-two alignment: expected NULL"},
		    {SMPHEAP_ZONE_RUNTIME, 0, SIZE_MAX - 8, 64,
		     "alloc whose size+align overflows: expected NULL"},
		    {SMPHEAP_ZONE_BUFFER, 0, SIZE_MAX / 2, 0,
		     "alloc larger than memory: expected NULL"},
		    {7, 0, 64, 0, "alloc from an unknown zone: expected NULL"},
		    {SMPHEAP_ZONE_RUNTIME, 1u << 31, 64, 0,
		     "alloc with caps no region has: expected NULL"},
		};
		unsigned i = sub(r2, 1, sizeof(bad) / sizeof(bad[0]));
		bump(&w->c.bad_allocs, 1);
		void *p = bad[i].align
			      ? smpheap_alloc_aligned(h, (enum smpheap_zone)bad[i].zone,
						      bad[i].caps, bad[i].size, bad[i].align)
			      : smpheap_alloc(h, (enum smpheap_zone)bad[i].zone, bad[i].caps,
					      bad[i].size);
		if (p)
			stress_fail(s, (int)w->id, w->op, bad[i].what, p, bad[i].size, 0, 0,
				    (uintptr_t)p);
		return;
	}
	}
}
