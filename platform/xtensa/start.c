/* C start and the SMP work loop.
 *
 * Every core comes here from crt0.S. Core 0 clears .bss, then opens the
 * boot gate and runs main(). The other cores wait at the gate (it lives in
 * .noinit, so clearing .bss cannot race with their polling), announce
 * themselves in their mailbox and wait for work from smpheap_xtensa_run().
 * On a real multi-core DSP core 0 would power the others up instead; the
 * mailbox protocol stays the same.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "smpheap/xtensa.h"
#include "xt_internal.h"

#define BOOT_MAGIC 0x5b007ed5u
#define START_TIMEOUT_TICKS 80000000u /* 2 s at 40 MHz: a core missing from -smp */

enum {
	MB_ABSENT = 0, /* core not out of reset yet (.bss value) */
	MB_IDLE = 1,   /* waiting for work */
	MB_POSTED = 2, /* fn/arg set by core 0, running or about to */
};

struct mailbox {
	_Atomic uint32_t state; /* MB_*; release/acquire hand fn, arg and results over */
	void (*fn)(unsigned core, void *arg); /* work for this core */
	void *arg;			      /* its argument */
} __attribute__((aligned(32)));		      /* each on its own line: cores poll them */

static volatile uint32_t boot_gate __attribute__((section(".noinit")));
static struct mailbox mailboxes[SMPHEAP_XTENSA_CORES];

extern char __bss_start[], __bss_end[];
int main(int argc, char **argv); /* programs may define it as main(void) too */

unsigned smpheap_xtensa_core(void)
{
	return smph_xt_core();
}

unsigned smpheap_xtensa_cores(void)
{
	return SMPHEAP_XTENSA_CORES;
}

static void __attribute__((noreturn)) park(void)
{
	/* Interrupts are off: WAITI stops this core for good without burning a
	 * host thread the working cores need. */
	for (;;)
		__asm__ volatile("waiti 15" ::: "memory");
}

static void __attribute__((noreturn)) secondary(uint32_t prid)
{
	while (boot_gate != BOOT_MAGIC)
		;
	atomic_thread_fence(memory_order_acquire);
	if (prid >= SMPHEAP_XTENSA_CORES)
		park();
	struct mailbox *mb = &mailboxes[prid];
	atomic_store_explicit(&mb->state, MB_IDLE, memory_order_release);
	for (;;) {
		while (atomic_load_explicit(&mb->state, memory_order_acquire) != MB_POSTED)
			;
		mb->fn(prid, mb->arg);
		/* Release: whatever fn wrote is visible to the joining core. */
		atomic_store_explicit(&mb->state, MB_IDLE, memory_order_release);
	}
}

void smph_xt_cstart(uint32_t prid)
{
	if (prid != 0)
		secondary(prid);
	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
	atomic_thread_fence(memory_order_seq_cst);
	boot_gate = BOOT_MAGIC;
	char **argv;
	int argc = smph_xt_args(&argv);
	exit(main(argc, argv));
}

static bool wait_started(struct mailbox *mb)
{
	uint32_t t0 = smpheap_xtensa_ccount();
	while (atomic_load_explicit(&mb->state, memory_order_acquire) == MB_ABSENT)
		if (smpheap_xtensa_ccount() - t0 > START_TIMEOUT_TICKS)
			return false;
	return true;
}

unsigned smpheap_xtensa_cores_up(void)
{
	unsigned up = 1;
	for (unsigned c = 1; c < SMPHEAP_XTENSA_CORES; c++)
		up += wait_started(&mailboxes[c]);
	return up;
}

int smpheap_xtensa_run(unsigned core, void (*fn)(unsigned core, void *arg), void *arg)
{
	if (core == 0 || core >= SMPHEAP_XTENSA_CORES || !fn)
		return -EINVAL;
	struct mailbox *mb = &mailboxes[core];
	if (!wait_started(mb))
		return -ENODEV;
	if (atomic_load_explicit(&mb->state, memory_order_acquire) != MB_IDLE)
		return -EBUSY;
	mb->fn = fn;
	mb->arg = arg;
	atomic_store_explicit(&mb->state, MB_POSTED, memory_order_release);
	return 0;
}

void smpheap_xtensa_join(unsigned core)
{
	if (core == 0 || core >= SMPHEAP_XTENSA_CORES)
		return;
	while (atomic_load_explicit(&mailboxes[core].state, memory_order_acquire) == MB_POSTED)
		;
}

__attribute__((noinline)) void smpheap_xtensa_mark(void)
{
	__asm__ volatile("" ::: "memory");
}
