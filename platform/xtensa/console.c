/* Console and exit over the Xtensa ISS semihosting calls (SIMCALL), which
 * QEMU implements with -semihosting: a2 = call number, a3..a5 = arguments.
 * picolibc's tinystdio writes stdout and stderr through out_putc() and
 * err_putc(), to the host's file descriptors 1 and 2 (so a benchmark's JSON
 * on stdout stays clean of diagnostics). Each core has its own line buffer
 * per stream so that lines printed by different cores at the same time come
 * out whole. A board would replace this file with its UART or its
 * firmware's trace buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "smpheap/xtensa.h"
#include "xt_internal.h"

#define SYS_EXIT 1
#define SYS_WRITE 4
#define SYS_ARGC 1000	 /* argument count (QEMU: -semihosting-config arg=...) */
#define SYS_ARGV_SZ 1001 /* bytes argv needs: pointers and strings */
#define SYS_ARGV 1002	 /* copies argv (pointers, then strings) to a buffer */
#define ARGV_BYTES 2048
#define LINE_MAX_BYTES 160

static inline long simcall3(long nr, long a, long b, long c)
{
	register long a2 __asm__("a2") = nr;
	register long a3 __asm__("a3") = a;
	register long a4 __asm__("a4") = b;
	register long a5 __asm__("a5") = c;
	__asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
	return a2;
}

static long write_fd(int fd, const void *buf, size_t len)
{
	return simcall3(SYS_WRITE, fd, (long)buf, (long)len);
}

long smpheap_xtensa_write(const void *buf, size_t len)
{
	return write_fd(1, buf, len);
}

/* The program's arguments, as QEMU passes them (qemu-lx106.sh and
 * qemu-smp.sh forward theirs), so that a test that takes arguments on the
 * host takes them here too. argv[0] is the ELF's name. */
static char *argv_buf[ARGV_BYTES / sizeof(char *)];

int smph_xt_args(char ***argv)
{
	static char *none[1];
	long argc = simcall3(SYS_ARGC, 0, 0, 0);
	long bytes = simcall3(SYS_ARGV_SZ, 0, 0, 0);
	*argv = none;
	if (argc <= 0 || bytes <= 0 || bytes > (long)sizeof(argv_buf))
		return 0;
	simcall3(SYS_ARGV, (long)argv_buf, 0, 0);
	*argv = argv_buf;
	return (int)argc;
}

struct line {
	char buf[LINE_MAX_BYTES]; /* pending bytes of this core's current line */
	unsigned len;		  /* bytes used in buf */
} __attribute__((aligned(32)));	  /* one core per cache line set: no false sharing */

static struct line lines[2][SMPHEAP_XTENSA_CORES]; /* [0] stdout, [1] stderr */

static void flush(struct line *l, int fd)
{
	if (l->len) {
		write_fd(fd, l->buf, l->len);
		l->len = 0;
	}
}

void smph_xt_console_flush_all(void)
{
	for (unsigned c = 0; c < SMPHEAP_XTENSA_CORES; c++) {
		flush(&lines[0][c], 1);
		flush(&lines[1][c], 2);
	}
}

static int put(char c, unsigned stream)
{
	struct line *l = &lines[stream][smph_xt_core()];
	l->buf[l->len++] = c;
	if (c == '\n' || l->len == LINE_MAX_BYTES)
		flush(l, (int)stream + 1);
	return (unsigned char)c;
}

static int out_putc(char c, FILE *f)
{
	(void)f;
	return put(c, 0);
}

static int err_putc(char c, FILE *f)
{
	(void)f;
	return put(c, 1);
}

static FILE sim_out = FDEV_SETUP_STREAM(out_putc, NULL, NULL, _FDEV_SETUP_WRITE);
static FILE sim_err = FDEV_SETUP_STREAM(err_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &sim_out; /* nothing to read: reads fail */
FILE *const stdout = &sim_out;
FILE *const stderr = &sim_err;

/* picolibc's exit() ends here; QEMU's exit status becomes `code`. */
void _exit(int code)
{
	smph_xt_console_flush_all();
	for (;;)
		simcall3(SYS_EXIT, code, 0, 0);
}
