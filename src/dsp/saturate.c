/* lathe — harmonic saturation, oversampled (see saturate.h).
 *
 * Signal flow per channel, all at the base rate except the curve:
 *
 *   x ─► drive ─► up (2/4/8x) ─► curve ─► down ─► pad ─┐ wet
 *   │                                                   ├─► mix ─► out
 *   └───────────────────► delay (latency) ──────────────┘ dry
 *
 * The drive is applied before upsampling (it is linear, so it commutes
 * with the up filters, and costs one multiply per base sample instead of
 * eight). The output gain scales the wet path only: it is the make-up for
 * the drive, so that the mix control blends two matched levels.
 *
 * Both channels run together, interleaved (L R L R ...), from the input
 * to the output: a 4-wide vector holds two frames of both channels, the
 * oversampler filters them with one set of vector operations
 * (oversample.h) and the curves run on the interleaved high-rate signal
 * as it is. Every sample still gets exactly the arithmetic it would get
 * alone, so the result does not depend on how calls split the signal.
 *
 * Latency is the same at every factor: each factor's round trip is a whole
 * number of samples (oversample.h), and the shorter ones are padded with a
 * base-rate delay to the longest. The dry path is delayed by the same.
 *
 * Curves (u is the driven signal; all have slope 1 at 0, so a small
 * signal passes at unity gain whatever the type):
 *  - tape: tanh(u). Odd, smooth: odd harmonics only, and because tanh is
 *    analytic (nearest singularity at u = +-i pi/2) its harmonics fall off
 *    exponentially, which keeps what folds back past the oversampled
 *    Nyquist small.
 *  - tube: tanh(u) + K tanh(u)^2. The square adds even harmonics (mostly
 *    the second) and makes the curve asymmetric (limits 1 + K and -1 + K),
 *    like a single-ended triode. The square also makes DC that follows the
 *    level; a low-pass at DC_HZ estimates that DC at the base rate
 *    (from tanh(u)^2 of the base-rate samples, which has the same mean)
 *    and it is subtracted after decimation. (The estimate leads the wet
 *    path by the oversampler's latency, 1.6 ms at most: 3 degrees at
 *    5 Hz.)
 *    Only the DC the curve creates is removed: the signal itself is not
 *    high-passed.
 *  - soft clip: u - 4/27 u^3 up to |u| = 1.5, where it reaches exactly 1
 *    with zero slope, and 1 beyond: a hard limit at full scale.
 *
 * Changes of type and of factor are crossfaded over LATHE_FADE_MS. A new
 * factor's filters are first run for WARM latencies unheard, from silence,
 * so that the fade is between two settled signals. Both changes start only
 * at a sub-block boundary (absolute position a multiple of LATHE_SUBBLOCK),
 * and the block is processed in segments that end on those boundaries, so
 * that any split of the signal into calls gives identical output.
 */
#include "saturate.h"
#include "dsp.h"
#include "simd.h"
#include "oversample.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define FACTORS 3     /* 2x, 4x, 8x: the registry's enum order */
#define MAX_FACTOR 8
#define OS_MAX (LATHE_SUBBLOCK * MAX_FACTOR)

/* Tube: second-harmonic weight. 0.2 puts the second harmonic 26 dB below
 * the fundamental for a -6 dBFS sine at 0 dB drive (K A / 2 = 0.05), a
 * clearly audible but not dominant colour, and keeps the curve monotonic
 * (it is while K <= 0.5). */
#define TUBE_K 0.2f
/* The DC estimate is two one-pole low-passes at 5 Hz in cascade: it
 * settles in about 60 ms, and the second pole matters because tanh(u)^2 of
 * base-rate samples has the second harmonic of content above fs/4 folded
 * into the band: 12 dB/oct puts a 20 kHz tone's fold (at 4.1 kHz at
 * 44.1 kHz) 118 dB down before it reaches the wet path. */
#define DC_HZ 5.0
/* Inputs to the wet path are clamped here (80 dB above full scale), so
 * that no finite input can overflow the filters to infinity; the curves
 * are flat long before it. */
#define WET_LIMIT 1e4f
/* Warm-up of a new factor, in latencies: the filters' memory is at most
 * twice the latency (linear-phase FIRs are as long after their centre as
 * before it). */
#define WARM 2


static inline LatheV4f splat(float x) { return (LatheV4f){ x, x, x, x }; }

#if defined(__clang__)
#define SHUF(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define SHUF(a, b, i, j, k, l) __builtin_shuffle(a, b, (LatheV4i){ i, j, k, l })
#endif

/* x clamped to [-lim, lim] (x is never NaN here). */
static inline LatheV4f clamp4(LatheV4f x, float lim)
{
#ifdef __SSE2__
	return (LatheV4f)_mm_max_ps(_mm_min_ps((__m128)x, (__m128)splat(lim)), (__m128)splat(-lim));
#else
	LatheV4f hi = splat(lim), lo = splat(-lim);
	LatheV4i a = x < hi;
	x = (LatheV4f)((a & (LatheV4i)x) | (~a & (LatheV4i)hi));
	LatheV4i b = x > lo;
	return (LatheV4f)((b & (LatheV4i)x) | (~b & (LatheV4i)lo));
#endif
}

/* Non-finite lanes become 0 (x - x is 0 only for finite x); finite lanes
 * pass untouched, -0 included. */
static inline LatheV4f finite4(LatheV4f x)
{
	LatheV4i ok = (x - x) == splat(0.0f);
	return (LatheV4f)((LatheV4i)x & ok);
}

/* Floats of an interleaved delay line of d frames: the history, a
 * sub-block, and slack for whole-vector copies. */
#define DELAY_LEN(d) (2 * (size_t)((d) + LATHE_SUBBLOCK) + 4)

typedef struct {
	LatheOversampler *os;
	int pad;          /* base-rate delay after down() to the common latency */
	float *pad_buf;   /* interleaved: DELAY_LEN(pad) */
} Engine;

typedef struct {
	double rate;
	int latency;
	Engine eng[FACTORS];

	/* Oversampling factor: cur sounds; next (-1 if none) warms up for
	 * `warm` samples, then fades in over fade_len. */
	int factor_req, factor_cur, factor_next;
	int warm, factor_pos;
	/* Curve type: cur, and next (-1 if none) fading in. */
	int type_req, type_cur, type_next, type_pos;
	int fade_len;

	LatheRamp drive, mix, out;
	double dc[2][2], dc_coef; /* tube DC estimate per channel: two one-poles */
	int phase;              /* absolute position modulo LATHE_SUBBLOCK */
	int started;            /* audio processed since create or reset */

	/* Delay line of the dry path, interleaved: DELAY_LEN(latency). */
	float *dry;
	/* Work buffers, one allocation. */
	float *pool;
} Saturate;

/* Per-segment scratch, on the stack (about 2.5 kB). Base-rate signals are
 * interleaved (x[2 i + ch]) and padded to whole vectors of four frames. */
typedef struct {
	float x[2 * LATHE_SUBBLOCK];        /* sanitised input */
	float u[2 * LATHE_SUBBLOCK];        /* driven */
	float y[2][2 * LATHE_SUBBLOCK];     /* [engine slot] wet, aligned */
	float alt[OS_MAX];                  /* second curve during a type fade */
	float dc[2 * LATHE_SUBBLOCK];       /* DC to subtract */
	float tw[LATHE_SUBBLOCK];           /* weight of the next type */
	float fw[LATHE_SUBBLOCK];           /* weight of the next factor */
	float mix[LATHE_SUBBLOCK], out[LATHE_SUBBLOCK];
} Scratch;

/* tanh for |x| <= 7, as x P(x^2) / Q(x^2): a minimax fit
 * (Lawson-weighted least squares) to tanh on [0, 7] of degree 3 over 3
 * in x^2, with P(0) = Q(0) (slope exactly 1 at 0), stored with Q monic
 * (one multiply less). Beyond 7 the callers clamp; the fit's end value
 * sits between tanh(7) = 1 - 1.7e-6 and 1, so that the flat part is as
 * close. Largest error in float arithmetic, clamp included: 1.3e-6
 * (-118 dB), far below what the filters or a 24-bit output resolve (the
 * previous fit, one order higher, 10 multiplies against 7, was 1.9e-8).
 * Odd by construction, so the tape curve makes no even harmonics. */
#define TANH_LIMIT 7.0f

static inline LatheV4f tanh4(LatheV4f x)
{
	x = clamp4(x, TANH_LIMIT);
	LatheV4f s = x * x;
	LatheV4f p = x * (((2.774653266e-02f * s + 1.592834567e+01f) * s + 8.560492680e+02f) * s
		      + 6.947489089e+03f);
	LatheV4f q = ((s + 1.469386177e+02f) * s + 3.171832338e+03f) * s + 6.947489089e+03f;
	return p / q;
}

/* One curve over buf[0..len-1] in place; len is a multiple of 4. */
static void curve(int type, float *restrict buf, int len)
{
	if (type == 0) {
		for (int i = 0; i < len; i += 4)
			lathe_v4f_store(buf + i, tanh4(lathe_v4f_load(buf + i)));
	} else if (type == 1) {
		for (int i = 0; i < len; i += 4) {
			LatheV4f t = tanh4(lathe_v4f_load(buf + i));
			lathe_v4f_store(buf + i, t + TUBE_K * t * t);
		}
	} else {
		for (int i = 0; i < len; i += 4) {
			LatheV4f v = clamp4(lathe_v4f_load(buf + i), 1.5f);
			lathe_v4f_store(buf + i, v - (4.0f / 27.0f) * v * v * v);
		}
	}
}

static void *saturate_create(double rate)
{
	Saturate *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->rate = rate;
	int lat = 0;
	for (int f = 0; f < FACTORS; f++) {
		s->eng[f].os = lathe_oversampler_new(rate, 2 << f, 2);
		if (!s->eng[f].os)
			goto fail;
		int l = lathe_oversampler_latency(s->eng[f].os);
		if (l > lat)
			lat = l;
	}
	s->latency = lat;
	size_t need = DELAY_LEN(lat);
	for (int f = 0; f < FACTORS; f++) {
		s->eng[f].pad = lat - lathe_oversampler_latency(s->eng[f].os);
		need += DELAY_LEN(s->eng[f].pad);
	}
	s->pool = calloc(need, sizeof(float));
	if (!s->pool)
		goto fail;
	float *p = s->pool;
	s->dry = p;
	p += DELAY_LEN(lat);
	for (int f = 0; f < FACTORS; f++) {
		s->eng[f].pad_buf = p;
		p += DELAY_LEN(s->eng[f].pad);
	}

	s->fade_len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	s->dc_coef = 1.0 - lathe_one_pole(1.0 / (2.0 * M_PI * DC_HZ), rate);
	/* Registry defaults: tape, 0 dB drive, 100 % mix, 0 dB out, 4x. */
	s->type_req = s->type_cur = 0;
	s->type_next = -1;
	s->factor_req = s->factor_cur = 1;
	s->factor_next = -1;
	lathe_ramp_init(&s->drive, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->mix, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->out, 1.0f, LATHE_SUBBLOCK);
	return s;
fail:
	for (int f = 0; f < FACTORS; f++)
		lathe_oversampler_free(s->eng[f].os);
	free(s);
	return NULL;
}

static void saturate_destroy(void *self)
{
	Saturate *s = self;
	if (!s)
		return;
	for (int f = 0; f < FACTORS; f++)
		lathe_oversampler_free(s->eng[f].os);
	free(s->pool);
	free(s);
}

static void settle(Saturate *s);

static void saturate_set(void *self, int param, float value)
{
	Saturate *s = self;
	switch (param) {
	case LATHE_SATURATE_TYPE: {
		int t = (int)lrintf(value);
		s->type_req = t < 0 ? 0 : t > 2 ? 2 : t;
		break;
	}
	case LATHE_SATURATE_DRIVE:
		lathe_ramp_set(&s->drive, lathe_db_to_gain(value));
		break;
	case LATHE_SATURATE_MIX:
		lathe_ramp_set(&s->mix, value * 0.01f);
		break;
	case LATHE_SATURATE_OUTPUT:
		lathe_ramp_set(&s->out, lathe_db_to_gain(value));
		break;
	case LATHE_SATURATE_OVERSAMPLE: {
		int f = (int)lrintf(value);
		s->factor_req = f < 0 ? 0 : f >= FACTORS ? FACTORS - 1 : f;
		break;
	}
	default:
		break;
	}
	if (!s->started)
		settle(s);
}

/* Jump to the asked-for settings: no glide, no fade. Used before any
 * audio (the chain sets every parameter right after create) and by
 * reset(), where a fade in progress completes. */
static void settle(Saturate *s)
{
	s->drive.pos = s->mix.pos = s->out.pos = LATHE_SUBBLOCK;
	s->type_cur = s->type_req;
	s->type_next = -1;
	s->factor_cur = s->factor_req;
	s->factor_next = -1;
}

static void engine_reset(Saturate *s, int f)
{
	Engine *e = &s->eng[f];
	lathe_oversampler_reset(e->os);
	memset(e->pad_buf, 0, DELAY_LEN(e->pad) * sizeof(float));
}

static void saturate_reset(void *self)
{
	Saturate *s = self;
	for (int f = 0; f < FACTORS; f++)
		engine_reset(s, f);
	memset(s->dry, 0, DELAY_LEN(s->latency) * sizeof(float));
	memset(s->dc, 0, sizeof(s->dc));
	settle(s);
	s->started = 0;
}

static int saturate_latency(const void *self)
{
	return ((const Saturate *)self)->latency;
}

/* Copy n floats, 4 at a time, ascending: dst may overlap src if it lies
 * at least 4 floats below it. Both are read or written up to 3 floats
 * past n (every buffer here has that slack). */
static inline void copy4(float *dst, const float *src, int n)
{
	for (int i = 0; i < n; i += 4)
		lathe_v4f_store(dst + i, lathe_v4f_load(src + i));
}

/* Delay the n floats of io (n even, io with slack to a multiple of 4)
 * through a linear delay line of d floats (history buf[0..d-1], oldest
 * first; buf holds d + n + 4). */
static void delay(float *restrict buf, int d, float *restrict io, int n)
{
	copy4(buf + d, io, n);
	copy4(io, buf, n);
	if (n >= 4) {
		copy4(buf, buf + n, d);
	} else {
		for (int i = 0; i < d; i++)
			buf[i] = buf[i + n];
	}
}

/* Run engine f over the driven input of the segment into y (interleaved,
 * 2n floats); the type fade weights and the DC to subtract (if sub_dc)
 * come from the scratch. The curves run on the two phases of the top
 * rate in the oversampler (oversample.h): float k of either is part of
 * base frame k / factor, which is where the type fade takes its weight. */
static void run_engine(Saturate *s, int f, Scratch *w, float *y, int n, int sub_dc)
{
	Engine *e = &s->eng[f];
	int factor = 2 << f, len = n * factor, len4 = (len + 3) & ~3;
	float *top[2];
	lathe_oversampler_up2_top(e->os, w->u, n, top);
	for (int h = 0; h < 2; h++) {
		if (s->type_next >= 0) {
			memcpy(w->alt, top[h], (size_t)len4 * sizeof(float));
			curve(s->type_cur, top[h], len4);
			curve(s->type_next, w->alt, len4);
			for (int k = 0; k < len; k++) {
				float b = w->tw[k / factor], a = 1.0f - b;
				top[h][k] = a * top[h][k] + b * w->alt[k];
			}
		} else {
			curve(s->type_cur, top[h], len4);
		}
	}
	lathe_oversampler_down2_top(e->os, y, n);
	if (n & 1) /* slack to a whole vector */
		y[2 * n] = y[2 * n + 1] = 0.0f;
	if (sub_dc)
		for (int k = 0; k < 2 * n; k++)
			y[k] -= w->dc[k];
	if (e->pad > 0)
		delay(e->pad_buf, 2 * e->pad, y, 2 * n);
}

/* If the ramp moves within the next n samples, fill dst[0..LATHE_SUBBLOCK-1]
 * with its values (the rest with its target) and return false; if it is
 * settled, return true and leave dst alone. */
static bool ramp_fill(LatheRamp *r, float *dst, int n)
{
	if (r->pos >= LATHE_SUBBLOCK)
		return true;
	int i = 0;
	for (; i < n && r->pos < LATHE_SUBBLOCK; i++)
		dst[i] = lathe_ramp_next(r);
	for (; i < LATHE_SUBBLOCK; i++)
		dst[i] = r->to;
	return false;
}

/* n floats from p[i..], 4 at most, zero-padded. */
static inline LatheV4f ld_part(const float *p, int i, int n)
{
	if (i + 4 <= n)
		return lathe_v4f_load(p + i);
	float t[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
	for (int k = 0; i + k < n; k++)
		t[k] = p[i + k];
	return lathe_v4f_load(t);
}

static inline void st_part(float *p, int i, int n, LatheV4f v)
{
	if (i + 4 <= n) {
		lathe_v4f_store(p + i, v);
		return;
	}
	float t[4];
	lathe_v4f_store(t, v);
	for (int k = 0; i + k < n; k++)
		p[i + k] = t[k];
}

/* Four per-frame values v[0..3] as two interleaved vectors, each value
 * twice (once per channel): frames 0 and 1, then 2 and 3. */
static inline void dup2(const float *v, LatheV4f *lo, LatheV4f *hi)
{
	LatheV4f a = lathe_v4f_load(v);
	*lo = SHUF(a, a, 0, 4, 1, 5);
	*hi = SHUF(a, a, 2, 6, 3, 7);
}

/* A segment: n frames that do not cross a sub-block boundary. */
static void segment(Saturate *s, float *left, float *right, int n)
{
	Scratch w;
	int n4 = (n + 3) & ~3;   /* frames in whole vectors of 4 */
	int nv = 2 * n4;         /* interleaved floats in whole vectors */

	/* Discrete changes start on sub-block boundaries only. */
	if (s->phase == 0) {
		if (s->type_next < 0 && s->type_req != s->type_cur) {
			s->type_next = s->type_req;
			s->type_pos = 0;
		}
		if (s->factor_next < 0 && s->factor_req != s->factor_cur) {
			s->factor_next = s->factor_req;
			engine_reset(s, s->factor_next);
			s->warm = WARM * s->latency;
			s->factor_pos = 0;
		}
	}
	int type_fading = s->type_next >= 0;
	int factor_fading = s->factor_next >= 0;

	/* Controls per sample. */
	float g[LATHE_SUBBLOCK];
	bool g_const = ramp_fill(&s->drive, g, n);
	bool mix_const = ramp_fill(&s->mix, w.mix, n);
	bool out_const = ramp_fill(&s->out, w.out, n);
	if (type_fading)
		for (int i = 0; i < n; i++) {
			if (s->type_pos < s->fade_len)
				s->type_pos++;
			w.tw[i] = (float)s->type_pos / (float)s->fade_len;
		}
	if (factor_fading)
		for (int i = 0; i < n; i++) {
			if (s->warm > 0)
				s->warm--;
			else if (s->factor_pos < s->fade_len)
				s->factor_pos++;
			w.fw[i] = (float)s->factor_pos / (float)s->fade_len;
		}

	/* Input, interleaved: non-finite samples become silence; the wet
	 * path's input is driven and clamped. */
	for (int i = 0; i < n4; i += 4) {
		LatheV4f l = finite4(ld_part(left, i, n)), r = finite4(ld_part(right, i, n));
		LatheV4f x0 = SHUF(l, r, 0, 4, 1, 5), x1 = SHUF(l, r, 2, 6, 3, 7);
		LatheV4f g0, g1;
		if (g_const)
			g0 = g1 = splat(s->drive.to);
		else
			dup2(g + i, &g0, &g1);
		lathe_v4f_store(w.x + 2 * i, x0);
		lathe_v4f_store(w.x + 2 * i + 4, x1);
		lathe_v4f_store(w.u + 2 * i, clamp4(g0 * x0, WET_LIMIT));
		lathe_v4f_store(w.u + 2 * i + 4, clamp4(g1 * x1, WET_LIMIT));
	}

	/* Tube DC: a one-pole low-pass of K tanh(u)^2 times the tube's
	 * weight. After the tube fades out, the estimate decays to zero and
	 * is still subtracted, so that no DC step follows the fade. */
	float tube_w0 = s->type_cur == 1 ? 1.0f : 0.0f;
	float tube_w1 = type_fading && s->type_next == 1 ? 1.0f : 0.0f;
	int tube = tube_w0 > 0.0f || tube_w1 > 0.0f;
	int sub_dc = tube || s->dc[0][0] != 0.0 || s->dc[0][1] != 0.0
		|| s->dc[1][0] != 0.0 || s->dc[1][1] != 0.0;
	if (sub_dc) {
		float sq[2 * LATHE_SUBBLOCK] = { 0 };
		if (tube) {
			memcpy(sq, w.u, (size_t)nv * sizeof(float));
			curve(0, sq, nv);
			if (type_fading)
				for (int k = 0; k < 2 * n; k++) {
					float tw = w.tw[k >> 1];
					sq[k] *= TUBE_K * sq[k] * (tube_w0 * (1.0f - tw) + tube_w1 * tw);
				}
			else
				for (int k = 0; k < nv; k += 4) {
					LatheV4f t = lathe_v4f_load(sq + k);
					lathe_v4f_store(sq + k, t * (TUBE_K * t));
				}
		}
		/* Both channels in one loop: the independent recursions overlap. */
		double a0 = s->dc[0][0], b0 = s->dc[0][1], a1 = s->dc[1][0], b1 = s->dc[1][1];
		double k = s->dc_coef;
		for (int i = 0; i < n; i++) {
			a0 += k * ((double)sq[2 * i] - a0);
			b0 += k * (a0 - b0);
			a1 += k * ((double)sq[2 * i + 1] - a1);
			b1 += k * (a1 - b1);
			w.dc[2 * i] = (float)b0;
			w.dc[2 * i + 1] = (float)b1;
		}
		s->dc[0][0] = a0;
		s->dc[0][1] = b0;
		s->dc[1][0] = a1;
		s->dc[1][1] = b1;
	}

	/* Wet: the sounding engine, and the next one while it warms and fades. */
	run_engine(s, s->factor_cur, &w, w.y[0], n, sub_dc);
	if (factor_fading) {
		run_engine(s, s->factor_next, &w, w.y[1], n, sub_dc);
		for (int k = 0; k < 2 * n; k++)
			w.y[0][k] += w.fw[k >> 1] * (w.y[1][k] - w.y[0][k]);
	}

	/* Dry delay and mix (whole vectors: clear the wet slack they read). */
	for (int k = 2 * n; k < nv; k++)
		w.y[0][k] = 0.0f;
	delay(s->dry, 2 * s->latency, w.x, 2 * n);
	if (mix_const && out_const) {
		LatheV4f m = splat(s->mix.to), dm = splat(1.0f - s->mix.to), o = splat(s->out.to);
		for (int k = 0; k < nv; k += 4)
			lathe_v4f_store(w.x + k, dm * lathe_v4f_load(w.x + k) + m * (o * lathe_v4f_load(w.y[0] + k)));
	} else {
		for (int i = 0; mix_const && i < LATHE_SUBBLOCK; i++)
			w.mix[i] = s->mix.to;
		for (int i = 0; out_const && i < LATHE_SUBBLOCK; i++)
			w.out[i] = s->out.to;
		for (int i = 0; i < n4; i += 4) {
			LatheV4f m[2], o[2];
			dup2(w.mix + i, &m[0], &m[1]);
			dup2(w.out + i, &o[0], &o[1]);
			for (int h = 0; h < 2; h++) {
				int k = 2 * i + 4 * h;
				lathe_v4f_store(w.x + k, (1.0f - m[h]) * lathe_v4f_load(w.x + k) + m[h] * (o[h] * lathe_v4f_load(w.y[0] + k)));
			}
		}
	}
	/* Back to two channels. */
	for (int i = 0; i < n4; i += 4) {
		LatheV4f x0 = lathe_v4f_load(w.x + 2 * i), x1 = lathe_v4f_load(w.x + 2 * i + 4);
		st_part(left, i, n, SHUF(x0, x1, 0, 2, 4, 6));
		st_part(right, i, n, SHUF(x0, x1, 1, 3, 5, 7));
	}

	/* Completed fades hand over. */
	if (type_fading && s->type_pos >= s->fade_len) {
		s->type_cur = s->type_next;
		s->type_next = -1;
	}
	if (factor_fading && s->factor_pos >= s->fade_len) {
		s->factor_cur = s->factor_next;
		s->factor_next = -1;
	}

	s->phase = (s->phase + n) % LATHE_SUBBLOCK;
	if (s->phase == 0) {
		for (int ch = 0; ch < 2; ch++)
			for (int k = 0; k < 2; k++)
				s->dc[ch][k] = lathe_flush(s->dc[ch][k]);
	}
}

static void saturate_process(void *self, float *left, float *right, int n)
{
	Saturate *s = self;
	s->started = 1;
	while (n > 0) {
		int seg = LATHE_SUBBLOCK - s->phase;
		if (seg > n)
			seg = n;
		segment(s, left, right, seg);
		left += seg;
		right += seg;
		n -= seg;
	}
}

const LatheModuleClass lathe_saturate_class = {
	.name = "saturate",
	.n_params = LATHE_SATURATE_PARAM_COUNT,
	.create = saturate_create,
	.destroy = saturate_destroy,
	.set = saturate_set,
	.reset = saturate_reset,
	.process = saturate_process,
	.latency = saturate_latency,
};
