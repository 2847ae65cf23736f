/* stress_hotplug.c - cores taken down, swept and brought up by the stress
 * driver's controller, with the bank figures each step must move.
 * Portable C11: see stress_core.h for what a driver supplies. */
#include "stress_internal.h"

#include <errno.h>

/* Bank figures are heap-wide: every zone's stats carry the same ones. */
void stress_bank_figures(struct stress *s, size_t *released, size_t *count)
{
	struct smpheap_stats st;
	*released = *count = 0;
	if (smpheap_stats(s->st->heap, SMPHEAP_ZONE_RUNTIME, &st) == 0) {
		*released = st.banks_released;
		*count = st.bank_release_count;
	}
}

bool stress_is_down(const struct stress *s, unsigned core)
{
	return s->down_mask[core / 32] & (1u << (core % 32));
}

int stress_core_down(struct stress *s, unsigned core)
{
	if (failed(s) || core >= s->cfg.cores || stress_is_down(s, core) ||
	    stress_wait_progress(s) != 0)
		return -1;
	s->ctl_step++;
	unsigned gen = atomic_load(&s->down_gen[core]) + 1;
	atomic_store(&s->down_gen[core], gen);
	atomic_store(&s->down_req[core], 1);
	if (stress_wait_parked(s, (int)core, gen) != 0)
		return -1;
	for (unsigned i = 0; i < s->cfg.workers; i++)
		if (s->workers[i].core == core)
			s->sys_resets += s->workers[i].sys_dropped;
	s->down_mask[core / 32] |= 1u << (core % 32);
	s->core_downs++;
	if (!is_smpheap(s)) {
		if (s->st->ops->sys_reset)
			s->st->ops->sys_reset(s->st, core);
		return 0;
	}
	struct smpheap *h = s->st->heap;
	size_t rel0, cnt0, rel1, cnt1;
	stress_bank_figures(s, &rel0, &cnt0);
	int rc = smpheap_core_down(h, core);
	if (rc != 0) {
		stress_fail(s, -1, s->ctl_step, "smpheap_core_down failed", NULL, 0, 0, core,
			    (uint64_t)(int64_t)rc);
		return -1;
	}
	stress_bank_figures(s, &rel1, &cnt1);
	/* Its system heap starts on a bank boundary and was just reset, so the
	 * banks it fills alone hold no live block and must be off now (a bank
	 * it shares with the runtime shard may still hold a live block). */
	const struct smpheap_layout *l = s->cfg.layout;
	size_t sys_banks = l->sys_size[core] / l->bank_size;
	if (rel1 < rel0 + sys_banks || cnt1 - cnt0 != rel1 - rel0) {
		stress_fail(s, -1, s->ctl_step,
			    "core_down released too few banks (expected >= got)", NULL, 0, 0,
			    rel0 + sys_banks, rel1);
		return -1;
	}
	s->released_on[core] = rel1 - rel0;
	s->banks_released += rel1 - rel0;
	if (smpheap_core_is_up(h, core) != 0 || smpheap_core_down(h, core) != -EALREADY) {
		stress_fail(s, -1, s->ctl_step, "a down core does not look down", NULL, 0, 0, core,
			    0);
		return -1;
	}
	return 0;
}

int stress_core_sweep(struct stress *s, unsigned core)
{
	if (failed(s) || !is_smpheap(s) || !stress_is_down(s, core))
		return failed(s) ? -1 : 0;
	s->ctl_step++;
	size_t rel0, cnt0, rel1, cnt1;
	stress_bank_figures(s, &rel0, &cnt0);
	int rc = smpheap_core_sweep(s->st->heap, core);
	stress_bank_figures(s, &rel1, &cnt1);
	/* Only this controller powers banks off or on, so the figures move by
	 * exactly what the sweep reports. */
	if (rc < 0 || rel1 != rel0 + (size_t)rc || cnt1 != cnt0 + (size_t)rc) {
		stress_fail(s, -1, s->ctl_step, "core_sweep: banks released differ from its result",
			    NULL, 0, 0, (uint64_t)(int64_t)rc, rel1 - rel0);
		return -1;
	}
	s->sweeps++;
	s->released_on[core] += (size_t)rc;
	s->banks_released += (size_t)rc;
	return 0;
}

int stress_core_up(struct stress *s, unsigned core)
{
	if (failed(s) || core >= s->cfg.cores || !stress_is_down(s, core))
		return -1;
	s->ctl_step++;
	if (is_smpheap(s)) {
		struct smpheap *h = s->st->heap;
		size_t rel0, cnt0, rel1, cnt1;
		stress_bank_figures(s, &rel0, &cnt0);
		int rc = smpheap_core_up(h, core);
		stress_bank_figures(s, &rel1, &cnt1);
		if (rc != 0) {
			stress_fail(s, -1, s->ctl_step, "smpheap_core_up failed", NULL, 0, 0, core,
				    (uint64_t)(int64_t)rc);
			return -1;
		}
		/* Its banks are powered again: exactly those it had released. */
		if (rel1 + s->released_on[core] != rel0 || cnt1 != cnt0) {
			stress_fail(s, -1, s->ctl_step,
				    "core_up: banks still released (expected, got)", NULL, 0, 0,
				    rel0 - s->released_on[core], rel1);
			return -1;
		}
		if (smpheap_core_is_up(h, core) != 1 || smpheap_core_up(h, core) != -EALREADY) {
			stress_fail(s, -1, s->ctl_step, "an up core does not look up", NULL, 0, 0,
				    core, 0);
			return -1;
		}
		s->released_on[core] = 0;
	}
	s->down_mask[core / 32] &= ~(1u << (core % 32));
	s->core_ups++;
	stress_note_release(s, (int)core);
	atomic_store(&s->down_req[core], 0);
	return 0;
}
