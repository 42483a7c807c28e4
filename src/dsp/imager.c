/* lathe — stereo width and bass-mono (see imager.h).
 *
 * Mid M = (L + R) / 2 and side S = (L - R) / 2; out L = M + w S',
 * R = M' - w S', with w the width (side gain, glided over a sub-block).
 *
 * Bass-mono removes the side below f with a Linkwitz-Riley (LR4) split,
 * without splitting the mid:
 *
 *   M' = AP(M)           AP: 2nd-order all-pass at f, Q = 1/sqrt 2
 *   S' = HP(HP(S))       LR4 high-pass: two Butterworth (Q = 1/sqrt 2)
 *                        high-pass sections at f
 *
 * LR4 low and high outputs sum to exactly that all-pass (LP4 + HP4 =
 * (s^2 - sqrt2 s + 1) / (s^2 + sqrt2 s + 1), and the bilinear transform
 * keeps the identity), and they are in phase with each other at every
 * frequency. So the side that is kept, HP4(S), has the phase of AP(S):
 * passing the mid through the same all-pass keeps mid and side coherent,
 * and every output is the all-passed input with the side scaled by the
 * real factor |HP4| in 0..1. The mono sum L + R = 2 AP(M) is flat (an
 * all-pass): no notch or bump at f, only the LR4 phase turn; a hard-left
 * signal goes from full level above f to -6 dB in each side below it,
 * smoothly. The alternative of S' = S - LP4(S) with a dry mid would have
 * had a +3.5 dB bump in the side at f (|1 - LP4| = 1.5 there).
 *
 * Switching bass-mono crossfades over LATHE_FADE_MS between the plain
 * and the filtered outputs; the filters run only while bass-mono is on or
 * fading, and start from silence when it is switched on (the fade starts
 * at zero gain, which hides their low-frequency settling). At width 100 %
 * with bass-mono off the module is bit-transparent (it only replaces
 * non-finite samples). Latency 0.
 */
#include "imager.h"
#include "biquad.h"
#include "dsp.h"

#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The filters run on frames (mid, side) in one two-double vector:
 *
 *   section A: lane 0 the mid all-pass, lane 1 the first side high-pass;
 *   section B: lane 1 the second side high-pass, on lane 1 of A's output
 *              (lane 0 runs the same high-pass on the all-passed mid, and
 *              its output is never used: a vector operation costs what the
 *              scalar one would).
 *
 * Each lane does exactly the arithmetic of lathe_biquad_tick. */
typedef struct {
	double rate;
	LatheRamp width;     /* side gain */
	LatheRamp mono;      /* 0 = plain, 1 = bass-mono; fades */
	float freq;
	LatheBiquad2 a, b;
	LatheBiquadState2 a_st, b_st;
	int phase;      /* absolute position modulo LATHE_SUBBLOCK */
	int started;    /* audio processed since create or reset */
} Imager;

static void design(Imager *s)
{
	LatheBiquad ap = lathe_biquad_allpass(s->freq, M_SQRT1_2, s->rate);
	LatheBiquad hp = lathe_biquad_highpass(s->freq, M_SQRT1_2, s->rate);
	s->a = (LatheBiquad2){ { ap.b0, hp.b0 }, { ap.b1, hp.b1 }, { ap.b2, hp.b2 },
			       { ap.a1, hp.a1 }, { ap.a2, hp.a2 } };
	s->b = lathe_biquad2_splat(&hp);
}

static void clear_filters(Imager *s)
{
	s->a_st = s->b_st = (LatheBiquadState2){ 0 };
}

static void *imager_create(double rate)
{
	Imager *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->rate = rate;
	lathe_ramp_init(&s->width, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->mono, 0.0f, lathe_ms_to_samples(LATHE_FADE_MS, rate));
	s->freq = 120.0f; /* registry default */
	design(s);
	return s;
}

static void imager_destroy(void *self)
{
	free(self);
}

static void imager_set(void *self, int param, float value)
{
	Imager *s = self;
	switch (param) {
	case LATHE_IMAGER_WIDTH:
		lathe_ramp_set(&s->width, value * 0.01f);
		break;
	case LATHE_IMAGER_BASS_MONO: {
		float target = value >= 0.5f ? 1.0f : 0.0f;
		/* Filters idle until now: start them from silence. */
		if (target > 0.0f && lathe_ramp_value(&s->mono) == 0.0f && s->mono.to == 0.0f)
			clear_filters(s);
		lathe_ramp_set(&s->mono, target);
		break;
	}
	case LATHE_IMAGER_BASS_MONO_FREQ:
		s->freq = value;
		design(s);
		break;
	default:
		break;
	}
	/* Before any audio (the chain sets every parameter right after
	 * create) a change applies at once. */
	if (!s->started) {
		s->width.pos = s->width.len;
		s->mono.pos = s->mono.len;
	}
}

/* Filters cleared, a glide or fade in progress completes. */
static void imager_reset(void *self)
{
	Imager *s = self;
	clear_filters(s);
	s->width.pos = s->width.len;
	s->mono.pos = s->mono.len;
	s->started = 0;
}

static int imager_latency(const void *self)
{
	(void)self;
	return 0;
}

/* lathe_biquad2_tick in two halves that use the state slots in turn (a
 * register allocator does not find this by itself): step_to_old writes
 * the new input and output over the older slots (x2, y2); step_swapped
 * then reads those as the newest and writes over x1, y1, which restores
 * the usual roles. Same arithmetic as lathe_biquad2_tick. */
ALWAYS_INLINE LatheV2d step_to_old(const LatheBiquad2 *c, LatheBiquadState2 *s, LatheV2d x)
{
	LatheV2d y = (c->b0 * x + c->b1 * s->x1 + c->b2 * s->x2 - c->a2 * s->y2) - c->a1 * s->y1;
	s->x2 = x;
	s->y2 = y;
	return y;
}

ALWAYS_INLINE LatheV2d step_swapped(const LatheBiquad2 *c, LatheBiquadState2 *s, LatheV2d x)
{
	LatheV2d y = (c->b0 * x + c->b1 * s->x2 + c->b2 * s->x1 - c->a2 * s->y1) - c->a1 * s->y2;
	s->x1 = x;
	s->y1 = y;
	return y;
}

/* (mid of a, side of b) */
ALWAYS_INLINE LatheV2d merge(LatheV2d a, LatheV2d b)
{
	return __builtin_shuffle(a, b, (LatheV2i){ 0, 3 });
}

/* AP on the mids and HP4 on the sides of x[0..n-1] (frames (mid, side)),
 * in place, n >= 1. Section B runs one frame behind A: in each step B
 * filters the frame A made in the step before, so the two recursions
 * overlap instead of B waiting on A within every frame. */
static void filters(Imager *s, LatheV2d *x, int n)
{
	/* Local copies of the coefficients: the compiler then keeps more
	 * of them in registers (measured: 4 % faster). */
	const LatheBiquad2 ca = s->a, cb = s->b;
	const LatheBiquad2 *a = &ca, *b = &cb;
	LatheBiquadState2 sa = s->a_st, sb = s->b_st;
	LatheV2d va = lathe_biquad2_tick(a, &sa, x[0]); /* A's latest output */
	int t = 1;
	for (; t + 1 < n; t += 2) {
		LatheV2d out = merge(va, step_to_old(b, &sb, va));
		va = step_to_old(a, &sa, x[t]);
		x[t - 1] = out;
		out = merge(va, step_swapped(b, &sb, va));
		va = step_swapped(a, &sa, x[t + 1]);
		x[t] = out;
	}
	if (t < n) {
		LatheV2d out = merge(va, lathe_biquad2_tick(b, &sb, va));
		va = lathe_biquad2_tick(a, &sa, x[t]);
		x[t - 1] = out;
		t++;
	}
	x[t - 1] = merge(va, lathe_biquad2_tick(b, &sb, va));
	s->a_st = sa;
	s->b_st = sb;
}

#ifdef __SSE2__
/* lathe_finite on four floats: non-finite lanes become +0. */
ALWAYS_INLINE __m128 finite4(__m128 v)
{
	const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	const __m128 big = _mm_set1_ps(3.40282347e38f); /* FLT_MAX; false for NaN */
	return _mm_and_ps(v, _mm_cmple_ps(_mm_and_ps(v, abs_mask), big));
}

/* Frames i .. i + 3 to mid and side (m[], d[]) and, for the filters, to
 * frames (mid, side) widened (x[]). */
ALWAYS_INLINE void pre4(const float *left, const float *right, float *m, float *d, LatheV2d *x,
			int i, const int mono)
{
	const __m128 half = _mm_set1_ps(0.5f);
	__m128 l = finite4(_mm_loadu_ps(left + i)), r = finite4(_mm_loadu_ps(right + i));
	__m128 mv = _mm_mul_ps(half, _mm_add_ps(l, r)), dv = _mm_mul_ps(half, _mm_sub_ps(l, r));
	_mm_storeu_ps(m + i, mv);
	_mm_storeu_ps(d + i, dv);
	if (mono) {
		__m128 lo = _mm_unpacklo_ps(mv, dv), hi = _mm_unpackhi_ps(mv, dv);
		x[i] = _mm_cvtps_pd(lo);
		x[i + 1] = _mm_cvtps_pd(_mm_movehl_ps(lo, lo));
		x[i + 2] = _mm_cvtps_pd(hi);
		x[i + 3] = _mm_cvtps_pd(_mm_movehl_ps(hi, hi));
	}
}

/* Outputs of frames i .. i + 3 (see run()). */
ALWAYS_INLINE void post4(float *left, float *right, const float *m, const float *d, const LatheV2d *x,
			 const float *w, const float *t, int i, const int mono, const int steady,
			 const int check)
{
	__m128 mv = _mm_loadu_ps(m + i), dv = _mm_loadu_ps(d + i);
	__m128 ml = mv, sl = dv;
	if (mono) {
		__m128 a = _mm_movelh_ps(_mm_cvtpd_ps(x[i]), _mm_cvtpd_ps(x[i + 1]));
		__m128 b = _mm_movelh_ps(_mm_cvtpd_ps(x[i + 2]), _mm_cvtpd_ps(x[i + 3]));
		__m128 fm = _mm_sub_ps(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), mv);
		__m128 fs = _mm_sub_ps(_mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)), dv);
		if (!steady) {
			__m128 tv = _mm_loadu_ps(t + i);
			fm = _mm_mul_ps(tv, fm);
			fs = _mm_mul_ps(tv, fs);
		}
		ml = _mm_add_ps(mv, fm);
		sl = _mm_add_ps(dv, fs);
	}
	__m128 wv = steady ? _mm_set1_ps(*w) : _mm_loadu_ps(w + i);
	__m128 side = _mm_mul_ps(wv, sl);
	__m128 outl = finite4(_mm_add_ps(ml, side)), outr = finite4(_mm_sub_ps(ml, side));
	if (check) {
		__m128 keep = _mm_and_ps(_mm_cmpeq_ps(wv, _mm_set1_ps(1.0f)),
					 _mm_and_ps(_mm_cmpeq_ps(ml, mv), _mm_cmpeq_ps(sl, dv)));
		__m128 l = finite4(_mm_loadu_ps(left + i)), r = finite4(_mm_loadu_ps(right + i));
		outl = _mm_or_ps(_mm_and_ps(keep, l), _mm_andnot_ps(keep, outl));
		outr = _mm_or_ps(_mm_and_ps(keep, r), _mm_andnot_ps(keep, outr));
	}
	_mm_storeu_ps(left + i, outl);
	_mm_storeu_ps(right + i, outr);
}
#endif

/* A segment in blocks of four frames (n a multiple of 4, at most
 * LATHE_SUBBLOCK; nf <= n frames are real and filtered). Per sample the
 * float arithmetic of the plain form:
 *
 *   l, r = finite(left, right); m = 0.5 (l + r); d = 0.5 (l - r)
 *   m' = m + t (AP(m) - m); d' = d + t (HP4(d) - d)    (mono: else m, d)
 *   out = finite(m' + w d', m' - w d'), or exactly (l, r) where
 *         w == 1 and m' == m and d' == d (neutral at that sample)
 *
 * With `steady` the width is the constant *w and t is 1 (its product is
 * then exact, and skipped); otherwise they come per sample from w[], t[].
 * `check` asks for the neutral test (not needed while w != 1). */
ALWAYS_INLINE void run(Imager *s, float *left, float *right, int n, int nf, const float *w,
		       const float *t, const int mono, const int steady, const int check)
{
	float m[LATHE_SUBBLOCK], d[LATHE_SUBBLOCK];
	LatheV2d x[LATHE_SUBBLOCK];
#ifdef __SSE2__
	for (int i = 0; i < n; i += 4)
		pre4(left, right, m, d, x, i, mono);
	if (mono) {
		filters(s, x, nf);
		for (int i = nf; i < n; i++)
			x[i] = (LatheV2d){ 0.0, 0.0 };
	}
	for (int i = 0; i < n; i += 4)
		post4(left, right, m, d, x, w, t, i, mono, steady, check);
#else
	for (int i = 0; i < n; i++) {
		float l = lathe_finite(left[i]), r = lathe_finite(right[i]);
		m[i] = 0.5f * (l + r);
		d[i] = 0.5f * (l - r);
		x[i] = (LatheV2d){ m[i], d[i] };
	}
	if (mono)
		filters(s, x, nf);
	for (int i = 0; i < nf; i++) {
		float ml = m[i], sl = d[i];
		if (mono) {
			float tv = steady ? 1.0f : t[i];
			ml = m[i] + tv * ((float)x[i][0] - m[i]);
			sl = d[i] + tv * ((float)x[i][1] - d[i]);
		}
		float wv = steady ? *w : w[i];
		float side = wv * sl;
		if (check && wv == 1.0f && ml == m[i] && sl == d[i]) {
			left[i] = lathe_finite(left[i]);
			right[i] = lathe_finite(right[i]);
		} else {
			left[i] = lathe_finite(ml + side);
			right[i] = lathe_finite(ml - side);
		}
	}
#endif
}

/* Neutral and settled: only keep non-finite samples out. */
static void finite_only(float *left, float *right, int n)
{
	for (int i = 0; i < n; i++) {
		left[i] = lathe_finite(left[i]);
		right[i] = lathe_finite(right[i]);
	}
}

/* A segment: n frames that do not cross a sub-block boundary. */
static void segment(Imager *s, float *left, float *right, int n)
{
	int width_glides = s->width.pos < s->width.len;
	int mono_on = s->mono.pos < s->mono.len || s->mono.to > 0.0f;

	if (!width_glides && !mono_on && s->width.to == 1.0f) {
		finite_only(left, right, n);
		return;
	}

	/* Blocks of four: a short segment works on a padded copy. */
	int n4 = (n + 3) & ~3;
	float pl[LATHE_SUBBLOCK], pr[LATHE_SUBBLOCK];
	float *l = left, *r = right;
	if (n4 != n) {
		memset(pl, 0, sizeof(pl));
		memset(pr, 0, sizeof(pr));
		memcpy(pl, left, (size_t)n * sizeof(float));
		memcpy(pr, right, (size_t)n * sizeof(float));
		l = pl;
		r = pr;
	}

	int fading = s->mono.pos < s->mono.len;
	if (!width_glides && !fading) {
		/* Steady: constant width; bass-mono settled on (t = 1) or off. */
		float w = s->width.to;
		if (!mono_on)
			run(s, l, r, n4, n, &w, NULL, 0, 1, 0); /* w != 1 here */
		else if (w != 1.0f)
			run(s, l, r, n4, n, &w, NULL, 1, 1, 0);
		else
			run(s, l, r, n4, n, &w, NULL, 1, 1, 1);
	} else {
		float w[LATHE_SUBBLOCK] = { 0 }, t[LATHE_SUBBLOCK] = { 0 };
		for (int i = 0; i < n; i++)
			w[i] = width_glides ? lathe_ramp_next(&s->width) : s->width.to;
		if (mono_on) {
			for (int i = 0; i < n; i++)
				t[i] = lathe_ramp_next(&s->mono);
			run(s, l, r, n4, n, w, t, 1, 0, 1);
		} else {
			run(s, l, r, n4, n, w, t, 0, 0, 1);
		}
	}

	if (n4 != n) {
		memcpy(left, pl, (size_t)n * sizeof(float));
		memcpy(right, pr, (size_t)n * sizeof(float));
	}
}

static void imager_process(void *self, float *left, float *right, int n)
{
	Imager *s = self;
	s->started = 1;
	/* Segments end on sub-block boundaries, where the filter state is
	 * flushed: the same samples whatever the split into calls. */
	while (n > 0) {
		int seg = LATHE_SUBBLOCK - s->phase;
		if (seg > n)
			seg = n;
		segment(s, left, right, seg);
		left += seg;
		right += seg;
		n -= seg;
		s->phase = (s->phase + seg) % LATHE_SUBBLOCK;
		if (s->phase == 0) {
			/* Per lane, as lathe_biquad_flush per section (lane 0
			 * of B is unused). */
			lathe_biquad2_flush(&s->a_st);
			lathe_biquad2_flush(&s->b_st);
		}
	}
}

const LatheModuleClass lathe_imager_class = {
	.name = "imager",
	.n_params = LATHE_IMAGER_PARAM_COUNT,
	.create = imager_create,
	.destroy = imager_destroy,
	.set = imager_set,
	.reset = imager_reset,
	.process = imager_process,
	.latency = imager_latency,
};
