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

typedef struct {
	double rate;
	LatheRamp width;     /* side gain */
	LatheRamp mono;      /* 0 = plain, 1 = bass-mono; fades */
	float freq;
	LatheBiquad ap, hp;
	LatheBiquadState ap_st, hp_st[2];
	int phase;      /* absolute position modulo LATHE_SUBBLOCK */
	int started;    /* audio processed since create or reset */
} Imager;

static void design(Imager *s)
{
	s->ap = lathe_biquad_allpass(s->freq, M_SQRT1_2, s->rate);
	s->hp = lathe_biquad_highpass(s->freq, M_SQRT1_2, s->rate);
}

static void clear_filters(Imager *s)
{
	s->ap_st = (LatheBiquadState){ 0 };
	s->hp_st[0] = s->hp_st[1] = (LatheBiquadState){ 0 };
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

/* One direct form I step; the previous output enters last, so the next
 * sample waits only for its multiply and one subtraction. */
static inline double tick(const LatheBiquad *c, double x, double *x1, double *x2, double *y1, double *y2)
{
	double y = (c->b0 * x + c->b1 * *x1 + c->b2 * *x2 - c->a2 * *y2) - c->a1 * *y1;
	*x2 = *x1;
	*x1 = x;
	*y2 = *y1;
	*y1 = y;
	return y;
}

/* AP on mid[] and HP4 on side[] in place, state in locals for the block. */
static void filters(Imager *s, double *mid, double *side, int n)
{
	LatheBiquadState a = s->ap_st, h0 = s->hp_st[0], h1 = s->hp_st[1];
	const LatheBiquad ap = s->ap, hp = s->hp;
	for (int i = 0; i < n; i++) {
		mid[i] = tick(&ap, mid[i], &a.x1, &a.x2, &a.y1, &a.y2);
		double v = tick(&hp, side[i], &h0.x1, &h0.x2, &h0.y1, &h0.y2);
		side[i] = tick(&hp, v, &h1.x1, &h1.x2, &h1.y1, &h1.y2);
	}
	s->ap_st = a;
	s->hp_st[0] = h0;
	s->hp_st[1] = h1;
}

/* A segment: n frames that do not cross a sub-block boundary. */
static void segment(Imager *s, float *left, float *right, int n)
{
	int width_glides = s->width.pos < s->width.len;
	int mono_on = s->mono.pos < s->mono.len || s->mono.to > 0.0f;

	if (!width_glides && !mono_on && s->width.to == 1.0f) {
		for (int i = 0; i < n; i++) {
			left[i] = lathe_finite(left[i]);
			right[i] = lathe_finite(right[i]);
		}
		return;
	}

	float l[LATHE_SUBBLOCK], r[LATHE_SUBBLOCK], m[LATHE_SUBBLOCK], d[LATHE_SUBBLOCK];
	float w[LATHE_SUBBLOCK], t[LATHE_SUBBLOCK];
	for (int i = 0; i < n; i++) {
		l[i] = lathe_finite(left[i]);
		r[i] = lathe_finite(right[i]);
		m[i] = 0.5f * (l[i] + r[i]);
		d[i] = 0.5f * (l[i] - r[i]);
	}
	for (int i = 0; i < n; i++)
		w[i] = width_glides ? lathe_ramp_next(&s->width) : s->width.to;
	float *ml = m, *sl = d;
	float fml[LATHE_SUBBLOCK], fsl[LATHE_SUBBLOCK];
	if (mono_on) {
		double fm[LATHE_SUBBLOCK], fs[LATHE_SUBBLOCK];
		for (int i = 0; i < n; i++) {
			fm[i] = m[i];
			fs[i] = d[i];
			t[i] = lathe_ramp_next(&s->mono);
		}
		filters(s, fm, fs, n);
		for (int i = 0; i < n; i++) {
			fml[i] = m[i] + t[i] * ((float)fm[i] - m[i]);
			fsl[i] = d[i] + t[i] * ((float)fs[i] - d[i]);
		}
		ml = fml;
		sl = fsl;
	}
	if (!width_glides && !mono_on) {
		/* Steady width (not 100 %, or the fast path had been taken). */
		for (int i = 0; i < n; i++) {
			float side = w[i] * d[i];
			left[i] = lathe_finite(m[i] + side);
			right[i] = lathe_finite(m[i] - side);
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		float side = w[i] * sl[i];
		if (w[i] == 1.0f && ml[i] == m[i] && sl[i] == d[i]) {
			/* Neutral at this sample (a glide or fade has just ended):
			 * the same exact copy as the fast path above, so that the
			 * output does not depend on where a call started. */
			left[i] = l[i];
			right[i] = r[i];
		} else {
			left[i] = lathe_finite(ml[i] + side);
			right[i] = lathe_finite(ml[i] - side);
		}
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
			lathe_biquad_flush(&s->ap_st);
			lathe_biquad_flush(&s->hp_st[0]);
			lathe_biquad_flush(&s->hp_st[1]);
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
