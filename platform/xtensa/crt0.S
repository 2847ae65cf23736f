/* Reset entry for Xtensa cores under qemu-system-xtensa -M sim (call0 ABI).
 *
 * QEMU 7.2 ignores the ELF entry point and starts every core at the reset
 * vector 0x50000000, so _start is linked there (xtensa.ld). With
 * SMPHEAP_XTENSA_SMP every core of -smp N arrives here at once: each takes
 * the stack slice PRID selects and goes on to smph_xt_cstart(prid), which
 * lets core 0 set up the C world and parks the others until it has.
 */
#define STACK_SHIFT 18 /* 256 KiB of stack per core (xtensa.ld reserves 16) */

	.section .text._start, "ax"
	.global	_start
	.align	4
_start:
	j	1f
	.align	4
.Lstack:	.word	__stack
.Lvecbase:	.word	_xt_vectors
.Lcstart:	.word	smph_xt_cstart
1:	movi	a0, 0
	l32r	a1, .Lstack
#ifdef SMPHEAP_XTENSA_SMP
	rsr.prid a2			/* QEMU's sim machine numbers cores 0..N-1 */
	extui	a3, a2, 0, 4		/* slot 0..15: a stray PRID still gets a stack */
	slli	a3, a3, STACK_SHIFT
	sub	a1, a1, a3
#else
	movi	a2, 0			/* lx106 has no PRID register */
#endif
	l32r	a3, .Lvecbase		/* our catch-all vectors: reset values differ per core */
	wsr.vecbase a3
#ifdef SMPHEAP_XTENSA_SMP
	/* ATOMCTL = 0x15: S32C1I does an RCW transaction for bypass, write-through
	 * and write-back memory; at its reset value S32C1I on RAM faults. SR 99 is
	 * unknown to the lx106 assembler, hence the bytes: wsr.atomctl a3. */
	movi	a3, 0x15
	.byte	0x30, 0x63, 0x13
#endif
	movi	a3, 0x20		/* PS: UM=1, EXCM=0, INTLEVEL=0 (INTENABLE is 0 at reset) */
	wsr.ps	a3
	rsync
	l32r	a3, .Lcstart
	callx0	a3			/* smph_xt_cstart(prid): never returns */
2:	j	2b

/* Catch-all exception and interrupt vectors: 64 slots of 16 bytes cover the
 * lx106 offsets 0x10..0x70 and the XEA2 offsets 0x180..0x3c0. Any exception
 * ends the run with exit code 100 + EXCCAUSE, so a crash never hangs CI. */
	.section .vectors, "ax"
	.align	1024
	.global	_xt_vectors
_xt_vectors:
	.rept	64
	.align	16
	j	__xt_fatal_vec
	.endr
__xt_fatal_vec:
	movi	a2, 1			/* SYS_exit */
	rsr.exccause a3
	addi	a3, a3, 100
	simcall
	j	__xt_fatal_vec
