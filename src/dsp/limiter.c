/* lathe — lookahead brick-wall limiter (see limiter.h).
 *
 * Signal path, per frame (stereo linked: one gain for both sides):
 *
 *   x = input gain * in                            (glided per sample)
 *     -> delay line (the audio waits here for its gain)
 *     -> detector: q = peak / ceiling, at least 1  (sample or true peak)
 *     -> hold: Q = max of q over the last H = 3K-2 samples
 *     -> envelope, in log2 units of reduction:
 *          e = max(log2 Q, release(e))             (release exponential in dB)
 *          g = min(2^-e, 1/Q)
 *     -> three moving averages of K samples each (a bell H long)
 *     -> out = x delayed by the latency * gain, clamped to the ceiling
 *
 * Why it never overshoots: the three averages together span H samples,
 * the hold's length, so every value averaged into the gain of sample c is
 * a hold output that saw q[c]; each is <= 1/q[c], so their mean is too. The
 * gain reaches what a peak needs exactly when the peak leaves the delay
 * line, never later. The averages run on integers (gain * 2^30), so they
 * are exact: no drift, and a released limiter has a gain of exactly 1.0
 * (signal below the ceiling passes bit for bit). Three rather than two:
 * the gain's curve is then smooth in its second derivative too (a
 * quadratic spline), so a change of reduction spreads less above 1 kHz.
 *
 * True peak: the detector oversamples 4x in two stages (an 80-pair
 * half-band filter to 2x, a 3-pair one to 4x) and adds 1/8 of the second
 * difference of the 4x sequence (see CURVATURE). Latency is the same in
 * both modes: 3K + 39 frames, 135 at 48 kHz (2.8 ms).
 *
 * Buffers are linear and share one index space: index p holds the sample
 * written p - w frames ago (w the next write index) in x, and what the
 * detector derived there in the other arrays. When the end is reached the
 * last `keep` entries move to the front (rewind). The delay line has three
 * shifted copies (x[p] at p + 1, + 2, + 3), so that the half-band's loads
 * are all aligned (see midpoints).
 *
 * Glossary of the hot loops: xl/xr input, ml/mr 2x points (x(j + 1/2)),
 * al/ar and bl/br 4x points (x(j + 1/4), x(j + 3/4)), v0 the peak estimate
 * at the sample point j, ipk the peak estimate of the interval [j, j+1),
 * q the detector output of one call, u the integer gain of the averages.
 */
#include "limiter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "simd.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A LatheV4f read in place from a 16-byte aligned float array (may_alias:
 * the array is declared float). */
typedef float LatheV4fAligned __attribute__((vector_size(16), may_alias));

/* Half-band stage (fs -> 2x): 40 coefficient pairs (160 taps at 2x, of
 * which the 80 odd ones are non-zero), a sinc under a Kaiser window of beta
 * 3. Its pass band stays within 0.2 dB up to 0.485 fs (-1.2 dB at 0.49 fs),
 * so full-band waves (sampled squares, clipped edges, white noise) are
 * reconstructed as a long reference filter does (128 taps per phase, flat
 * to 0.48 fs): on sampled squares of every period and on bursts of white
 * noise it never reads lower. With 32 pairs (beta 4) it reads noise up to
 * 0.1 dB low; a larger beta ripples less but cuts off earlier. Content
 * above 0.49 fs is where every finite interpolator fails (a wave at fs/2
 * reads zero between samples), the limit of what true peak can mean. */
#define HB_PAIRS 40
#define HB_BETA 3.0
/* 2x -> 4x stage: the 2x signal holds nothing above a quarter of its rate,
 * so 3 pairs (beta 6) interpolate it within 0.002 dB. */
#define S2_PAIRS 3
#define S2_BETA 6.0
/* The peak of a band-limited wave lies within half a 4x step of one of the
 * 4x points. A sine of w radians per step sits A(1 - cos(w/2)) ~ A w^2/8
 * below its peak there, and its second difference at that point is about
 * A w^2: adding 1/8 of the second difference covers the gap. Swept over
 * sines of every phase, the estimate is never low (to 0.47 fs), and high by
 * < 0.06 dB below 0.1 fs (4.8 kHz at 48 kHz), 0.12 dB at 0.18 fs, 0.9 dB at
 * worst near fs/2: a little extra reduction only where the wave itself is
 * high in the band. */
#define CURVATURE 0.125f
/* Frames between writing a sample and deciding its q: the half-band needs
 * HB_PAIRS samples after it, the 4x stage one more, and q[c] takes the
 * estimate at c + 1 (a peak just before c + 1 lowers the gain of c too). */
#define DETECT_DELAY (HB_PAIRS + 2)
/* Each of the three averages: 2/3 ms, so the lookahead (hold) is 3K-2
 * samples, 2 ms: the attack is an S-curve 2 ms long, whose spectrum sits
 * below about 1.5 kHz (little modulation distortion) while a transient is
 * not softened audibly; with the detector's 0.9 ms, 2.8 ms of latency,
 * unnoticeable while monitoring. */
#define BOX_MS (2.0 / 3.0)
/* Frames of buffer beyond what must be kept: a rewind every 8192 frames
 * moves `keep` entries of 17 arrays, well under 1 % of the work. */
#define BUF_SPARE 8192
/* Room at the end of the buffers: the shifted copies of the delay line
 * (XL1.., x[i] up to 3 entries further on). */
#define BUF_PAD 8
/* Loudest sample taken in: 2^20 (+120 dBFS). Anything beyond can only be
 * a fault upstream; the bound keeps every product finite. */
#define INPUT_MAX 1048576.0f
/* Integer scale of the averaged gain: 2^30 resolves gain far below float's
 * 24 bits, and K^3 * 2^30 fits int64 up to 1.5 MHz. */
#define GAIN_ONE (1 << 30)
/* Auto release: transients recover this much faster than the set time;
 * sustained limiting (longer than the set time) recovers in the set time. */
#define AUTO_FAST_RATIO 5.0
/* Reduction below this (log2 units, 2^-25 ~ 1.8e-7 dB) is released to
 * exactly 0 at the end of a call, so that it never turns denormal. It
 * makes no difference where the calls end: below 2^-25, 2^-e rounds to
 * exactly 1.0f, the same gain as 0, and any new reduction (at least
 * log2 of the float after 1, 1.7e-7) replaces it whole. */
#define ENV_FLOOR 2.98023223876953125e-8

/* XL1..XL3, XR1..XR3: the delay line again, x[i] at i + 1, i + 2, i + 3:
 * any four consecutive samples are 16-byte aligned in one of the four
 * (see midpoints). */
enum { XL, XL1, XL2, XL3, XR, XR1, XR2, XR3, ML, MR, AL, AR, BL, BR, V0, IPK, CEIL, N_ARRAYS };

/* A level parameter (a gain) on its way to a new value. The chain glides
 * levels linearly in dB, one step per sub-block; the ramp follows each
 * step with a constant ratio per sample, so the steps join into one
 * smooth exponential. A glide still starts and ends with a kink (its
 * slope jumps), which a one-pole of 1 ms rounds off: a kink's spectrum
 * falls as 1/f^2, the rounded one as 1/f^3, 34 dB lower at 8 kHz, which
 * keeps a 24 dB glide of a full-scale tone below -100 dBFS there. */
typedef struct {
	double value; /* what is applied */
	double ramp, ratio;
	float target;
	int left;     /* frames of ramp left */
} Level;

typedef struct {
	double rate;
	int box;       /* K */
	int hold_len;  /* H = 3K - 2 */
	int latency;   /* DETECT_DELAY + H - 1 */
	int keep;      /* entries a rewind keeps: every look-back */
	int buf_len;

	/* The two levels, input gain and ceiling (see Level). */
	Level in, ceil;
	double level_coef; /* the levels' one-pole: 1 ms */
	float inv_ceil;    /* 1 / ceil.value */
	int ceil_settle; /* frames until every sample was detected at today's ceiling */
	double rel_coef;  /* per-sample decay of e: exp(-1 / (release * rate)) */
	double fast_coef; /* auto release, after transients */
	double slow_coef; /* auto release, the sustained level's one-pole */
	bool auto_release;
	bool true_peak;
	bool tp_stale; /* the detector's history is stale (true peak was off) */
	bool primed;   /* a frame was processed since create/reset */

	/* Linear buffers (see above); a[CEIL] is the ceiling a sample was
	 * detected against. */
	float *a[N_ARRAYS];
	int w;

	float hb[HB_PAIRS];
	float s2[S2_PAIRS];
	LatheV4f hb4[HB_PAIRS]; /* hb, broadcast */
	LatheV4f two;           /* 2.0f (see vcurved) */

	/* Hold (van Herk / Gil-Werman): time is cut into blocks of H frames;
	 * the window of a frame is the tail of the previous block (its suffix
	 * maximum, computed once when that block ended) and the head of the
	 * current one (a running maximum). No branches but one per block. */
	float *blk;    /* q of the current block, H */
	float *suffix; /* suffix maxima of the previous block, H + 1 */
	float prefix;  /* maximum of the current block so far */
	int blk_pos;

	/* Envelope, log2 units of reduction. */
	double env;
	double env_slow;

	/* The three moving averages. */
	int32_t *box1;
	int64_t *box2, *box3;
	int64_t sum1, sum2, sum3;
	int box_pos;
	double gain_scale; /* 1 / (K^3 * 2^30) */
	float gain;        /* last gain applied, for the meter */
} Limiter;

/* --- fast log2 and exp2 for the envelope ---------------------------------
 * Both are exact at the points that matter (log2 1 = 0, 2^0 = 1) and
 * continuous across octaves by construction; their small errors only shape
 * the release, because the gain is then limited by the exact 1/Q. */

/* log2(x) for finite x >= 1. x = 2^k (1 + f), log2(1 + f) = f + f(1-f)s(f)
 * with s a cubic fitted by least squares: error < 2.2e-5 (1.3e-4 dB). */
static inline float fast_log2(float x)
{
	uint32_t bits;
	memcpy(&bits, &x, sizeof bits);
	float k = (float)((int32_t)(bits >> 23) - 127);
	bits = (bits & 0x007fffffu) | 0x3f800000u;
	float m;
	memcpy(&m, &bits, sizeof m);
	float f = m - 1.0f;
	float s = 0.44174030f + f * (-0.26602988f + f * (0.14631434f + f * -0.04400469f));
	return k + f + f * (1.0f - f) * s;
}

/* 2^-e for 0 <= e < 126. e = n + r, 2^-r = 1 - r/2 + r(r-1)s(r) with s a
 * quadratic fitted by least squares: relative error < 3.9e-6 (3.3e-5 dB). */
static inline float fast_exp2_neg(float e)
{
	int32_t n = (int32_t)e;
	float r = e - (float)n;
	float s = 0.19304875f + r * (-0.04633427f + r * 0.00677394f);
	float m = 1.0f - 0.5f * r + r * (r - 1.0f) * s;
	uint32_t bits = (uint32_t)(127 - n) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return m * scale;
}

/* --- levels ------------------------------------------------------------------ */

static void level_land(Level *g)
{
	g->value = g->ramp = g->target;
	g->left = 0;
}

/* A new target: at once (nothing has been heard yet), or a ramp over the
 * next sub-block from where the ramp is. */
static void level_set(Level *g, float target, bool at_once)
{
	g->target = target;
	if (at_once) {
		level_land(g);
		return;
	}
	g->ratio = pow(target / g->ramp, 1.0 / LATHE_SUBBLOCK);
	g->left = LATHE_SUBBLOCK;
}

static inline bool level_moving(const Level *g)
{
	return g->left > 0 || g->value != g->ramp;
}

/* One frame on; returns the value to apply. */
static inline float level_next(Level *g, double coef)
{
	if (g->left > 0)
		g->ramp = --g->left == 0 ? g->target : g->ramp * g->ratio; /* land exactly */
	g->value += coef * (g->ramp - g->value);
	/* Within 2^-30 (1e-8 dB) the one-pole is done: land on the target,
	 * so that 0 dB is exactly 1 again. */
	if (g->left == 0 && fabs(g->ramp - g->value) <= g->ramp * 9.313225746154785e-10)
		g->value = g->ramp;
	return (float)g->value;
}

/* --- set-up ---------------------------------------------------------------- */

static double bessel_i0(double x)
{
	/* Power series; 40 terms converge far beyond double for x <= 20. */
	double sum = 1.0, term = 1.0;
	for (int k = 1; k < 40; k++) {
		term *= (x / (2.0 * k)) * (x / (2.0 * k));
		sum += term;
	}
	return sum;
}

/* A symmetric interpolation filter: coefficient k weighs the pair of
 * samples k + 1/2 either side of the point, a sinc under a Kaiser window
 * reaching zero just beyond the last pair, normalised to unity gain at DC. */
static void design_midpoint(float *c, int pairs, double beta)
{
	double h[HB_PAIRS], sum = 0.0, i0b = bessel_i0(beta);
	for (int k = 0; k < pairs; k++) {
		double t = k + 0.5, r = t / pairs;
		h[k] = sin(M_PI * t) / (M_PI * t) * bessel_i0(beta * sqrt(1.0 - r * r)) / i0b;
		sum += 2.0 * h[k];
	}
	for (int k = 0; k < pairs; k++)
		c[k] = (float)(h[k] / sum);
}

static void set_release(Limiter *l, float ms)
{
	double s = ms * 0.001;
	l->rel_coef = lathe_one_pole(s, l->rate);
	l->fast_coef = lathe_one_pole(s / AUTO_FAST_RATIO, l->rate);
	l->slow_coef = lathe_one_pole(s, l->rate);
}

static void limiter_reset(void *self)
{
	Limiter *l = self;
	/* Fades in progress complete. */
	level_land(&l->in);
	level_land(&l->ceil);
	l->inv_ceil = 1.0f / l->ceil.target;
	l->ceil_settle = 0;
	l->primed = false;
	l->tp_stale = false;

	for (int k = 0; k < N_ARRAYS; k++)
		memset(l->a[k], 0, (size_t)l->buf_len * sizeof(float));
	for (int i = 0; i < l->buf_len; i++)
		l->a[CEIL][i] = l->ceil.target;
	l->w = l->keep;
	for (int i = 0; i <= l->hold_len; i++)
		l->suffix[i] = 1.0f; /* q >= 1: 1 is "nothing held" */
	l->prefix = 1.0f;
	l->blk_pos = 0;
	l->env = l->env_slow = 0.0;
	const int64_t k = l->box;
	for (int i = 0; i < l->box; i++) {
		l->box1[i] = GAIN_ONE;
		l->box2[i] = k * GAIN_ONE;
		l->box3[i] = k * k * GAIN_ONE;
	}
	l->sum1 = k * GAIN_ONE;
	l->sum2 = k * k * GAIN_ONE;
	l->sum3 = k * k * k * GAIN_ONE;
	l->box_pos = 0;
	l->gain = 1.0f;
}

/* Zeroed memory, 16-byte aligned (for the vectors in the struct and the
 * aligned loads from the delay line), freed by free(). */
static void *zalloc16(size_t bytes)
{
	size_t size = (bytes + 15) & ~(size_t)15;
	void *p = aligned_alloc(16, size);
	if (p)
		memset(p, 0, size);
	return p;
}

static void limiter_destroy(void *self)
{
	Limiter *l = self;
	if (!l)
		return;
	for (int k = 0; k < N_ARRAYS; k++)
		free(l->a[k]);
	free(l->blk);
	free(l->suffix);
	free(l->box1);
	free(l->box2);
	free(l->box3);
	free(l);
}

static void *limiter_create(double rate)
{
	Limiter *l = zalloc16(sizeof *l);
	if (!l)
		return NULL;
	l->rate = rate;
	l->box = lathe_ms_to_samples(BOX_MS, rate);
	l->hold_len = 3 * l->box - 2;
	l->latency = DETECT_DELAY + l->hold_len - 1;
	/* The longest look-back is the output's (latency); the detector's
	 * (2 HB_PAIRS, a sub-block and a few) is shorter, 128 at most. */
	l->keep = (l->latency > 128 ? l->latency : 128) + 4;
	l->buf_len = l->keep + BUF_SPARE + BUF_PAD;
	bool ok = true;
	for (int k = 0; k < N_ARRAYS; k++)
		ok &= (l->a[k] = zalloc16((size_t)l->buf_len * sizeof(float))) != NULL;
	l->blk = calloc((size_t)l->hold_len, sizeof(float));
	l->suffix = calloc((size_t)l->hold_len + 1, sizeof(float));
	l->box1 = calloc((size_t)l->box, sizeof(int32_t));
	l->box2 = calloc((size_t)l->box, sizeof(int64_t));
	l->box3 = calloc((size_t)l->box, sizeof(int64_t));
	if (!ok || !l->blk || !l->suffix || !l->box1 || !l->box2 || !l->box3) {
		limiter_destroy(l);
		return NULL;
	}
	l->gain_scale = 1.0 / ((double)l->box * l->box * l->box * GAIN_ONE);
	design_midpoint(l->hb, HB_PAIRS, HB_BETA);
	design_midpoint(l->s2, S2_PAIRS, S2_BETA);
	for (int k = 0; k < HB_PAIRS; k++)
		l->hb4[k] = (LatheV4f){ l->hb[k], l->hb[k], l->hb[k], l->hb[k] };
	l->two = (LatheV4f){ 2.0f, 2.0f, 2.0f, 2.0f };

	/* The registry's defaults. */
	l->level_coef = 1.0 - lathe_one_pole(0.001, rate);
	l->in.target = 1.0f;
	l->ceil.target = lathe_db_to_gain(-1.0f);
	set_release(l, 100.0f);
	l->auto_release = false;
	l->true_peak = true;
	limiter_reset(l);
	return l;
}

/* --- parameters ------------------------------------------------------------ */

static void limiter_set(void *self, int param, float value)
{
	Limiter *l = self;
	switch (param) {
	case LATHE_LIMITER_INPUT_GAIN:
		/* The chain's steps are up to 0.6 dB (24 dB in 30 ms), audible as
		 * zipper if taken at once. */
		level_set(&l->in, lathe_db_to_gain(value), !l->primed);
		break;
	case LATHE_LIMITER_CEILING:
		level_set(&l->ceil, lathe_db_to_gain(value), !l->primed);
		if (!l->primed) {
			l->inv_ceil = 1.0f / l->ceil.target;
			l->ceil_settle = l->latency + LATHE_SUBBLOCK;
		}
		break;
	case LATHE_LIMITER_RELEASE:
		/* A time constant: a step changes no gain at once, only how fast
		 * it moves from now on, so it needs no ramp. */
		set_release(l, value);
		break;
	case LATHE_LIMITER_AUTO_RELEASE:
		/* No fade needed: the envelope continues from where it is, only
		 * its release rate changes, so the gain cannot step. The slow
		 * stage starts at the envelope (<= it, so nothing jumps): what is
		 * held now releases at the set time. */
		if (value >= 0.5f && !l->auto_release)
			l->env_slow = l->env;
		l->auto_release = value >= 0.5f;
		break;
	case LATHE_LIMITER_TRUE_PEAK:
		/* No fade needed: the detector only feeds the envelope, whose
		 * attack is the 2 ms S-curve and release the set time, so the gain
		 * moves smoothly to the new need. Samples already in the delay
		 * line when true peak is switched on keep the sample-peak
		 * guarantee only (2 ms). */
		if (value >= 0.5f && !l->true_peak)
			l->tp_stale = true;
		l->true_peak = value >= 0.5f;
		break;
	default:
		break;
	}
}

/* --- processing ------------------------------------------------------------ */

/* min and max without fminf's NaN rules (a libm call at -O2): nothing
 * here is NaN, inputs are made finite first. */
static inline float min_f(float a, float b) { return a < b ? a : b; }
static inline float max_f(float a, float b) { return a > b ? a : b; }

static inline LatheV4f splat(float x)
{
	return (LatheV4f){ x, x, x, x };
}

/* max_f and min_f, lane by lane. */
static inline LatheV4f vmax(LatheV4f a, LatheV4f b)
{
#ifdef __SSE2__
	return (LatheV4f)_mm_max_ps((__m128)a, (__m128)b);
#else
	LatheV4f r;
	for (int k = 0; k < 4; k++)
		r[k] = max_f(a[k], b[k]);
	return r;
#endif
}

static inline LatheV4f vmin(LatheV4f a, LatheV4f b)
{
#ifdef __SSE2__
	return (LatheV4f)_mm_min_ps((__m128)a, (__m128)b);
#else
	LatheV4f r;
	for (int k = 0; k < 4; k++)
		r[k] = min_f(a[k], b[k]);
	return r;
#endif
}

/* v moved up by k lanes (1 or 2), zeros coming in (the hold's values
 * are all >= 1, so a zero never wins a maximum). */
static inline LatheV4f shift_in(LatheV4f v, int k)
{
#ifdef __SSE2__
	return k == 1 ? (LatheV4f)_mm_slli_si128((__m128i)v, 4) : (LatheV4f)_mm_slli_si128((__m128i)v, 8);
#else
	return k == 1 ? (LatheV4f){ 0.0f, v[0], v[1], v[2] } : (LatheV4f){ 0.0f, 0.0f, v[0], v[1] };
#endif
}

/* v moved down by k lanes (1 or 2), zeros coming in. */
static inline LatheV4f shift_out(LatheV4f v, int k)
{
#ifdef __SSE2__
	return k == 1 ? (LatheV4f)_mm_srli_si128((__m128i)v, 4) : (LatheV4f)_mm_srli_si128((__m128i)v, 8);
#else
	return k == 1 ? (LatheV4f){ v[1], v[2], v[3], 0.0f } : (LatheV4f){ v[2], v[3], 0.0f, 0.0f };
#endif
}

static inline LatheV4f vabs(LatheV4f a)
{
	return (LatheV4f)((LatheV4i)a & 0x7fffffff);
}

/* An input sample made safe: NaN and Inf become silence, anything beyond
 * INPUT_MAX is clamped to it, and anything below 2^-100 (-600 dBFS) is
 * flushed to zero, so that the delay line, and every product the detector
 * makes of it, never holds a denormal (which would cost 100 times the
 * time on CPUs without flush-to-zero). */
static inline float sane(float x, float gain)
{
	float y = lathe_finite(x) * gain;
	y = fabsf(y) < 7.888609052210118e-31f ? 0.0f : y;
	return min_f(max_f(y, -INPUT_MAX), INPUT_MAX);
}

/* sane() of four samples: the finiteness test and the flush on the bits
 * (integer compares), the clamp as in min_f and max_f. */
static inline LatheV4f vsane(LatheV4f x, LatheV4f gain)
{
	const LatheV4i finite = (LatheV4i)vabs(x) < 0x7f800000; /* 0x7f800000: inf */
	LatheV4f y = (LatheV4f)((LatheV4i)x & finite) * gain;
	y = (LatheV4f)((LatheV4i)y & ((LatheV4i)vabs(y) >= 0x0d800000)); /* 2^-100 */
	return vmin(vmax(y, splat(-INPUT_MAX)), splat(INPUT_MAX));
}

static inline float curved(float before, float at, float after)
{
	return fabsf(at) + CURVATURE * fabsf(before - 2.0f * at + after);
}

/* --- true-peak detection -----------------------------------------------------
 * Each stage is a pass over the frames of the call, four frames per
 * vector, both channels in turn: the half-band's midpoints, the 4x points,
 * the estimates at the sample points, those of the intervals, q. A pass
 * reads what earlier passes (or calls) stored, shifted as it needs. A
 * range whose length is not a multiple of 4 starts with a vector that
 * reaches back over values already done (the midpoints: a whole
 * sub-block): each is a pure function of the delay line, so they are
 * rewritten with the same bits, and the split of the signal into calls
 * cannot change the output. The arithmetic of every value is the scalar
 * form's (curved(), the sums in the order written), so the bits are the
 * same as one sample at a time. */

/* curved() of four frames. `two` is 2.0f, from memory: the compiler would
 * turn a constant 2 * at into at + at, an add where the adders are the
 * detector's bottleneck and the multipliers are not. */
static inline LatheV4f vcurved(LatheV4f before, LatheV4f at, LatheV4f after, LatheV4f two)
{
	return vabs(at) + splat(CURVATURE) * vabs(before - two * at + after);
}

/* Hides where a pointer points from the compiler, which would otherwise
 * keep loaded vectors in registers for a later pair that loads them
 * again (a pair's loads are the previous ones' shifted), far more of them
 * than there are registers: a load is cheaper than a spill. */
#if defined(__GNUC__)
#define OPAQUE(p) __asm__("" : "+r"(p))
#else
#define OPAQUE(p) ((void)0)
#endif

/* Four aligned floats. */
static inline LatheV4f lda(const float *p)
{
	return *(const LatheV4fAligned *)(const void *)p;
}

/* Where x[i..i+3] is aligned: in copy r = -i mod 4 (xc[r][i + r]). */
static inline const float *aligned_at(const float *const *xc, int i)
{
	int r = -i & 3;
	return xc[r] + i + r;
}

/* 2x: m[j] = x(j + 1/2) from the pairs around it, for the 32 frames from
 * j = c, one channel (xc: its delay line and the shifted copies; eight
 * sums keep the adders busy while each waits for its last add). Pair k
 * adds x[j-k] and x[j+1+k]: four k in a row, each loads from the copy
 * where its vectors are aligned, so no load splits across cache lines
 * and the adds take one operand from memory. The sum starts with the
 * first pair's product (the scalar form's 0 + h0 p0 differs at most in
 * the sign of a zero, which the detector's absolute values remove). */
_Static_assert(LATHE_SUBBLOCK == 32, "midpoints() computes one sub-block of 32 frames");

static inline void midpoints(const float *const *xc, float *m, const LatheV4f *hb, int c)
{
	/* k = 4t + u: x[c + 4v - k] at lo[u] + 4 (v - t), x[c + 4v + 1 + k] at
	 * hi[u] + 4 (v + t). */
	const float *lo0 = aligned_at(xc, c), *lo1 = aligned_at(xc, c - 1), *lo2 = aligned_at(xc, c - 2),
		    *lo3 = aligned_at(xc, c - 3);
	const float *hi0 = aligned_at(xc, c + 1), *hi1 = aligned_at(xc, c + 2), *hi2 = aligned_at(xc, c + 3),
		    *hi3 = aligned_at(xc, c + 4);
	LatheV4f h = hb[0];
	LatheV4f s0 = h * (lda(lo0) + lda(hi0)), s1 = h * (lda(lo0 + 4) + lda(hi0 + 4));
	LatheV4f s2 = h * (lda(lo0 + 8) + lda(hi0 + 8)), s3 = h * (lda(lo0 + 12) + lda(hi0 + 12));
	LatheV4f s4 = h * (lda(lo0 + 16) + lda(hi0 + 16)), s5 = h * (lda(lo0 + 20) + lda(hi0 + 20));
	LatheV4f s6 = h * (lda(lo0 + 24) + lda(hi0 + 24)), s7 = h * (lda(lo0 + 28) + lda(hi0 + 28));
#define PAIR(lo, hi, k)                                      \
	do {                                                 \
		const float *pl = (lo), *ph = (hi);           \
		OPAQUE(pl);                                  \
		OPAQUE(ph);                                  \
		h = hb[k];                                   \
		s0 += h * (lda(pl) + lda(ph));               \
		s1 += h * (lda(pl + 4) + lda(ph + 4));       \
		s2 += h * (lda(pl + 8) + lda(ph + 8));       \
		s3 += h * (lda(pl + 12) + lda(ph + 12));     \
		s4 += h * (lda(pl + 16) + lda(ph + 16));     \
		s5 += h * (lda(pl + 20) + lda(ph + 20));     \
		s6 += h * (lda(pl + 24) + lda(ph + 24));     \
		s7 += h * (lda(pl + 28) + lda(ph + 28));     \
	} while (0)
	PAIR(lo1, hi1, 1);
	PAIR(lo2, hi2, 2);
	PAIR(lo3, hi3, 3);
	for (int t = 1; t < HB_PAIRS / 4; t++) {
		PAIR(lo0 - 4 * t, hi0 + 4 * t, 4 * t);
		PAIR(lo1 - 4 * t, hi1 + 4 * t, 4 * t + 1);
		PAIR(lo2 - 4 * t, hi2 + 4 * t, 4 * t + 2);
		PAIR(lo3 - 4 * t, hi3 + 4 * t, 4 * t + 3);
	}
#undef PAIR
	lathe_v4f_store(m + c, s0);
	lathe_v4f_store(m + c + 4, s1);
	lathe_v4f_store(m + c + 8, s2);
	lathe_v4f_store(m + c + 12, s3);
	lathe_v4f_store(m + c + 16, s4);
	lathe_v4f_store(m + c + 20, s5);
	lathe_v4f_store(m + c + 24, s6);
	lathe_v4f_store(m + c + 28, s7);
}

/* 4x: the midpoints of the 2x sequence x[j-1] m[j-1] x[j] m[j] x[j+1]
 * m[j+1] x[j+2]: qa[j] = x(j + 1/4), qb[j] = x(j + 3/4). px[c] + s:
 * x[j - 1 + c], aligned. */
static inline void quarters(const float *const *px, int s, const float *m, float *qa, float *qb, LatheV4f g0,
			    LatheV4f g1, LatheV4f g2, int j)
{
	LatheV4f xm1 = lda(px[0] + s), x0 = lda(px[1] + s), x1 = lda(px[2] + s), x2 = lda(px[3] + s);
	LatheV4f mm1 = lathe_v4f_load(m + j - 1), m0 = lathe_v4f_load(m + j), m1 = lathe_v4f_load(m + j + 1);
	lathe_v4f_store(qa + j, g0 * (x0 + m0) + g1 * (mm1 + x1) + g2 * (xm1 + m1));
	lathe_v4f_store(qb + j, g0 * (m0 + x1) + g1 * (x0 + m1) + g2 * (mm1 + x2));
}

/* Estimates of the interval [j, j+1) of one channel, without the point j
 * (x0, x1: x[j], x[j+1]). */
static inline LatheV4f interval_peaks(LatheV4f x0, LatheV4f x1, const float *m, const float *qa, const float *qb,
				  LatheV4f two, int j)
{
	LatheV4f a = lathe_v4f_load(qa + j), m0 = lathe_v4f_load(m + j), b = lathe_v4f_load(qb + j);
	return vmax(vmax(vcurved(x0, a, m0, two), vcurved(a, m0, b, two)), vcurved(m0, b, x1, two));
}

/* True-peak detection for the samples written at indices [from, from + n),
 * 1 <= n <= LATHE_SUBBLOCK: q of the samples DETECT_DELAY earlier (NULL:
 * only the detector's state). The history before `from` is always there
 * (the buffers keep more than the look-backs and a sub-block). */
static void detect_true_peak(Limiter *l, int from, int n, float *q)
{
	const float *const *xcl = (const float *const *)l->a + XL, *const *xcr = (const float *const *)l->a + XR;
	float *ml = l->a[ML], *mr = l->a[MR], *al = l->a[AL], *ar = l->a[AR], *bl = l->a[BL],
	      *br = l->a[BR], *v0 = l->a[V0], *ipk = l->a[IPK];
	const LatheV4f two = l->two;
	/* Midpoints m[j], j in [from - HB_PAIRS, + n): the sub-block that
	 * ends there (n < LATHE_SUBBLOCK: some again). */
	midpoints(xcl, ml, l->hb4, from - HB_PAIRS + n - LATHE_SUBBLOCK);
	midpoints(xcr, mr, l->hb4, from - HB_PAIRS + n - LATHE_SUBBLOCK);
	/* The other stages: nv vectors that end where the range ends (the
	 * first reaching back before it if n is not a multiple of 4), all at
	 * the same alignment, so that each x operand has one aligned copy. */
	const int nv = (n + 3) / 4, back = 4 * nv - n;
	/* 4x points at j in [from - HB_PAIRS - 1, + n). */
	{
		const int j0 = from - HB_PAIRS - 1 - back;
		const float *pl[4], *pr[4];
		for (int c = 0; c < 4; c++) {
			pl[c] = aligned_at(xcl, j0 - 1 + c);
			pr[c] = aligned_at(xcr, j0 - 1 + c);
		}
		const LatheV4f g0 = splat(l->s2[0]), g1 = splat(l->s2[1]), g2 = splat(l->s2[2]);
		for (int s = 0; s < 4 * nv; s += 4) {
			quarters(pl, s, ml, al, bl, g0, g1, g2, j0 + s);
			quarters(pr, s, mr, ar, br, g0, g1, g2, j0 + s);
		}
	}
	/* Estimates at the sample points j in [from - HB_PAIRS - 1, + n),
	 * both channels. */
	{
		const int j0 = from - HB_PAIRS - 1 - back;
		const float *pl = aligned_at(xcl, j0), *pr = aligned_at(xcr, j0);
		for (int s = 0; s < 4 * nv; s += 4) {
			const int j = j0 + s;
			lathe_v4f_store(v0 + j, vmax(vcurved(lathe_v4f_load(bl + j - 1), lda(pl + s), lathe_v4f_load(al + j), two),
					vcurved(lathe_v4f_load(br + j - 1), lda(pr + s), lathe_v4f_load(ar + j), two)));
		}
	}
	/* ipk[j]: the interval [j, j+1) with its first point, j in
	 * [from - DETECT_DELAY, + n). */
	{
		const int j0 = from - DETECT_DELAY - back;
		const float *pl0 = aligned_at(xcl, j0), *pl1 = aligned_at(xcl, j0 + 1);
		const float *pr0 = aligned_at(xcr, j0), *pr1 = aligned_at(xcr, j0 + 1);
		for (int s = 0; s < 4 * nv; s += 4) {
			const int j = j0 + s;
			LatheV4f el = interval_peaks(lda(pl0 + s), lda(pl1 + s), ml, al, bl, two, j);
			LatheV4f er = interval_peaks(lda(pr0 + s), lda(pr1 + s), mr, ar, br, two, j);
			lathe_v4f_store(ipk + j, vmax(lathe_v4f_load(v0 + j), vmax(el, er)));
		}
	}
	if (!q)
		return;
	/* q[j]: both intervals around j and the point j + 1. */
	for (int s = 0; s < 4 * nv; s += 4) {
		const int i = s - back, j = from - DETECT_DELAY + i;
		LatheV4f v = vmax(vmax(lathe_v4f_load(ipk + j - 1), lathe_v4f_load(ipk + j)), lathe_v4f_load(v0 + j + 1));
		if (i >= 0)
			lathe_v4f_store(q + i, v);
		else /* the first vector reached back before the call */
			for (int t = -i; t < 4; t++)
				q[i + t] = v[t];
	}
}

/* Move the last KEEP entries of every array to the front. */
static void rewind_buffers(Limiter *l)
{
	int shift = l->w - l->keep;
	for (int k = 0; k < N_ARRAYS; k++) /* the copies' last entries too */
		memmove(l->a[k], l->a[k] + shift, (size_t)(l->keep + 3) * sizeof(float));
	l->w = l->keep;
}

static void limiter_process(void *self, float *left, float *right, int n)
{
	Limiter *l = self;
	float q[LATHE_SUBBLOCK], hold[LATHE_SUBBLOCK], g[LATHE_SUBBLOCK], gain[LATHE_SUBBLOCK];
	float ceil_now[LATHE_SUBBLOCK], inv_ceil[LATHE_SUBBLOCK];
	l->primed = true;
	if (l->w + n + BUF_PAD > l->buf_len)
		rewind_buffers(l);
	const int w = l->w;
	float *xl = l->a[XL], *xr = l->a[XR], *ceil_at = l->a[CEIL];

	/* 1. Input into the delay line and its shifted copies. */
	float *xl1 = l->a[XL1] + 1, *xl2 = l->a[XL2] + 2, *xl3 = l->a[XL3] + 3;
	float *xr1 = l->a[XR1] + 1, *xr2 = l->a[XR2] + 2, *xr3 = l->a[XR3] + 3;
	int done = 0; /* frames already in the copies */
	if (level_moving(&l->in) || level_moving(&l->ceil)) {
		/* Samples detected while the ceiling moves leave the delay line
		 * `latency` frames later. */
		if (level_moving(&l->ceil))
			l->ceil_settle = l->latency + LATHE_SUBBLOCK;
		const double coef = l->level_coef;
		for (int i = 0; i < n; i++) {
			float gin = level_next(&l->in, coef);
			float c = level_next(&l->ceil, coef);
			ceil_now[i] = c;
			inv_ceil[i] = l->inv_ceil = 1.0f / c;
			xl[w + i] = sane(left[i], gin);
			xr[w + i] = sane(right[i], gin);
		}
	} else {
		const float gin = (float)l->in.value, c = (float)l->ceil.value, ic = l->inv_ceil;
		const LatheV4f g4 = splat(gin);
		for (; done + 4 <= n; done += 4) {
			const int i = w + done;
			LatheV4f yl = vsane(lathe_v4f_load(left + done), g4), yr = vsane(lathe_v4f_load(right + done), g4);
			lathe_v4f_store(xl + i, yl);
			lathe_v4f_store(xl1 + i, yl);
			lathe_v4f_store(xl2 + i, yl);
			lathe_v4f_store(xl3 + i, yl);
			lathe_v4f_store(xr + i, yr);
			lathe_v4f_store(xr1 + i, yr);
			lathe_v4f_store(xr2 + i, yr);
			lathe_v4f_store(xr3 + i, yr);
		}
		for (int i = done; i < n; i++) {
			xl[w + i] = sane(left[i], gin);
			xr[w + i] = sane(right[i], gin);
		}
		for (int k = 0; k < LATHE_SUBBLOCK; k++) {
			ceil_now[k] = c;
			inv_ceil[k] = ic;
		}
	}
	for (int i = w + done; i < w + n; i++) {
		xl1[i] = xl2[i] = xl3[i] = xl[i];
		xr1[i] = xr2[i] = xr3[i] = xr[i];
	}

	/* 2. Detection: q of the samples DETECT_DELAY frames back. */
	if (l->true_peak) {
		if (l->tp_stale) {
			/* Rebuild the detector's look-backs (3 stages of one
			 * sample each) from the delay line, which is always full. */
			detect_true_peak(l, w - 8, 8, NULL);
			l->tp_stale = false;
		}
		detect_true_peak(l, w, n, q);
	} else {
		for (int i = 0; i < n; i++) {
			int j = w + i - DETECT_DELAY;
			q[i] = max_f(fabsf(xl[j]), fabsf(xr[j]));
		}
	}
	{
		int i = 0;
		for (; i + 4 <= n; i += 4) {
			lathe_v4f_store(q + i, vmax(lathe_v4f_load(q + i) * lathe_v4f_load(inv_ceil + i), splat(1.0f)));
			lathe_v4f_store(ceil_at + w + i - DETECT_DELAY, lathe_v4f_load(ceil_now + i));
		}
		for (; i < n; i++) {
			q[i] = max_f(q[i] * inv_ceil[i], 1.0f);
			ceil_at[w + i - DETECT_DELAY] = ceil_now[i];
		}
	}

	/* 3. Hold: the maximum of q over the last H frames, four frames at a
	 * time within a block (the running maximum as a scan in the vector),
	 * the rest one by one. */
	const int hl = l->hold_len;
	float *blk = l->blk, *suffix = l->suffix;
	float prefix = l->prefix;
	int bpos = l->blk_pos;
	for (int i = 0; i < n;) {
		const int end = i + (hl - bpos < n - i ? hl - bpos : n - i);
		for (; i + 4 <= end; i += 4, bpos += 4) {
			LatheV4f v = lathe_v4f_load(q + i);
			lathe_v4f_store(blk + bpos, v);
			v = vmax(v, shift_in(v, 1));
			v = vmax(v, shift_in(v, 2));
			v = vmax(v, splat(prefix));
			prefix = v[3];
			lathe_v4f_store(hold + i, vmax(v, lathe_v4f_load(suffix + bpos + 1)));
		}
		for (; i < end; i++, bpos++) {
			blk[bpos] = q[i];
			prefix = max_f(prefix, q[i]);
			hold[i] = max_f(prefix, suffix[bpos + 1]);
		}
		if (bpos == hl) {
			/* The block's suffix maxima, from its end: the scan
			 * again, four at a time, mirrored. */
			float m = 1.0f;
			int o = hl;
			for (; o % 4; o--) {
				m = max_f(m, blk[o - 1]);
				suffix[o - 1] = m;
			}
			for (o -= 4; o >= 0; o -= 4) {
				LatheV4f v = lathe_v4f_load(blk + o);
				v = vmax(v, shift_out(v, 1));
				v = vmax(v, shift_out(v, 2));
				v = vmax(v, splat(m));
				m = v[0];
				lathe_v4f_store(suffix + o, v);
			}
			prefix = 1.0f;
			bpos = 0;
		}
	}
	l->prefix = prefix;
	l->blk_pos = bpos;

	/* 4. Envelope. At rest (no reduction, nothing held) the gain is
	 * exactly 1 and the transcendental work is skipped. The vector loops
	 * run over the whole sub-block (a fixed length vectorises); frames
	 * beyond n are padding, computed and ignored. */
	bool busy = l->env > 0.0;
	{
		LatheV4i any = { 0, 0, 0, 0 };
		int i = 0;
		for (; i + 4 <= n; i += 4)
			any |= lathe_v4f_load(hold + i) > splat(1.0f);
		for (; i < n; i++)
			busy |= hold[i] > 1.0f;
		busy |= (any[0] | any[1] | any[2] | any[3]) != 0;
	}
	if (busy) {
		float t[LATHE_SUBBLOCK], e[LATHE_SUBBLOCK];
		for (int i = n; i < LATHE_SUBBLOCK; i++)
			hold[i] = 1.0f;
		for (int i = 0; i < LATHE_SUBBLOCK; i++)
			t[i] = fast_log2(hold[i]);
		double env = l->env;
		if (l->auto_release) {
			/* The slow stage follows the held reduction with the set
			 * time constant; the envelope releases fast down to it. */
			double slow = l->env_slow;
			const double rel = l->fast_coef, sc = l->slow_coef, si = 1.0 - sc;
			for (int i = 0; i < n; i++) {
				/* Snapped per sample (not per call like env): a tiny
				 * slow value would live on in the next reduction. */
				slow = sc * slow + si * t[i];
				slow = slow < ENV_FLOOR ? 0.0 : slow;
				double r = rel * env;
				r = r > slow ? r : slow;
				env = r > t[i] ? r : t[i];
				e[i] = (float)env;
			}
			l->env_slow = slow;
		} else {
			const double rel = l->rel_coef;
			for (int i = 0; i < n; i++) {
				double r = rel * env;
				env = r > t[i] ? r : t[i];
				e[i] = (float)env;
			}
		}
		l->env = env < ENV_FLOOR ? 0.0 : env;
		for (int i = n; i < LATHE_SUBBLOCK; i++)
			e[i] = 0.0f;
		for (int i = 0; i < LATHE_SUBBLOCK; i++)
			g[i] = min_f(fast_exp2_neg(e[i]), 1.0f / hold[i]);
	} else {
		l->env_slow = 0.0;
		for (int i = 0; i < n; i++)
			g[i] = 1.0f;
	}

	/* 5. The three moving averages, in runs between the wraps of their
	 * circular buffers. */
	const int box = l->box;
	int32_t *box1 = l->box1;
	int64_t *box2 = l->box2, *box3 = l->box3;
	const double gs = l->gain_scale;
	int bp = l->box_pos;
	int64_t sum1 = l->sum1, sum2 = l->sum2, sum3 = l->sum3;
	float last = l->gain;
	for (int i = 0; i < n;) {
		int run = box - bp < n - i ? box - bp : n - i;
		for (int k = 0; k < run; k++) {
			int32_t u = (int32_t)(g[i + k] * (float)GAIN_ONE);
			sum1 += u - box1[bp + k];
			box1[bp + k] = u;
			sum2 += sum1 - box2[bp + k];
			box2[bp + k] = sum1;
			sum3 += sum2 - box3[bp + k];
			box3[bp + k] = sum2;
			gain[i + k] = last = (float)((double)sum3 * gs);
		}
		i += run;
		bp += run;
		if (bp == box)
			bp = 0;
	}
	l->box_pos = bp;
	l->sum1 = sum1;
	l->sum2 = sum2;
	l->sum3 = sum3;
	l->gain = last;

	/* 6. Output, with a safety clamp for float rounding (an ulp at most):
	 * the envelope has already done the work. */
	const int d = w - l->latency;
	if (l->ceil_settle > 0) {
		/* A ceiling lowered since a sample was detected lowers its gain
		 * by the same ratio, so the ceiling holds while it glides. */
		for (int i = 0; i < n; i++) {
			float c_now = ceil_now[i], c_det = ceil_at[d + i];
			float k = c_now < c_det ? gain[i] * (c_now / c_det) : gain[i];
			left[i] = min_f(max_f(xl[d + i] * k, -c_now), c_now);
			right[i] = min_f(max_f(xr[d + i] * k, -c_now), c_now);
		}
		l->ceil_settle = l->ceil_settle > n ? l->ceil_settle - n : 0;
	} else {
		/* The ceiling is constant here (it did not move in this call). */
		const float c = ceil_now[0];
		const LatheV4f c4 = splat(c), mc4 = splat(-c);
		int i = 0;
		for (; i + 4 <= n; i += 4) {
			LatheV4f g4 = lathe_v4f_load(gain + i);
			lathe_v4f_store(left + i, vmin(vmax(lathe_v4f_load(xl + d + i) * g4, mc4), c4));
			lathe_v4f_store(right + i, vmin(vmax(lathe_v4f_load(xr + d + i) * g4, mc4), c4));
		}
		for (; i < n; i++) {
			left[i] = min_f(max_f(xl[d + i] * gain[i], -c), c);
			right[i] = min_f(max_f(xr[d + i] * gain[i], -c), c);
		}
	}
	l->w = w + n;
}

static int limiter_latency(const void *self)
{
	return ((const Limiter *)self)->latency;
}

static int limiter_gain_reduction(const void *self, float *gr)
{
	const Limiter *l = self;
	gr[0] = max_f(0.0f, -lathe_gain_to_db(l->gain));
	return 1;
}

const LatheModuleClass lathe_limiter_class = {
	.name = "limiter",
	.n_params = LATHE_LIMITER_PARAM_COUNT,
	.create = limiter_create,
	.destroy = limiter_destroy,
	.set = limiter_set,
	.reset = limiter_reset,
	.process = limiter_process,
	.latency = limiter_latency,
	.gain_reduction = limiter_gain_reduction,
};
