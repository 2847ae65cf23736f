/* rng.h - the suite's one pseudo-random generator, for bench/ and stress/.
 *
 * xorshift64* (Vigna, 2016): deterministic from its seed, a few
 * instructions, and good enough to choose sizes, victims and operations.
 * splitmix64 turns a (seed, stream) pair into a well-mixed non-zero state, so
 * worker i of a run seeded with s draws the same numbers in every replay.
 * Bounded values scale by a multiply, never a 64-bit division: the Xtensa
 * toolchain has no 64-bit divide. */
#ifndef BENCH_COMMON_RNG_H
#define BENCH_COMMON_RNG_H

#include <stdint.h>

/* A generator state; never 0 (xorshift would stay at 0). */
typedef uint64_t rng_t;

static inline uint64_t rng_splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The state of stream `stream` of a run seeded with `seed`. */
static inline rng_t rng_seed(uint64_t seed, uint64_t stream)
{
	rng_t x = rng_splitmix(seed ^ rng_splitmix(stream + 1));

	return x ? x : 1;
}

static inline uint64_t rng_next(rng_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ull;
}

/* Field k (0..3) of the 16-bit fields of r, scaled to [0, n): four
 * independent choices from one draw (n <= 65536 for a uniform result). */
static inline uint32_t rng_field(uint64_t r, unsigned k, uint32_t n)
{
	return (uint32_t)((((r >> (16 * k)) & 0xffffu) * (uint64_t)n) >> 16);
}

/* Uniform in [0, n) for 0 < n <= 2^32: the draw's high 32 bits, scaled. */
static inline uint32_t rng_below(rng_t *x, uint64_t n)
{
	return (uint32_t)(((rng_next(x) >> 32) * n) >> 32);
}

/* Log-uniform in (2^lo_bits, 2^(hi_bits)]: an exponent uniform in
 * [lo_bits, hi_bits), then a uniform value within that octave. */
static inline uint64_t rng_log_size(rng_t *x, unsigned lo_bits, unsigned hi_bits)
{
	unsigned e = lo_bits + (unsigned)rng_below(x, hi_bits - lo_bits);
	uint64_t base = (uint64_t)1 << e;

	return base + rng_below(x, base) + 1;
}

#endif
