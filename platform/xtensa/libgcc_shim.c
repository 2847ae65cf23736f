/* Integer helpers that GCC calls on lx106 (no divide, no high multiply) but
 * that Debian's gcc-xtensa-lx106 libgcc.a lacks: 32- and 64-bit division and
 * the 64-bit multiply. libgcc.a does have __udivmoddi4 and __divmoddi4, so
 * the 64-bit divisions are thin wrappers. Soft-float helpers are missing too:
 * nothing that runs on Xtensa here uses floating point. */
#include <stdint.h>

#pragma GCC diagnostic ignored "-Wmissing-prototypes"

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
int64_t __divmoddi4(int64_t n, int64_t d, int64_t *rem);

/* Shift-subtract division over the quotient's bits only: the divisor is
 * first shifted up to the dividend's top bit (NSAU), so a small quotient
 * (an offset divided by a block size) takes a few steps, not 32. Division by
 * zero gives all ones, as GCC's own fallback does. */
static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem)
{
	if (d == 0) {
		*rem = n;
		return UINT32_MAX;
	}
	if (n < d) {
		*rem = n;
		return 0;
	}
	unsigned shift = (unsigned)(__builtin_clz(d) - __builtin_clz(n));
	uint32_t q = 0;
	d <<= shift;
	for (;;) {
		if (n >= d) {
			n -= d;
			q |= 1;
		}
		if (shift-- == 0)
			break;
		q <<= 1;
		d >>= 1;
	}
	*rem = n;
	return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d)
{
	uint32_t r;
	return udivmod32(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d)
{
	uint32_t r;
	udivmod32(n, d, &r);
	return r;
}

int32_t __divsi3(int32_t a, int32_t b)
{
	uint32_t ua = a < 0 ? -(uint32_t)a : (uint32_t)a;
	uint32_t ub = b < 0 ? -(uint32_t)b : (uint32_t)b;
	uint32_t r;
	uint32_t q = udivmod32(ua, ub, &r);
	return (a < 0) != (b < 0) ? (int32_t)-q : (int32_t)q;
}

/* libgcc's helpers store the remainder unconditionally: always pass one. */
uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	return __udivmoddi4(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	__udivmoddi4(n, d, &r);
	return r;
}

int64_t __divdi3(int64_t n, int64_t d)
{
	int64_t r;
	return __divmoddi4(n, d, &r);
}

/* 32x32 -> 64 from 16-bit partial products: lx106 has MULL (low 32 bits)
 * but no MULUH. */
static inline uint64_t umul32x32(uint32_t a, uint32_t b)
{
	uint32_t a0 = a & 0xffff, a1 = a >> 16, b0 = b & 0xffff, b1 = b >> 16;
	uint32_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint32_t mid = (p00 >> 16) + (p01 & 0xffff) + (p10 & 0xffff);
	uint32_t lo = (p00 & 0xffff) | (mid << 16);
	uint32_t hi = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);
	return ((uint64_t)hi << 32) | lo;
}

uint64_t __umulsidi3(uint32_t a, uint32_t b)
{
	return umul32x32(a, b);
}

/* The heap's offset-to-index step multiplies two 32-bit values as 64-bit
 * ones; GCC calls this for it, so the cross terms are skipped when zero. */
uint64_t __muldi3(uint64_t a, uint64_t b)
{
	uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32);
	uint32_t bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
	uint64_t lo = umul32x32(al, bl);
	if (ah | bh)
		lo += (uint64_t)(al * bh + ah * bl) << 32;
	return lo;
}
