/* system.c - the system zone: one bump allocator per core.
 *
 * A system heap is a base, a size and one state word (the offset of its free
 * space, with SMPH_SYS_DOWN set while the core is down). An allocation moves
 * the offset forward with a CAS: lock-free, and safe against interrupts and
 * preemption on the same core. Nothing is ever freed; smpheap_core_down()
 * exchanges the word to DOWN|0, which resets the heap and makes every CAS
 * that raced with it fail, so no allocation can land in a heap being reset.
 * tests/model/relacy_system.cpp checks that under the C11 memory model.
 * A platform with one allocating context per core (internal.h) moves the
 * offset with a plain store instead: nothing else writes it then.
 */
#include "internal.h"

void *smph_sys_alloc(struct smpheap *h, unsigned core, size_t size, size_t align)
{
	struct smph_sys *s = &h->sys[core];
	/* Relaxed: the offset carries no data to publish; the CAS decides. */
	size_t cur = smph_load(&s->state, smph_relaxed);

	smph_assert(core < h->cores && smph_is_pow2(align));
	if (smph_unlikely(size > s->size))
		return NULL; /* also keeps the rounding below from wrapping */
	for (;;) {
		size_t start, end;

		if (smph_unlikely(cur & SMPH_SYS_DOWN))
			return NULL;
		start = smph_align_up(s->base + cur, align) - s->base;
		end = start + smph_align_up(size, SMPH_MIN_ALIGN);
		if (smph_unlikely(end > s->size || end < start))
			return NULL;
		if (smph_sys_advance(s, &cur, end, smph_core_single(h)))
			return (void *)(s->base + start);
	}
}

size_t smph_sys_reset(struct smph_sys *s)
{
	/* Relaxed: no thread allocates as this core now (the contract), so
	 * the exchange only has to beat nobody; the DOWN bit makes any stray
	 * CAS fail, as its expected value has no DOWN bit. */
	return smph_exchange(&s->state, SMPH_SYS_DOWN, smph_relaxed) & ~SMPH_SYS_DOWN;
}

void smph_sys_restart(struct smph_sys *s)
{
	/* Relaxed: the controller publishes the core's return (the shard's
	 * online flag, a release) after this, and allocates nothing itself. */
	smph_store(&s->state, 0, smph_relaxed);
}
