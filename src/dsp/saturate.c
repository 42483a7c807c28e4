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
#include "oversample.h"

#include <stdlib.h>
#include <string.h>

#define FACTORS 3     /* 2x, 4x, 8x: the registry's enum order */
#define MAX_FACTOR 8
#define GROUP 8       /* curve loops run in whole groups (vectorised) */
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

typedef struct {
	LatheOversampler *os;
	int pad;          /* base-rate delay after down() to the common latency */
	float *pad_buf;   /* [2][pad + LATHE_SUBBLOCK] */
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

	/* Delay line of the dry path: [2][latency + LATHE_SUBBLOCK]. */
	float *dry;
	/* Work buffers, one allocation. */
	float *pool;
} Saturate;

/* Per-segment scratch, on the stack (a few kB). */
typedef struct {
	float x[2][LATHE_SUBBLOCK];         /* sanitised input */
	float u[2][LATHE_SUBBLOCK];         /* driven */
	float y[2][2][LATHE_SUBBLOCK];      /* [engine slot][ch] wet, aligned */
	float os[OS_MAX + GROUP];           /* oversampled signal of one channel */
	float alt[OS_MAX + GROUP];          /* second curve during a type fade */
	float dc[2][LATHE_SUBBLOCK];        /* DC to subtract per base sample */
	float tw[LATHE_SUBBLOCK];           /* weight of the next type */
	float fw[LATHE_SUBBLOCK];           /* weight of the next factor */
	float mix[LATHE_SUBBLOCK], out[LATHE_SUBBLOCK];
} Scratch;

/* tanh for |x| <= 9, as x P(x^2) / Q(x^2): a weighted least-squares
 * (Lawson) fit to tanh in long double on [0, 9]; largest error 1.9e-8,
 * below float resolution near 1. Odd by construction, so the tape curve
 * makes no even harmonics. Beyond 9 the callers clamp: tanh(9) is
 * 1 - 3e-8, so the clamp joins without a step. */
static inline float tanh_clamped(float x)
{
	float s = x * x;
	float p = (((1.318399958688e-08f * s + 2.047167060414e-05f) * s + 3.486572481237e-03f) * s
		   + 1.337318995731e-01f) * s + 9.999999064137e-01f;
	float q = (((7.702571930316e-07f * s + 3.271369728360e-04f) * s + 2.584194391393e-02f) * s
		   + 4.670648683703e-01f) * s + 1.0f;
	return x * p / q;
}

static inline float fast_tanh(float x)
{
	return tanh_clamped(x < -9.0f ? -9.0f : x > 9.0f ? 9.0f : x);
}

/* One curve over buf[0..len-1] in place; len is rounded up to GROUP
 * (buffers have the slack). The clamp goes through a local array: that
 * is the form the compiler turns into branch-free SIMD. */
static void curve(int type, float *restrict buf, int len)
{
	for (int i = 0; i < len; i += GROUP) {
		float v[GROUP];
		float lim = type == 2 ? 1.5f : 9.0f;
		for (int k = 0; k < GROUP; k++)
			v[k] = buf[i + k] < -lim ? -lim : buf[i + k];
		for (int k = 0; k < GROUP; k++)
			v[k] = v[k] > lim ? lim : v[k];
		if (type == 0)
			for (int k = 0; k < GROUP; k++)
				buf[i + k] = tanh_clamped(v[k]);
		else if (type == 1)
			for (int k = 0; k < GROUP; k++) {
				float t = tanh_clamped(v[k]);
				buf[i + k] = t + TUBE_K * t * t;
			}
		else
			for (int k = 0; k < GROUP; k++)
				buf[i + k] = v[k] - (4.0f / 27.0f) * v[k] * v[k] * v[k];
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
	size_t need = 2 * (size_t)(lat + LATHE_SUBBLOCK);
	for (int f = 0; f < FACTORS; f++) {
		s->eng[f].pad = lat - lathe_oversampler_latency(s->eng[f].os);
		need += 2 * (size_t)(s->eng[f].pad + LATHE_SUBBLOCK);
	}
	s->pool = calloc(need, sizeof(float));
	if (!s->pool)
		goto fail;
	float *p = s->pool;
	s->dry = p;
	p += 2 * (size_t)(lat + LATHE_SUBBLOCK);
	for (int f = 0; f < FACTORS; f++) {
		s->eng[f].pad_buf = p;
		p += 2 * (size_t)(s->eng[f].pad + LATHE_SUBBLOCK);
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
	memset(e->pad_buf, 0, 2 * (size_t)(e->pad + LATHE_SUBBLOCK) * sizeof(float));
}

static void saturate_reset(void *self)
{
	Saturate *s = self;
	for (int f = 0; f < FACTORS; f++)
		engine_reset(s, f);
	memset(s->dry, 0, 2 * (size_t)(s->latency + LATHE_SUBBLOCK) * sizeof(float));
	memset(s->dc, 0, sizeof(s->dc));
	settle(s);
	s->started = 0;
}

static int saturate_latency(const void *self)
{
	return ((const Saturate *)self)->latency;
}

/* Delay n samples through a linear delay line of d samples (history
 * buf[0..d-1], oldest first). In place is allowed. */
static void delay(float *buf, int d, float *io, int n)
{
	memcpy(buf + d, io, (size_t)n * sizeof(float));
	memcpy(io, buf, (size_t)n * sizeof(float));
	memmove(buf, buf + n, (size_t)d * sizeof(float));
}

/* Run engine f over the driven input of the segment into y[ch]; the type
 * fade weights and the DC to subtract (if sub_dc) come from the scratch.
 * The type fade blends per base sample at the high rate (scalar, but only
 * for the fade's 10 ms). */
static void run_engine(Saturate *s, int f, Scratch *w, float y[2][LATHE_SUBBLOCK], int n,
		       int sub_dc)
{
	Engine *e = &s->eng[f];
	int factor = 2 << f, len = n * factor;
	for (int ch = 0; ch < 2; ch++) {
		lathe_oversampler_up(e->os, ch, w->u[ch], w->os, n);
		/* The curve loops run whole groups: clear the slack they read. */
		memset(w->os + len, 0, GROUP * sizeof(float));
		if (s->type_next >= 0) {
			memcpy(w->alt, w->os, (size_t)(len + GROUP) * sizeof(float));
			curve(s->type_cur, w->os, len);
			curve(s->type_next, w->alt, len);
			for (int i = 0; i < n; i++) {
				float b = w->tw[i], a = 1.0f - b;
				for (int k = 0; k < factor; k++) {
					int j = i * factor + k;
					w->os[j] = a * w->os[j] + b * w->alt[j];
				}
			}
		} else {
			curve(s->type_cur, w->os, len);
		}
		lathe_oversampler_down(e->os, ch, w->os, y[ch], n);
		if (sub_dc)
			for (int i = 0; i < n; i++)
				y[ch][i] -= w->dc[ch][i];
		if (e->pad > 0)
			delay(e->pad_buf + ch * (e->pad + LATHE_SUBBLOCK), e->pad, y[ch], n);
	}
}

/* Fill dst[0..n-1] with the ramp's values and round up to GROUP with the
 * last one (whole-group loops read the slack). */
static void ramp_fill(LatheRamp *r, float *dst, int n)
{
	int i = 0;
	for (; i < n && r->pos < LATHE_SUBBLOCK; i++)
		dst[i] = lathe_ramp_next(r);
	for (; i < LATHE_SUBBLOCK; i++)
		dst[i] = r->to;
}

/* A segment: n frames that do not cross a sub-block boundary. */
static void segment(Saturate *s, float *left, float *right, int n)
{
	Scratch w;
	float *io[2] = { left, right };
	int ng = (n + GROUP - 1) / GROUP * GROUP; /* whole groups, <= LATHE_SUBBLOCK */

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
	ramp_fill(&s->drive, g, n);
	ramp_fill(&s->mix, w.mix, n);
	ramp_fill(&s->out, w.out, n);
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

	/* Input: non-finite samples become silence (x - x is 0 only for
	 * finite x); the wet path's input is driven and clamped. */
	for (int ch = 0; ch < 2; ch++) {
		memcpy(w.x[ch], io[ch], (size_t)n * sizeof(float));
		memset(w.x[ch] + n, 0, (size_t)(ng - n) * sizeof(float));
		for (int i = 0; i < ng; i += GROUP) {
			float v[GROUP];
			for (int k = 0; k < GROUP; k++)
				v[k] = w.x[ch][i + k];
			for (int k = 0; k < GROUP; k++)
				v[k] = v[k] - v[k] == 0.0f ? v[k] : 0.0f;
			for (int k = 0; k < GROUP; k++)
				w.x[ch][i + k] = v[k];
			for (int k = 0; k < GROUP; k++)
				v[k] = g[i + k] * v[k];
			for (int k = 0; k < GROUP; k++)
				v[k] = v[k] < -WET_LIMIT ? -WET_LIMIT : v[k];
			for (int k = 0; k < GROUP; k++)
				w.u[ch][i + k] = v[k] > WET_LIMIT ? WET_LIMIT : v[k];
		}
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
		float sq[2][LATHE_SUBBLOCK] = { { 0 } };
		for (int ch = 0; ch < 2 && tube; ch++) {
			memcpy(sq[ch], w.u[ch], (size_t)ng * sizeof(float));
			curve(0, sq[ch], ng);
			if (type_fading)
				for (int i = 0; i < ng; i++)
					sq[ch][i] *= TUBE_K * sq[ch][i]
						* (tube_w0 * (1.0f - w.tw[i]) + tube_w1 * w.tw[i]);
			else
				for (int i = 0; i < ng; i++)
					sq[ch][i] *= TUBE_K * sq[ch][i];
		}
		/* Both channels in one loop: the independent recursions overlap. */
		double a0 = s->dc[0][0], b0 = s->dc[0][1], a1 = s->dc[1][0], b1 = s->dc[1][1];
		double k = s->dc_coef;
		for (int i = 0; i < n; i++) {
			a0 += k * ((double)sq[0][i] - a0);
			b0 += k * (a0 - b0);
			a1 += k * ((double)sq[1][i] - a1);
			b1 += k * (a1 - b1);
			w.dc[0][i] = (float)b0;
			w.dc[1][i] = (float)b1;
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
		for (int ch = 0; ch < 2; ch++)
			for (int i = 0; i < n; i++)
				w.y[0][ch][i] += w.fw[i] * (w.y[1][ch][i] - w.y[0][ch][i]);
	}

	/* Dry delay and mix (whole groups: clear the wet slack they read). */
	for (int ch = 0; ch < 2; ch++) {
		memset(w.y[0][ch] + n, 0, (size_t)(ng - n) * sizeof(float));
		float *dry = s->dry + ch * (s->latency + LATHE_SUBBLOCK);
		delay(dry, s->latency, w.x[ch], n);
		for (int i = 0; i < ng; i += GROUP)
			for (int k = 0; k < GROUP; k++) {
				float m = w.mix[i + k];
				w.x[ch][i + k] = (1.0f - m) * w.x[ch][i + k] + m * (w.out[i + k] * w.y[0][ch][i + k]);
			}
		memcpy(io[ch], w.x[ch], (size_t)n * sizeof(float));
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
