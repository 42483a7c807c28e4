/* lathe — TPDF dither to 16, 20 or 24 bits, optional noise shaping (see
 * dither.h).
 *
 * Per sample and channel, in units of the target LSB (S = 2^(bits-1)):
 *
 *   u = S x + sum_i h[i] e[n-i]        (shaping: filtered past errors)
 *   k = round(u + d)                   d = TPDF dither, two uniforms in
 *                                      [-1/2, 1/2), so -1 <= d < 1
 *   e[n] = k - u                       (dither + rounding, |e| <= 3/2)
 *   out = clip(k, -S, S - 1) / S       (exactly on the grid)
 *
 * so out = x + (e * NTF) / S with the noise transfer function
 * NTF(z) = 1 + h[1] z^-1 + ... + h[7] z^-7. Flat mode has NTF = 1: the
 * error is rounding (LSB^2/12) plus dither (LSB^2/6), LSB^2/4 in all,
 * white and independent of the signal (TPDF removes noise modulation).
 *
 * All of it runs in 64-bit integers counting 2^-17 LSB ("fine units"):
 * the dither is then exact, rounding is a shift, the result is the same on
 * every machine, and the error feedback's loop (one multiply and a few
 * adds and shifts per sample) is short, which is what limits its speed.
 * 2^-17 LSB is far below anything the dither can show.
 *
 * Shaping: NTF is designed at create() for the rate as the minimum-phase
 * filter of a target curve (cepstral method), cut to 8 taps. Being monic
 * and minimum-phase, its log-magnitude averages 0 dB over the band
 * (Gerzon-Craven), so what it takes from the ear's sensitive region it
 * puts where hearing is poor. Target: at 44.1/48 kHz, -10 dB up to 7 kHz,
 * rising to a flat top above 15 kHz (about +10 dB); at 88.2 kHz and above,
 * -12 dB up to 20 kHz and the noise moved above 28 kHz. The error feedback
 * is a finite filter of bounded errors (|e| <= 3/2 LSB, taken before the
 * clip), so it is stable whatever the signal, and the shaped noise is at
 * most 3/2 * sum |h| LSB (6 LSB at 44.1 kHz); its power is 4x the flat
 * noise at 44.1 kHz (+6 dB), 7x at 96 kHz.
 *
 * Noise: a counter-based generator (a 64-bit counter stepped by an odd
 * constant, then a 64-bit mixing function with two multiplies, SplitMix64
 * after S. Vigna). One 64-bit draw per frame gives four 16-bit uniforms
 * (each the centre of one of 2^16 equal cells of [-1/2, 1/2), so exactly
 * symmetric): the left channel takes the upper 32 bits, the right the
 * lower, so the
 * channels' noises are independent (disjoint bits of a full-avalanche mix)
 * at half the cost of two generators. reset() restarts the sequence.
 */
#include "dither.h"

#include <complex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "simd.h"

#ifdef __SSE2__
#include <emmintrin.h>
#include <float.h>
#endif

/* Taps of the noise transfer function, h[0] = 1 included: 8 follow the
 * target within about 2 dB; 12 within 1 dB for half again the work.
 * (dither_process is written for exactly 8.) */
#define NS_TAPS 8
/* Points of the cepstral design grid over the full circle: the target is
 * smooth, so its cepstrum has died out long before 256 (no aliasing). */
#define NS_GRID 512

/* Counter step of the generator: odd (so the counter visits every 64-bit
 * value), 2^64 / golden ratio (so nearby counters differ in many bits). */
#define RNG_STEP 0x9e3779b97f4a7c15u
#define RNG_SEED 0x6c617468652d6469u /* "lathe-di" */

/* Fine units per LSB (2^17: a 16-bit uniform's cell centres are odd
 * multiples of 2^-17), and the fixed-point scale of the shaping taps. */
#define FINE_BITS 17
#define TAP_BITS 24
/* Added before a right shift so that it shifts a non-negative number
 * (a floor division, with no implementation-defined behaviour), taken off
 * after. Every value shifted is far smaller: |u| < 2^42, |sum h e| < 2^47. */
#define SHIFT_BIAS ((int64_t)1 << 62)
#define HALF_LSB ((int64_t)1 << (FINE_BITS - 1))
#define FINE_MASK (((uint64_t)1 << FINE_BITS) - 1)
/* The two-lane loop (see dither_lanes) multiplies non-negative operands
 * below 2^32: the errors offset by ERR_BIAS (|e| <= 3/2 2^17 < 2^18) or
 * complemented to ERR_TOP, and the taps' magnitudes, below TAP_LIMIT at
 * every rate (2^25 at most; create() checks, the scalar loop takes any
 * taps that would not fit). */
#define ERR_BIAS ((int64_t)1 << 18)
#define ERR_TOP ((int64_t)1 << 19)
#define TAP_LIMIT ((int64_t)1 << 26)


typedef struct {
	double rate;
	int bits;    /* 16, 20 or 24 */
	bool shaped;
	double fine_scale; /* S * 2^17: a sample in fine units */
	float inv_scale;   /* 1/S, exact */
	double h[NS_TAPS];  /* NTF taps; h[0] = 1 */
	int64_t hq[NS_TAPS]; /* the same in Q24 */
	uint64_t rng;
	int64_t err[2][NS_TAPS - 1]; /* e[n-1] .. e[n-7] per channel, fine units, newest first */
#ifdef __SSE2__
	/* The two-lane loop (see dither_lanes), when the taps fit it
	 * (|hq| < 2^26): it keeps the error history itself, as e' = e +
	 * ERR_BIAS and ERR_TOP - e', both channels in a vector, oldest first
	 * (e'[n-7] .. e'[n-1]); and the taps' constants. */
	bool lanes;
	LatheV2i hist_p[NS_TAPS - 1], hist_n[NS_TAPS - 1];
	LatheV2i mag[NS_TAPS]; /* |hq[t]| */
	LatheV2i base;         /* SHIFT_BIAS and the offsets' share of sum h e */
	bool neg[NS_TAPS];  /* hq[t] < 0 */
#endif
} Dither;

/* --- noise ----------------------------------------------------------------- */

static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += RNG_STEP);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* TPDF in fine units from 32 random bits: the sum of two uniforms, one per
 * 16-bit half h (0..65535), each at (2 (h - 32768) + 1) 2^-17 LSB. */
static inline int64_t tpdf(uint32_t bits)
{
	int64_t a = (int64_t)(bits >> 16) - 32768, b = (int64_t)(bits & 0xffffu) - 32768;
	return 2 * (a + b) + 2;
}

/* floor(v / 2^s) for |v| < 2^62. */
static inline int64_t shift_floor(int64_t v, int s)
{
	return (int64_t)((uint64_t)(v + SHIFT_BIAS) >> s) - (SHIFT_BIAS >> s);
}

/* --- noise-shaping design -------------------------------------------------- */

/* Target NTF in dB at f Hz, before the level `top` of the region that takes
 * the noise is solved for. */
static double ns_target(double f, double lo_db, double f1, double f2, double top)
{
	if (f <= f1)
		return lo_db;
	if (f >= f2)
		return top;
	return lo_db + (top - lo_db) * (f - f1) / (f2 - f1);
}

/* Designs d->h; false when out of memory. */
static bool design_shaping(Dither *d)
{
	const double nyq = 0.5 * d->rate;
	/* Below 80 kHz there is no room above hearing: the noise goes where
	 * the ear is least sensitive (the top octave). Above, it leaves the
	 * audio band. */
	double lo_db = -10.0, f1 = 7000.0, f2 = 15000.0;
	if (d->rate >= 80000.0) {
		lo_db = -12.0;
		f1 = 20000.0;
		f2 = 28000.0;
	}
	/* The top level that makes the mean of the log-magnitude 0 dB (the
	 * constraint of a monic minimum-phase filter), by bisection. */
	double top = 0.0, lo = -60.0, hi = 60.0;
	for (int it = 0; it < 60; it++) {
		top = 0.5 * (lo + hi);
		double sum = 0.0;
		for (int i = 0; i <= NS_GRID / 2; i++) {
			double w = (i == 0 || i == NS_GRID / 2) ? 0.5 : 1.0;
			sum += w * ns_target(nyq * i / (NS_GRID / 2), lo_db, f1, f2, top);
		}
		if (sum > 0.0)
			hi = top;
		else
			lo = top;
	}

	/* Cepstral method: real cepstrum of the log-magnitude, folded onto
	 * positive quefrencies (minimum phase), exponentiated back. */
	const int n = NS_GRID;
	double *logm = malloc(sizeof(double) * n), *cep = malloc(sizeof(double) * n);
	double complex *spec = malloc(sizeof(double complex) * n);
	double complex *tw = malloc(sizeof(double complex) * n);
	bool ok = logm && cep && spec && tw;
	if (!ok)
		goto out;
	for (int k = 0; k < n; k++) {
		tw[k] = cexp(-I * 2.0 * M_PI * k / n);
		int bin = k <= n / 2 ? k : n - k;
		logm[k] = ns_target(nyq * bin / (n / 2), lo_db, f1, f2, top) * (M_LN10 / 20.0);
	}
	for (int q = 0; q < n; q++) {
		double s = 0.0;
		for (int k = 0; k < n; k++)
			s += logm[k] * creal(tw[(size_t)k * q % n]);
		cep[q] = s / n;
	}
	for (int q = 1; q < n / 2; q++)
		cep[q] *= 2.0;
	for (int q = n / 2 + 1; q < n; q++)
		cep[q] = 0.0;
	for (int k = 0; k < n; k++) {
		double complex s = 0.0;
		for (int q = 0; q <= n / 2; q++)
			s += cep[q] * tw[(size_t)k * q % n];
		spec[k] = cexp(s);
	}
	for (int t = 0; t < NS_TAPS; t++) {
		double complex s = 0.0;
		for (int k = 0; k < n; k++)
			s += spec[k] * conj(tw[(size_t)k * t % n]);
		d->h[t] = creal(s) / n;
	}
	d->h[0] = 1.0; /* exp(mean log) = 1 up to rounding: make it exact */
out:
	free(logm), free(cep), free(spec), free(tw);
	return ok;
}

#ifdef __SSE2__
/* --- both channels at once (SSE2) -------------------------------------------
 * The scalar loop's integers (dither_process), bit for bit, the left
 * channel in lane 0 and the right in lane 1 of 64-bit lanes. Three passes
 * over the block: the noise and the samples in fine units (no recursion:
 * full throughput), the error feedback (the only recursion), the clip and
 * the conversion. Changes of form, each exact:
 *  - llrint is "add 1.5 2^52, read the bits" (|v| < 2^51), and x S is
 *    exact in float (S a power of 2);
 *  - the TPDF's two 16-bit uniforms are summed by pmaddwd once their top
 *    bits are flipped (h ^ 0x8000 read as signed is h - 32768);
 *  - k is the low half of V >> FINE_BITS, V = u + d + SHIFT_BIAS;
 *  - SSE2 multiplies only unsigned 32 x 32 -> 64 bits: a tap h >= 0
 *    multiplies e' = e + ERR_BIAS, a tap h < 0 its complement
 *    e'' = ERR_TOP - e' (h e = |h| e'' - |h| ERR_TOP - h ERR_BIAS), the
 *    constants summed once (Dither.base), in wrapping 64-bit arithmetic. */

#define ROUND_MAGIC 6755399441055744.0 /* 1.5 2^52 */
#define ROUND_MAGIC_BITS 0x4338000000000000u
/* D = e' + X (below) = d + ERR_BIAS = 2 (a + b) + TPDF_D, a and b the
 * uniforms (h - 32768), as d = tpdf + HALF_LSB = 2 (a + b) + 2 + HALF_LSB.
 * Positive, so that it widens to 64 bits with zeros. */
#define TPDF_D (2 + HALF_LSB + ERR_BIAS)

/* At create: whether the taps fit, and their constants. */
static void lanes_setup(Dither *d)
{
	d->lanes = true;
	uint64_t b = (uint64_t)SHIFT_BIAS;
	for (int t = 1; t < NS_TAPS; t++) {
		int64_t h = d->hq[t], m = h < 0 ? -h : h;
		d->lanes &= m < TAP_LIMIT;
		d->neg[t] = h < 0;
		d->mag[t] = (LatheV2i){ m, m };
		b -= (uint64_t)ERR_BIAS * (uint64_t)h;
		if (t >= 2 && h < 0) /* h1 takes e' = D - X, signed (below) */
			b -= (uint64_t)ERR_TOP * (uint64_t)m;
	}
	d->base = (LatheV2i){ (long long)b, (long long)b };
}

/* Frames i, i+1 (or only i, when `two` is false): D, and W = V less the
 * feedback's share (bits(f + magic) + D + wconst = f + d + SHIFT_BIAS,
 * shaped less SHIFT_BIAS >> TAP_BITS, which the feedback brings). */
static inline void lanes_prepare(const float *l, const float *r, uint64_t *rng, bool two,
				 __m128 scale, __m128i wconst, __m128i *w, __m128i *dd)
{
	__m128 x;
	__m128i zz;
	if (two) {
		uint64_t z0 = rng_next(rng), z1 = rng_next(rng);
		zz = _mm_set_epi64x((long long)z1, (long long)z0);
		x = _mm_unpacklo_ps(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)l)),
				    _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)r)));
	} else {
		zz = _mm_set_epi64x(0, (long long)rng_next(rng));
		x = _mm_unpacklo_ps(_mm_load_ss(l), _mm_load_ss(r));
	}
	/* Each 32-bit half of z: twice the sum of its two uniforms (the right
	 * channel's in the low half), + TPDF_D; to lanes (L0, R0), (L1, R1). */
	__m128i s = _mm_madd_epi16(_mm_xor_si128(zz, _mm_set1_epi16((short)0x8000)), _mm_set1_epi16(2));
	s = _mm_shuffle_epi32(_mm_add_epi32(s, _mm_set1_epi32(TPDF_D)), _MM_SHUFFLE(2, 3, 0, 1));
	const __m128i zero = _mm_setzero_si128();
	__m128i d0 = _mm_unpacklo_epi32(s, zero), d1 = _mm_unpackhi_epi32(s, zero);
	/* fine(): non-finite to 0, clamped to +-2, scaled (all exact in
	 * float), rounded to the nearest integer in double. */
	const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	x = _mm_and_ps(x, _mm_cmple_ps(_mm_and_ps(x, abs_mask), _mm_set1_ps(FLT_MAX)));
	x = _mm_mul_ps(_mm_min_ps(_mm_max_ps(x, _mm_set1_ps(-2.0f)), _mm_set1_ps(2.0f)), scale);
	const __m128d magic = _mm_set1_pd(ROUND_MAGIC);
	__m128i f0 = _mm_castpd_si128(_mm_add_pd(_mm_cvtps_pd(x), magic));
	dd[0] = d0;
	w[0] = _mm_add_epi64(_mm_add_epi64(f0, d0), wconst);
	if (two) {
		__m128i f1 = _mm_castpd_si128(_mm_add_pd(_mm_cvtps_pd(_mm_movehl_ps(x, x)), magic));
		dd[1] = d1;
		w[1] = _mm_add_epi64(_mm_add_epi64(f1, d1), wconst);
	}
}

/* The error feedback over the block: W becomes V.
 *
 * With X = (u + d) mod 2^17 = V & FINE_MASK, e' = D - X: the newest tap's
 * product is h1 D - h1 X, and only h1 X waits for the previous frame, so
 * the recursion is an and, a multiply, an add, a shift and an add; the
 * rest is summed while it runs. The older errors come from memory (of
 * each, the form its tap's sign asks for), but e'[j-2] from a register,
 * as a store takes a while to reach a load. h1_neg, h2_neg: the signs of
 * h1 and h2, constants so that each case has its own loop. */
static inline __attribute__((always_inline)) void lanes_feedback(Dither *d, __m128i *w, const __m128i *dd,
								 int n, bool h1_neg, bool h2_neg)
{
	enum { HIST = NS_TAPS - 1 };
	/* e'[k - HIST] in hp[k], its complement in hn[k] */
	__m128i hp[LATHE_SUBBLOCK + HIST], hn[LATHE_SUBBLOCK + HIST];
	memcpy(hp, d->hist_p, sizeof d->hist_p);
	memcpy(hn, d->hist_n, sizeof d->hist_n);
	const __m128i *s3 = (d->neg[3] ? hn : hp) + HIST - 3, *s4 = (d->neg[4] ? hn : hp) + HIST - 4,
		      *s5 = (d->neg[5] ? hn : hp) + HIST - 5, *s6 = (d->neg[6] ? hn : hp) + HIST - 6,
		      *s7 = (d->neg[7] ? hn : hp) + HIST - 7;
	const __m128i m1 = d->mag[1], m2 = d->mag[2], m3 = d->mag[3], m4 = d->mag[4], m5 = d->mag[5],
		      m6 = d->mag[6], m7 = d->mag[7], base = d->base;
	const __m128i mask = _mm_set1_epi64x((long long)FINE_MASK), top = _mm_set1_epi64x(ERR_TOP);
	/* The newest error before the block, as D - X with X = 0. */
	__m128i dprev = hp[HIST - 1], x = _mm_setzero_si128();
	__m128i e2 = h2_neg ? hn[HIST - 2] : hp[HIST - 2];
	for (int j = 0; j < n; j++) {
		/* h1 D + the older taps + the constants, */
		__m128i a = _mm_add_epi64(_mm_add_epi64(_mm_mul_epu32(m7, s7[j]), _mm_mul_epu32(m6, s6[j])),
					  _mm_add_epi64(_mm_mul_epu32(m5, s5[j]), _mm_mul_epu32(m4, s4[j])));
		__m128i hd = _mm_mul_epu32(m1, dprev);
		hd = h1_neg ? _mm_sub_epi64(base, hd) : _mm_add_epi64(base, hd);
		a = _mm_add_epi64(_mm_add_epi64(a, _mm_mul_epu32(m3, s3[j])),
				  _mm_add_epi64(hd, _mm_mul_epu32(m2, e2)));
		/* then - h1 X. (The empty asm keeps the compiler from
		 * reassociating the sum, which would put adds after the
		 * multiply that waits.) */
		__asm__("" : "+x"(a));
		__m128i hx = _mm_mul_epu32(m1, x);
		a = h1_neg ? _mm_add_epi64(a, hx) : _mm_sub_epi64(a, hx);
		/* V = u + d + SHIFT_BIAS */
		__m128i v = _mm_add_epi64(_mm_srli_epi64(a, TAP_BITS), w[j]);
		w[j] = v;
		__m128i e1 = _mm_sub_epi64(dprev, x), e1n = _mm_sub_epi64(top, e1);
		hp[j + HIST - 1] = e1;
		hn[j + HIST - 1] = e1n;
		e2 = h2_neg ? e1n : e1;
		x = _mm_and_si128(v, mask);
		dprev = dd[j];
	}
	hp[n + HIST - 1] = _mm_sub_epi64(dprev, x);
	hn[n + HIST - 1] = _mm_sub_epi64(top, hp[n + HIST - 1]);
	memcpy(d->hist_p, hp + n, sizeof d->hist_p);
	memcpy(d->hist_n, hn + n, sizeof d->hist_n);
}

/* Frames i, i+1 (or only i) of V to the output: k = V >> FINE_BITS (its
 * low 32 bits), clipped to [lo, hi], times 1/S, all exact in float (a k
 * beyond 2^24 rounds, but stays beyond the clip). */
static inline void lanes_output(__m128i v0, __m128i v1, float *l, float *r, bool two, __m128 lo,
				__m128 hi, __m128 inv)
{
	__m128 k = _mm_shuffle_ps(_mm_castsi128_ps(_mm_srli_epi64(v0, FINE_BITS)),
				  _mm_castsi128_ps(_mm_srli_epi64(v1, FINE_BITS)), _MM_SHUFFLE(2, 0, 2, 0));
	__m128 y = _mm_mul_ps(_mm_min_ps(_mm_max_ps(_mm_cvtepi32_ps(_mm_castps_si128(k)), lo), hi), inv);
	/* (L0, R0, L1, R1) to (L0, L1, R0, R1) */
	y = _mm_shuffle_ps(y, y, _MM_SHUFFLE(3, 1, 2, 0));
	if (two) {
		_mm_storel_pi((__m64 *)(void *)l, y);
		_mm_storeh_pi((__m64 *)(void *)r, y);
	} else {
		_mm_store_ss(l, y);
		_mm_store_ss(r, _mm_movehl_ps(y, y));
	}
}

static void dither_lanes(Dither *d, float *left, float *right, int n)
{
	__m128i w[LATHE_SUBBLOCK], dd[LATHE_SUBBLOCK];
	uint64_t wc = (uint64_t)SHIFT_BIAS - ROUND_MAGIC_BITS - (uint64_t)ERR_BIAS;
	if (d->shaped)
		wc -= (uint64_t)SHIFT_BIAS >> TAP_BITS;
	const __m128i wconst = _mm_set1_epi64x((long long)wc);
	const __m128 scale = _mm_set1_ps((float)d->fine_scale);
	uint64_t rng = d->rng;
	int i = 0;
	for (; i + 2 <= n; i += 2)
		lanes_prepare(left + i, right + i, &rng, true, scale, wconst, w + i, dd + i);
	if (i < n)
		lanes_prepare(left + i, right + i, &rng, false, scale, wconst, w + i, dd + i);
	d->rng = rng;

	if (d->shaped) {
		if (d->neg[1])
			d->neg[2] ? lanes_feedback(d, w, dd, n, true, true) : lanes_feedback(d, w, dd, n, true, false);
		else
			d->neg[2] ? lanes_feedback(d, w, dd, n, false, true) : lanes_feedback(d, w, dd, n, false, false);
	}

	/* The clip's grid indices: -S and S - 1. */
	const float s = (float)((int32_t)1 << (d->bits - 1));
	const __m128 lo = _mm_set1_ps(-s), hi = _mm_set1_ps(s - 1.0f), inv = _mm_set1_ps(d->inv_scale);
	i = 0;
	for (; i + 2 <= n; i += 2)
		lanes_output(w[i], w[i + 1], left + i, right + i, true, lo, hi, inv);
	if (i < n)
		lanes_output(w[i], w[i], left + i, right + i, false, lo, hi, inv);
}
#endif

/* --- module ---------------------------------------------------------------- */

static void set_bits(Dither *d, int bits)
{
	d->bits = bits;
	d->fine_scale = ldexp(1.0, bits - 1 + FINE_BITS);
	d->inv_scale = (float)ldexp(1.0, 1 - bits);
}

/* The error feedback starts again from silence. */
static void clear_errors(Dither *d)
{
	memset(d->err, 0, sizeof d->err);
#ifdef __SSE2__
	for (int k = 0; k < NS_TAPS - 1; k++) {
		d->hist_p[k] = (LatheV2i){ ERR_BIAS, ERR_BIAS };
		d->hist_n[k] = (LatheV2i){ ERR_TOP - ERR_BIAS, ERR_TOP - ERR_BIAS };
	}
#endif
}

static void dither_reset(void *self)
{
	Dither *d = self;
	d->rng = RNG_SEED;
	clear_errors(d);
}

static void *dither_create(double rate)
{
	/* 16-byte aligned: the struct holds vectors (LatheV2i). */
	const size_t size = (sizeof(Dither) + 15) & ~(size_t)15;
	Dither *d = aligned_alloc(16, size);
	if (!d)
		return NULL;
	memset(d, 0, size);
	d->rate = rate;
	if (!design_shaping(d)) {
		free(d);
		return NULL;
	}
	for (int t = 0; t < NS_TAPS; t++)
		d->hq[t] = llrint(ldexp(d->h[t], TAP_BITS));
#ifdef __SSE2__
	lanes_setup(d);
#endif
	/* The registry's defaults: 16 bits, flat. */
	set_bits(d, 16);
	d->shaped = false;
	dither_reset(d);
	return d;
}

static void dither_destroy(void *self)
{
	free(self);
}

static void dither_set(void *self, int param, float value)
{
	Dither *d = self;
	/* Both are steps, taken at once: the output only ever differs from
	 * the input by the dither noise (at most 3/2 LSB flat, -87 dBFS peak at
	 * 16 bits; 6 to 11 LSB shaped, -75 to -70 dBFS), so a change swaps one
	 * noise floor for another at that level. It has no step of its own to
	 * click with: both noises are zero-mean and the signal goes on
	 * unchanged. The error history is in units of the old LSB, so it
	 * starts again. */
	switch (param) {
	case LATHE_DITHER_BITS: {
		static const int depth[] = { 16, 20, 24 };
		int i = (int)lrintf(value);
		i = i < 0 ? 0 : i > 2 ? 2 : i;
		if (depth[i] != d->bits) {
			set_bits(d, depth[i]);
			clear_errors(d);
		}
		break;
	}
	case LATHE_DITHER_SHAPING:
		if ((value >= 0.5f) != d->shaped) {
			d->shaped = value >= 0.5f;
			clear_errors(d);
		}
		break;
	default:
		break;
	}
}

/* A sample in fine units: NaN/Inf become silence; beyond +-2 everything
 * clips anyway, and the bound keeps every product inside int64. */
static inline int64_t fine(float x, double scale)
{
	double v = lathe_finite(x);
	v = v < -2.0 ? -2.0 : v > 2.0 ? 2.0 : v;
	return llrint(v * scale);
}

/* Grid index of fine value w + half an LSB, rounded down: round(w). */
static inline int64_t grid(int64_t w)
{
	return shift_floor(w + HALF_LSB, FINE_BITS);
}



static void dither_process(void *self, float *left, float *right, int n)
{
	Dither *d = self;
#ifdef __SSE2__
	if (d->lanes) {
		dither_lanes(d, left, right, n);
		return;
	}
#endif
	const double scale = d->fine_scale;
	const float inv = d->inv_scale;
	/* Grid indices of the clip: -1 and 1 - 1 LSB. */
	const int64_t lo = -((int64_t)1 << (d->bits - 1)), hi = -lo - 1;
	uint64_t rng = d->rng;
	if (d->shaped) {
		/* Both channels in one loop, so that their feedback loops (a
		 * multiply, adds and shifts per sample) overlap; the error
		 * histories live in registers. */
		const int64_t *h = d->hq;
		int64_t *el = d->err[0], *er = d->err[1];
		int64_t l1 = el[0], l2 = el[1], l3 = el[2], l4 = el[3], l5 = el[4], l6 = el[5], l7 = el[6];
		int64_t r1 = er[0], r2 = er[1], r3 = er[2], r4 = er[3], r5 = er[4], r6 = er[5], r7 = er[6];
		for (int i = 0; i < n; i++) {
			uint64_t z = rng_next(&rng);
			/* The older taps first, the newest last: only its product
			 * waits for the previous sample. */
			int64_t ul = fine(left[i], scale) +
				     shift_floor(h[7] * l7 + h[6] * l6 + h[5] * l5 + h[4] * l4 +
						 h[3] * l3 + h[2] * l2 + h[1] * l1, TAP_BITS);
			int64_t ur = fine(right[i], scale) +
				     shift_floor(h[7] * r7 + h[6] * r6 + h[5] * r5 + h[4] * r4 +
						 h[3] * r3 + h[2] * r2 + h[1] * r1, TAP_BITS);
			int64_t dl = tpdf((uint32_t)(z >> 32)) + HALF_LSB;
			int64_t dr = tpdf((uint32_t)z) + HALF_LSB;
			int64_t kl = shift_floor(ul + dl, FINE_BITS), kr = shift_floor(ur + dr, FINE_BITS);
			l7 = l6, l6 = l5, l5 = l4, l4 = l3, l3 = l2, l2 = l1;
			r7 = r6, r6 = r5, r5 = r4, r4 = r3, r3 = r2, r2 = r1;
			/* e = k - u = d + 1/2 - (the part of u + d + 1/2 below
			 * one LSB): the dither and the rounding, from the low bits. */
			l1 = dl - (int64_t)((uint64_t)(ul + dl) & FINE_MASK);
			r1 = dr - (int64_t)((uint64_t)(ur + dr) & FINE_MASK);
			left[i] = (float)(kl < lo ? lo : kl > hi ? hi : kl) * inv;
			right[i] = (float)(kr < lo ? lo : kr > hi ? hi : kr) * inv;
		}
		el[0] = l1, el[1] = l2, el[2] = l3, el[3] = l4, el[4] = l5, el[5] = l6, el[6] = l7;
		er[0] = r1, er[1] = r2, er[2] = r3, er[3] = r4, er[4] = r5, er[5] = r6, er[6] = r7;
	} else {
		for (int i = 0; i < n; i++) {
			uint64_t z = rng_next(&rng);
			int64_t kl = grid(fine(left[i], scale) + tpdf((uint32_t)(z >> 32)));
			int64_t kr = grid(fine(right[i], scale) + tpdf((uint32_t)z));
			left[i] = (float)(kl < lo ? lo : kl > hi ? hi : kl) * inv;
			right[i] = (float)(kr < lo ? lo : kr > hi ? hi : kr) * inv;
		}
	}
	d->rng = rng;
}

static int dither_latency(const void *self)
{
	(void)self;
	return 0;
}

const LatheModuleClass lathe_dither_class = {
	.name = "dither",
	.n_params = LATHE_DITHER_PARAM_COUNT,
	.create = dither_create,
	.destroy = dither_destroy,
	.set = dither_set,
	.reset = dither_reset,
	.process = dither_process,
	.latency = dither_latency,
	.gain_reduction = NULL,
};
