/* smpheap/xtensa.h - the bare-metal Xtensa platform (QEMU -M sim, or a board).
 *
 * Two builds of the same sources:
 *   single core (target smpheap_platform): lx106 and any core without S32C1I;
 *     atomics mask interrupts, the core id is always 0.
 *   SMP (target smpheap_platform_smp, SMPHEAP_XTENSA_SMP=1): cores with S32C1I
 *     and a data cache (QEMU de212, -smp N); atomics are S32C1I loops, the
 *     core id is PRID, the cache hooks run DHWBI/DHI, and every core starts
 *     at the reset vector. A single-core ELF must not run on several cores:
 *     each would take itself for core 0.
 *
 * main() runs on core 0. The other cores park in a work loop until core 0
 * hands them a function with smpheap_xtensa_run().
 */
#ifndef SMPHEAP_XTENSA_H
#define SMPHEAP_XTENSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The core this code runs on (PRID on SMP builds, 0 on single-core builds). */
unsigned smpheap_xtensa_core(void);

/* Cores this build drives (SMPHEAP_XTENSA_CORES, 1 on single-core builds). */
unsigned smpheap_xtensa_cores(void);

/* The CCOUNT cycle counter. Under QEMU with -icount shift=0 one tick is 25
 * instructions on a 40 MHz core (lx106, de212); without -icount it follows
 * host time. */
static inline uint32_t smpheap_xtensa_ccount(void)
{
	uint32_t c;
	__asm__ volatile("rsr.ccount %0" : "=a"(c));
	return c;
}

/* An exact instruction count, from the debug option's ICOUNT register
 * (lx106 has it; QEMU implements it with or without -icount): start() sets
 * ICOUNT to 0 and ICOUNTLEVEL to 1, so that every instruction completed at
 * interrupt level 0 counts (exception and interrupt handlers do not); stop()
 * reads the count and turns counting off again. Counting stays off between
 * a stop() and the next start(), so ICOUNT never wraps to 0 (which would
 * raise a debug exception) and QEMU runs at full speed outside the counted
 * windows. start() then stop() back to back reads 3 (their own
 * instructions between the two ICOUNT accesses). The counter is the core's
 * own: one count at a time. */
static inline void smpheap_xtensa_icount_start(void)
{
	__asm__ volatile("movi a8, 0\n"
			 "wsr.icount a8\n"
			 "movi a8, 1\n"
			 "wsr.icountlevel a8\n"
			 "isync\n" ::
			     : "a8", "memory");
}

static inline uint32_t smpheap_xtensa_icount_stop(void)
{
	uint32_t n;
	__asm__ volatile("rsr.icount %0\n"
			 "movi a8, 0\n"
			 "wsr.icountlevel a8\n"
			 "isync\n"
			 : "=a"(n)
			 :
			 : "a8", "memory");
	return n;
}

/* Runs fn(core, arg) on `core` (1..cores-1), which must be idle. Waits (a
 * bounded time) for the core to come out of reset first. 0, -EINVAL (no
 * such core or core 0), -ENODEV (the core never started: QEMU was given
 * fewer -smp cores than the build expects), -EBUSY (still running). */
int smpheap_xtensa_run(unsigned core, void (*fn)(unsigned core, void *arg), void *arg);

/* Waits (2 s at most per core) for every core of the build to come out of
 * reset; returns how many are up, core 0 included. A program that needs all
 * of them checks this first, so that QEMU started with too few -smp cores
 * fails at once instead of waiting for a core that never comes. */
unsigned smpheap_xtensa_cores_up(void);

/* Waits until `core` has finished the function given by smpheap_xtensa_run(). */
void smpheap_xtensa_join(unsigned core);

/* Data-cache maintenance over [addr, addr+len): write back and invalidate,
 * or invalidate only. Real instructions on cores with a data cache
 * (SMPHEAP_XTENSA_DCACHE_LINE > 0: de212), nothing on lx106 (no cache). */
void smpheap_xtensa_dcache_wbinv(const void *addr, size_t len);
void smpheap_xtensa_dcache_inv(const void *addr, size_t len);

/* The board's bank power switch, called by smph_platform_bank_power() after
 * the cache work. The built-in one (weak: a board replaces it with its
 * power-gating registers) emulates power-off under QEMU by overwriting the
 * bank with SMPHEAP_XTENSA_LOST_WORD, so code that trusts the contents of a
 * powered-off bank fails its tests here as it would on silicon. */
void smpheap_xtensa_board_bank_power(uintptr_t addr, size_t len, bool on);
#define SMPHEAP_XTENSA_LOST_WORD 0xdeadbeefu

/* Bytes powered off / on through smph_platform_bank_power() since boot. */
size_t smpheap_xtensa_bytes_powered_off(void);
size_t smpheap_xtensa_bytes_powered_on(void);

/* Does nothing, out of line: xt-profile.py splits an instruction trace at
 * its calls and counts the instructions of each function in between. */
void smpheap_xtensa_mark(void);

/* Writes to the semihosting console (stdout goes there too; on SMP builds
 * each core's output is kept in its own line buffer, so lines don't mix). */
long smpheap_xtensa_write(const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_XTENSA_H */
