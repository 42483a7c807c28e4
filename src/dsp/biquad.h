/* lathe — second-order IIR sections.
 *
 * Coefficients are designed in double and the filter runs in double
 * (direct form I): a 20 Hz high-pass at 192 kHz has poles within 1e-3 of
 * the unit circle, where float state would add audible noise. Direct form I
 * also keeps its state meaningful when coefficients glide, because the
 * state is only past inputs and outputs.
 *
 * Design functions are real-time safe (a few trig calls, no allocation):
 * modules call them from the audio thread while a parameter glides.
 */
#ifndef LATHE_BIQUAD_H
#define LATHE_BIQUAD_H

#include "dsp.h"
#include "simd.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
	double b0, b1, b2, a1, a2; /* a0 normalised to 1 */
} LatheBiquad;

typedef struct {
	double x1, x2, y1, y2;
} LatheBiquadState;

/* The identity section (output = input). */
static inline LatheBiquad lathe_biquad_identity(void)
{
	return (LatheBiquad){ 1.0, 0.0, 0.0, 0.0, 0.0 };
}

static inline double lathe_biquad_tick(const LatheBiquad *c, LatheBiquadState *s, double x)
{
	double y = c->b0 * x + c->b1 * s->x1 + c->b2 * s->x2 - c->a1 * s->y1 - c->a2 * s->y2;
	s->x2 = s->x1;
	s->x1 = x;
	s->y2 = s->y1;
	s->y1 = y;
	return y;
}

/* Flush denormal-range or non-finite state to zero (call once per block). */
static inline void lathe_biquad_flush(LatheBiquadState *s)
{
	if (!isfinite(s->y1) || !isfinite(s->y2) || !isfinite(s->x1) || !isfinite(s->x2)) {
		*s = (LatheBiquadState){ 0 };
		return;
	}
	s->x1 = lathe_flush(s->x1);
	s->x2 = lathe_flush(s->x2);
	s->y1 = lathe_flush(s->y1);
	s->y2 = lathe_flush(s->y2);
}

/* Bilinear-transform designs (frequency pre-warped at f). Used where an
 * exact algebraic identity matters more than the shape near Nyquist, such
 * as Linkwitz-Riley crossovers, whose low and high outputs must sum to an
 * all-pass. f in Hz, rate in Hz, q > 0. */
LatheBiquad lathe_biquad_lowpass(double f, double q, double rate);
LatheBiquad lathe_biquad_highpass(double f, double q, double rate);
LatheBiquad lathe_biquad_allpass(double f, double q, double rate);
/* Band-pass with 0 dB gain at f (constant peak). */
LatheBiquad lathe_biquad_bandpass(double f, double q, double rate);
/* First-order sections stored as biquads (b2 = a2 = 0). */
LatheBiquad lathe_biquad_lowpass1(double f, double rate);
LatheBiquad lathe_biquad_highpass1(double f, double rate);
LatheBiquad lathe_biquad_allpass1(double f, double rate);

/* Q of section k (0-based) of an even-order Butterworth filter of the
 * given order: 1 / (2 cos((2k+1) pi / (2 order))). */
double lathe_butterworth_q(int order, int k);

/* Magnitude of a section at frequency f, computed in double: the analytic
 * |H(e^jw)| that tests compare measured responses against. */
double lathe_biquad_magnitude(const LatheBiquad *c, double f, double rate);

/* ---- two channels in one vector ---------------------------------------- */

/* Two doubles in one SIMD register (SSE2 on x86-64; GCC lowers the vector
 * extension to scalar code on targets without 128-bit vectors). A section
 * of a stereo pair runs both channels with one vector operation per
 * multiply or add, and exactly the arithmetic of lathe_biquad_tick per
 * lane (same operations in the same order, so results are bit-identical). */
/* LatheV2d and LatheV2i come from simd.h. */

/* Coefficients broadcast to both lanes, and the state of both channels
 * (lane 0 left or mid, lane 1 right or side). */
typedef struct {
	LatheV2d b0, b1, b2, a1, a2;
} LatheBiquad2;

typedef struct {
	LatheV2d x1, x2, y1, y2;
} LatheBiquadState2;

static inline LatheV2d lathe_v2d_splat(double v) { return (LatheV2d){ v, v }; }

static inline LatheBiquad2 lathe_biquad2_splat(const LatheBiquad *c)
{
	return (LatheBiquad2){ lathe_v2d_splat(c->b0), lathe_v2d_splat(c->b1), lathe_v2d_splat(c->b2),
			       lathe_v2d_splat(c->a1), lathe_v2d_splat(c->a2) };
}

/* One frame of both lanes. a1 y1 is subtracted last: the recursion waits on
 * one multiply and one subtraction only. In a loop, keep the state in a
 * local copy so that it stays in registers. */
static inline LatheV2d lathe_biquad2_tick(const LatheBiquad2 *c, LatheBiquadState2 *s, LatheV2d x)
{
	LatheV2d y = (c->b0 * x + c->b1 * s->x1 + c->b2 * s->x2 - c->a2 * s->y2) - c->a1 * s->y1;
	s->x2 = s->x1;
	s->x1 = x;
	s->y2 = s->y1;
	s->y1 = y;
	return y;
}

/* Two consecutive floats widened to a vector, and a vector rounded to two
 * consecutive floats (as the casts would: one SSE2 conversion each). */
static inline LatheV2d lathe_v2d_load2f(const float *p)
{
#ifdef __SSE2__
	return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)));
#else
	return (LatheV2d){ p[0], p[1] };
#endif
}

static inline void lathe_v2d_store2f(float *p, LatheV2d v)
{
#ifdef __SSE2__
	_mm_storel_epi64((__m128i *)(void *)p, _mm_castps_si128(_mm_cvtpd_ps(v)));
#else
	p[0] = (float)v[0];
	p[1] = (float)v[1];
#endif
}

/* Two vectors rounded to four consecutive floats (a0, a1, b0, b1) in one
 * 16-byte store: a loop that reads them back 16 bytes at a time then gets
 * them forwarded from the store, where two 8-byte stores would stall it. */
static inline void lathe_v2d_store4f(float *p, LatheV2d a, LatheV2d b)
{
#ifdef __SSE2__
	_mm_storeu_ps(p, _mm_movelh_ps(_mm_cvtpd_ps(a), _mm_cvtpd_ps(b)));
#else
	p[0] = (float)a[0];
	p[1] = (float)a[1];
	p[2] = (float)b[0];
	p[3] = (float)b[1];
#endif
}

/* Two channels' blocks to frames of both channels, widened (x[i] = (l[i],
 * r[i])), and back, rounded (as the casts would). Four frames at a time
 * with SSE2, the rest one by one. */
static inline void lathe_v2d_from_planar(const float *restrict l, const float *restrict r,
					 LatheV2d *restrict x, int n)
{
	int i = 0;
#ifdef __SSE2__
	for (; i + 4 <= n; i += 4) {
		__m128 a = _mm_loadu_ps(l + i), b = _mm_loadu_ps(r + i);
		__m128 lo = _mm_unpacklo_ps(a, b), hi = _mm_unpackhi_ps(a, b);
		x[i] = _mm_cvtps_pd(lo);
		x[i + 1] = _mm_cvtps_pd(_mm_movehl_ps(lo, lo));
		x[i + 2] = _mm_cvtps_pd(hi);
		x[i + 3] = _mm_cvtps_pd(_mm_movehl_ps(hi, hi));
	}
#endif
	for (; i < n; i++)
		x[i] = (LatheV2d){ l[i], r[i] };
}

static inline void lathe_v2d_to_planar(const LatheV2d *restrict x, float *restrict l,
				       float *restrict r, int n)
{
	int i = 0;
#ifdef __SSE2__
	for (; i + 4 <= n; i += 4) {
		__m128 a = _mm_movelh_ps(_mm_cvtpd_ps(x[i]), _mm_cvtpd_ps(x[i + 1]));
		__m128 b = _mm_movelh_ps(_mm_cvtpd_ps(x[i + 2]), _mm_cvtpd_ps(x[i + 3]));
		_mm_storeu_ps(l + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
		_mm_storeu_ps(r + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
	}
#endif
	for (; i < n; i++) {
		l[i] = (float)x[i][0];
		r[i] = (float)x[i][1];
	}
}

/* lathe_biquad_flush for both lanes, without branches: a lane whose state
 * holds a non-finite value is cleared, and every value whose magnitude is
 * at most LATHE_STATE_FLOOR becomes +0 (bit-identical to the scalar form). */
static inline void lathe_biquad2_flush(LatheBiquadState2 *s)
{
#ifdef __SSE2__
	/* Intrinsics: GCC lowers the same code in vector-extension form to
	 * scalar selects. */
	const __m128d abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
	const __m128d big = _mm_set1_pd(1.7976931348623157e308); /* DBL_MAX */
	const __m128d floor = _mm_set1_pd(LATHE_STATE_FLOOR);
	__m128d x1 = s->x1, x2 = s->x2, y1 = s->y1, y2 = s->y2;
	__m128d ax1 = _mm_and_pd(x1, abs_mask), ax2 = _mm_and_pd(x2, abs_mask);
	__m128d ay1 = _mm_and_pd(y1, abs_mask), ay2 = _mm_and_pd(y2, abs_mask);
	/* Comparisons are false for NaN: finite is |v| <= DBL_MAX. */
	__m128d fin = _mm_and_pd(_mm_and_pd(_mm_cmple_pd(ax1, big), _mm_cmple_pd(ax2, big)),
				 _mm_and_pd(_mm_cmple_pd(ay1, big), _mm_cmple_pd(ay2, big)));
	s->x1 = _mm_and_pd(_mm_and_pd(x1, fin), _mm_cmpgt_pd(ax1, floor));
	s->x2 = _mm_and_pd(_mm_and_pd(x2, fin), _mm_cmpgt_pd(ax2, floor));
	s->y1 = _mm_and_pd(_mm_and_pd(y1, fin), _mm_cmpgt_pd(ay1, floor));
	s->y2 = _mm_and_pd(_mm_and_pd(y2, fin), _mm_cmpgt_pd(ay2, floor));
#else
	for (int k = 0; k < 2; k++) {
		LatheBiquadState b = { s->x1[k], s->x2[k], s->y1[k], s->y2[k] };
		lathe_biquad_flush(&b);
		s->x1[k] = b.x1;
		s->x2[k] = b.x2;
		s->y1[k] = b.y1;
		s->y2[k] = b.y2;
	}
#endif
}

#endif
