/* lathe — the dynamics core shared by comp, multiband and deesser: level
 * detection, the static gain curve, the attack/release envelope, fast
 * log2/exp2, and the per-sample ramps and fades the three modules use to
 * move gains without clicks.
 *
 * Signal path of one detector channel, per sample:
 *
 *   power p (x^2, or 2 * mean square for RMS)
 *     -> level L = 10 log10(p) dB              (fast log2, below)
 *     -> target reduction t(L) dB              (static curve, soft knee)
 *     -> envelope: reduction r dB              (attack/release, below)
 *     -> gain 10^(-r/20)                       (fast exp2, below)
 *
 * The envelope works on the reduction in dB, in two stages, so that both
 * time constants mean exactly what the registry says ("time to reach / to
 * recover 63 % of a gain reduction") and a steady tone still reads its peak:
 *  1. hold: jumps up to the target at once, falls toward it with the release
 *     time constant (in auto release, the larger of a fast and a slow
 *     stage, see LatheEnvCoeffs);
 *  2. out: rises toward the hold with the attack time constant, falls with
 *     it at once.
 * A step up of the target therefore moves out by 1 - 1/e in exactly the
 * attack time (stage 2 alone acts), a step down in exactly the release time
 * (stage 1 alone acts), and between the peaks of a steady sine the hold
 * stage only droops by period / release, so the reduction sits at the
 * static curve of the peak level instead of sagging by the attack/release
 * ratio as a single branching one-pole does.
 *
 * Everything inline here is real-time safe; the functions in dynamics.c
 * that design coefficients are too (a few exp() calls), so modules call
 * them from set().
 */
#ifndef LATHE_DYNAMICS_H
#define LATHE_DYNAMICS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "biquad.h"

/* Detector power below this reads as -200 dB: the same floor as
 * lathe_gain_to_db, and a normal float, so fast log2 needs no special case. */
#define LATHE_DYN_POWER_FLOOR 1e-20f

/* An input sample beyond +-1e15 (+300 dBFS) can only come from a fault
 * upstream (an unstable filter); it is treated like NaN, as silence, so that
 * makeup gain can never carry a finite sample past the float range. */
#define LATHE_DYN_INPUT_MAX 1e15f

/* 10 log10(2): dB of power per unit of log2. */
#define LATHE_DYN_DB_PER_LOG2 3.01029995663981f
/* log2(10) / 20: log2 of an amplitude gain per dB. */
#define LATHE_DYN_LOG2_PER_DB 0.166096404744368f

/* An input sample made safe: NaN, Inf and fault-sized values become 0.
 * Integer operations on the bit pattern only (|x| <= max compared as
 * integers, which orders non-negative floats; NaN's pattern is above
 * Inf's), so that a loop over a block vectorises. */
static inline float lathe_dyn_sane(float x)
{
	uint32_t bits, max;
	const float lim = LATHE_DYN_INPUT_MAX;
	memcpy(&bits, &x, sizeof bits);
	memcpy(&max, &lim, sizeof max);
	bits &= -(uint32_t)((bits & 0x7fffffffu) <= max);
	memcpy(&x, &bits, sizeof x);
	return x;
}

/* max(a, 0), exactly (a + |a| is 2a or 0, and halving is exact), written
 * without a comparison: the block loops below must have no float
 * comparisons, or GCC at -O2 (with trapping math) will not vectorise them.
 * max and min built on it round a - b once, so they may miss the exact
 * larger value by an ulp: fine for levels and reductions, deterministic. */
static inline float lathe_dyn_pos(float a) { return 0.5f * (a + fabsf(a)); }
static inline float lathe_dyn_max(float a, float b) { return b + lathe_dyn_pos(a - b); }
static inline float lathe_dyn_min(float a, float b) { return a - lathe_dyn_pos(a - b); }

/* log2(x) for x >= LATHE_DYN_POWER_FLOOR (normal, positive; +Inf gives 128).
 * x = m 2^e with m in [sqrt(1/2), sqrt(2)), then log2(m) = (2/ln 2) atanh(u),
 * u = (m-1)/(m+1), |u| <= 0.1716, from the odd series to u^5. The first term
 * left out, (2/ln 2) u^7 / 7, is below 1.8e-6: 5.5e-6 dB of power, far
 * inside any test tolerance; and the function is continuous across octaves
 * because the series is odd in u (m and 2m/2 give the same value). */
static inline float lathe_fast_log2(float x)
{
	uint32_t bits;
	memcpy(&bits, &x, sizeof bits);
	/* Adding 1.0f - sqrt(1/2) in the bit pattern carries into the exponent
	 * exactly when the mantissa is >= sqrt(2), which picks e so that
	 * m = x / 2^e lies in [sqrt(1/2), sqrt(2)). */
	int32_t e = (int32_t)((bits + (0x3f800000u - 0x3f3504f3u)) >> 23) - 127;
	bits -= (uint32_t)e << 23;
	float m;
	memcpy(&m, &bits, sizeof m);
	float u = (m - 1.0f) / (m + 1.0f);
	float u2 = u * u;
	/* 2/ln2 times 1, 1/3, 1/5. */
	float s = u * (2.88539008177793f + u2 * (0.961796693925976f + u2 * 0.577078016355585f));
	return (float)e + s;
}

/* 1.5 * 2^23: adding it to |x| < 2^22 rounds x to an integer (the sum's ulp
 * is 1) and leaves that integer in the low mantissa bits. */
#define LATHE_DYN_ROUND_MAGIC 12582912.0f

/* 2^x for x in [-126, 126] (callers pass -reduction/6.02 with reductions
 * far below 700 dB: inputs are bounded by LATHE_DYN_INPUT_MAX). x = n + f
 * with n = round(x), |f| <= 1/2; 2^f from its Taylor series to f^5
 * (coefficients ln2^k / k!). The first term left out is below 2.5e-6
 * relative (2e-5 dB); 2^0 is exactly 1, so a reduction of 0 dB is an exact
 * unity gain. */
static inline float lathe_fast_exp2(float x)
{
	float t = x + LATHE_DYN_ROUND_MAGIC;
	uint32_t tb;
	memcpy(&tb, &t, sizeof tb);
	float f = x - (t - LATHE_DYN_ROUND_MAGIC);
	float p = 1.0f + f * (0.693147180559945f + f * (0.240226506959101f +
		  f * (0.0555041086648216f + f * (0.00961812910762848f +
		  f * 0.00133335581464284f))));
	/* The rounded integer n is tb - bits(magic); 2^n has exponent n + 127. */
	uint32_t bits = (tb - 0x4b400000u + 127u) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

/* Level in dB of a detector power (x^2 scale: a sine of peak A reads
 * 20 log10 A with the peak detector and, AES17-style, with RMS too). The
 * floor is added rather than taken as a max (cheaper; it moves levels
 * within a few dB of -200 dB only). */
static inline float lathe_dyn_power_db(float power)
{
	return LATHE_DYN_DB_PER_LOG2 * lathe_fast_log2(power + LATHE_DYN_POWER_FLOOR);
}

/* Linear gain of a reduction in dB (>= 0). */
static inline float lathe_dyn_reduction_gain(float reduction_db)
{
	return lathe_fast_exp2(-LATHE_DYN_LOG2_PER_DB * reduction_db);
}

/* ---- static curve ---------------------------------------------------- */

/* The parts of the static curve that do not glide per sample (threshold and
 * slope do, see lathe_dyn_targets). */
typedef struct {
	float knee;      /* dB, full width of the quadratic knee */
	float inv_2knee; /* 1 / (2 knee) */
	float max_gr;    /* cap on the reduction (de-esser range), dB */
	bool soft;       /* knee >= LATHE_DYN_MIN_KNEE */
	bool capped;     /* max_gr < LATHE_DYN_NO_CAP */
} LatheDynCurve;

/* Below 0.1 dB a knee is taken as hard: the curves differ by at most
 * slope * knee / 8 = 0.0125 dB, and the soft form below loses precision as
 * the knee shrinks toward 0. */
#define LATHE_DYN_MIN_KNEE 0.1f
#define LATHE_DYN_NO_CAP 1e30f

/* Reduction in dB at level L for threshold T and slope s = 1 - 1/ratio:
 * 0 below T - knee/2, s (L - T) above T + knee/2, and between them the
 * quadratic s (L - T + knee/2)^2 / (2 knee) that meets both lines with
 * matching slope. With e = L - T + knee/2, a = max(e, 0) and b = max(e -
 * knee, 0), all three pieces are s (a^2 - b^2) / (2 knee), written as
 * s (a - b)(a + b) / (2 knee) so that a - b (the knee width, up in the
 * straight part) keeps its precision. Hard knee: s max(L - T, 0). The cap
 * is min(r, max_gr) written as r - max(r - max_gr, 0). */
static inline float lathe_dyn_curve(const LatheDynCurve *c, float level, float threshold,
				    float slope, bool soft, bool capped)
{
	float r;
	if (soft) {
		float e = level - threshold + 0.5f * c->knee;
		float a = lathe_dyn_pos(e), b = lathe_dyn_pos(e - c->knee);
		r = slope * c->inv_2knee * (a - b) * (a + b);
	} else {
		r = slope * lathe_dyn_pos(level - threshold);
	}
	return capped ? r - lathe_dyn_pos(r - c->max_gr) : r;
}

/* Curve with a knee (dB) and cap (dB; LATHE_DYN_NO_CAP for none). */
LatheDynCurve lathe_dyn_curve_make(float knee, float max_gr);

/* ---- envelope -------------------------------------------------------- */

/* One-pole steps k = 1 - exp(-1 / (tau rate)): after tau seconds a step is
 * 1 - 1/e = 63.2 % done. Each with its complement 1 - k, so that a stage is
 * y = (1 - k) y + k x: the recursion through y is one multiply and one add.
 * Kept in double: a 6 s slow release at 192 kHz has k = 8.7e-7, whose
 * per-sample increments a float state would round by several percent. */
typedef struct {
	double attack, attack_keep;   /* stage 2 rise */
	double release, release_keep; /* stage 1 fall (manual; the fast stage in auto) */
	double charge, charge_keep;   /* auto release: rise of the slow stage */
	double slow, slow_keep;       /* auto release: fall of the slow stage */
	bool auto_release;
} LatheEnvCoeffs;

/* Auto release, program dependent. Two release stages from the one release
 * setting R: a fast stage (R / 3) that every peak charges at once, and a
 * slow stage (3 R) that charges only with a time constant of 3 R. A short
 * peak leaves the slow stage nearly empty, so the reduction it caused goes
 * away fast; sustained compression (longer than about 3 R) fills the slow
 * stage, and the reduction then recovers slowly, without pumping. Factors of
 * 3 put the setting at the geometric middle of the two recoveries. */
#define LATHE_DYN_AUTO_FAST 3.0
#define LATHE_DYN_AUTO_SLOW 3.0
#define LATHE_DYN_AUTO_CHARGE 3.0

typedef struct {
	double hold;  /* stage 1 (fast stage in auto release) */
	double slow;  /* auto release slow stage; 0 when auto is off */
	double out;   /* stage 2: the reduction applied, dB */
} LatheEnv;

/* Coefficients for attack and release in ms at a sample rate. */
void lathe_env_coeffs(LatheEnvCoeffs *c, double attack_ms, double release_ms,
		      bool auto_release, double rate);

/* Switch auto release of one envelope. Turning it off hands the slow
 * stage's reduction to the hold stage, so the reduction never jumps (it
 * only starts to recover at the manual rate); turning it on starts the slow
 * stage empty, from where it can only charge smoothly. */
void lathe_env_set_auto(LatheEnv *e, bool auto_release);

/* Denormal-range or non-finite state becomes 0 (once per block). */
void lathe_env_flush(LatheEnv *e);

/* Both stages, one sample. The attack stage is min(h, (1 - k) o + k h),
 * which is the one-pole rise while h > o and h (instant fall) otherwise. */
static inline double lathe_env_tick(const LatheEnvCoeffs *c, LatheEnv *e, double target)
{
	double h = c->release_keep * e->hold + c->release * target;
	h = target > h ? target : h;
	e->hold = h;
	double o = c->attack_keep * e->out + c->attack * h;
	o = h < o ? h : o;
	e->out = o;
	return o;
}

static inline double lathe_env_tick_auto(const LatheEnvCoeffs *c, LatheEnv *e, double target)
{
	double h = c->release_keep * e->hold + c->release * target;
	h = target > h ? target : h;
	e->hold = h;
	/* The slow stage charges or falls: the coefficients are selected by
	 * arithmetic rather than a branch, which program material would
	 * mispredict half the time. */
	double s = e->slow, up = (double)(target > s);
	double k = c->slow + up * (c->charge - c->slow);
	double keep = c->slow_keep + up * (c->charge_keep - c->slow_keep);
	s = keep * s + k * target;
	e->slow = s;
	h = s > h ? s : h;
	double o = c->attack_keep * e->out + c->attack * h;
	o = h < o ? h : o;
	e->out = o;
	return o;
}

/* Block functions. Their arrays are LATHE_SUBBLOCK long and are processed
 * whole whatever n is (a fixed trip count is what lets GCC vectorise them
 * at -O2), so entries from n on must hold finite values; results there are
 * finite and meaningless. */

/* Target reductions (dB) of detector powers; threshold and slope per
 * sample (they glide). */
void lathe_dyn_targets(const LatheDynCurve *curve, const float *restrict power,
		       const float *restrict threshold, const float *restrict slope,
		       float *restrict target);
/* The envelope over the first n targets into reduction[]; the rest of
 * reduction[] is set to 0. */
void lathe_dyn_envelope(const LatheEnvCoeffs *ec, LatheEnv *env, const float *restrict target,
			float *restrict reduction, int n);
/* Two envelopes in one loop, so that their dependency chains overlap (the
 * recursion, not the arithmetic, bounds its speed). Both must have the
 * same auto_release. */
void lathe_dyn_envelope2(const LatheEnvCoeffs *ec0, LatheEnv *env0, const float *restrict t0,
			 float *restrict r0, const LatheEnvCoeffs *ec1, LatheEnv *env1,
			 const float *restrict t1, float *restrict r1, int n);
/* Up to LATHE_DYN_MAX_ENVELOPES envelopes in one loop, two to a vector
 * register, so that all their recursions overlap: the same results as
 * lathe_dyn_envelope on each (per lane the same operations in the same
 * order). All must have the same auto_release. Arrays of count pointers. */
#define LATHE_DYN_MAX_ENVELOPES 6
void lathe_dyn_envelopes(int count, const LatheEnvCoeffs *const *ec, LatheEnv *const *env,
			 const float *const *target, float *const *reduction, int n);
/* Linear gains of reductions in dB. */
void lathe_dyn_gains(const float *restrict reduction, float *restrict gain);

/* ---- stereo sections -------------------------------------------------- */

/* The state of one biquad section for both channels side by side. Written
 * as a two-iteration loop over the channels, a section is one vector
 * operation on a pair of doubles (GCC vectorises it at -O2), half the cost
 * of two lathe_biquad_tick calls, with the same arithmetic per channel.
 * Copy the state to a local before a block loop and back after it, so the
 * compiler can keep it in registers. */
typedef struct {
	double x1[2], x2[2], y1[2], y2[2];
} LatheStereoState;

static inline void lathe_stereo_tick(const LatheBiquad *c, LatheStereoState *s, double *x)
{
	double b0 = c->b0, b1 = c->b1, b2 = c->b2, a1 = c->a1, a2 = c->a2;
	for (int k = 0; k < 2; k++) {
		/* a1 y1 last: the recursion waits on one multiply-add only. */
		double y = (b0 * x[k] + b1 * s->x1[k] + b2 * s->x2[k] - a2 * s->y2[k]) - a1 * s->y1[k];
		s->x2[k] = s->x1[k];
		s->x1[k] = x[k];
		s->y2[k] = s->y1[k];
		s->y1[k] = y;
		x[k] = y;
	}
}

/* Flush denormal-range or non-finite state to zero (once per block). */
void lathe_stereo_flush(LatheStereoState *s);

/* The same state as two-lane vectors (biquad.h), for block loops written
 * with lathe_biquad2_tick: load before the loop, store after it. */
static inline LatheBiquadState2 lathe_stereo_load(const LatheStereoState *s)
{
	return (LatheBiquadState2){ { s->x1[0], s->x1[1] }, { s->x2[0], s->x2[1] },
				    { s->y1[0], s->y1[1] }, { s->y2[0], s->y2[1] } };
}

static inline void lathe_stereo_store(LatheStereoState *s, const LatheBiquadState2 *v)
{
	for (int k = 0; k < 2; k++) {
		s->x1[k] = v->x1[k];
		s->x2[k] = v->x2[k];
		s->y1[k] = v->y1[k];
		s->y2[k] = v->y2[k];
	}
}

/* The input of a block made safe (lathe_dyn_sane) into blocks: the two
 * channels apart (xl, xr) and as interleaved pairs (xi) for stereo
 * sections. Entries from n on are 0. */
void lathe_dyn_input(const float *restrict left, const float *restrict right, float *restrict xl,
		     float *restrict xr, float (*restrict xi)[2], int n);

/* ---- ramps and fades -------------------------------------------------- */

/* A continuous value that the chain sets once per sub-block: from each
 * set(), it moves linearly to the new value over the next LATHE_SUBBLOCK
 * samples, so a gliding gain has no steps. The value j samples after the
 * set is from + j step (j < LATHE_SUBBLOCK), then `to`: a function of j
 * alone, so it is the same whatever the split of the signal into process()
 * calls. The ramp keeps its own block of values (buf), refilled only while
 * it moves. */
typedef struct {
	float from, to, step;
	int pos;   /* samples since the set, up to LATHE_SUBBLOCK */
	bool flat; /* buf holds `to` everywhere */
	float buf[LATHE_SUBBLOCK];
} LatheBlockRamp;

static inline float lathe_block_ramp_value(const LatheBlockRamp *r)
{
	return r->pos >= LATHE_SUBBLOCK ? r->to : r->from + (float)r->pos * r->step;
}

/* Start at v with no movement. */
void lathe_block_ramp_init(LatheBlockRamp *r, float v);
/* Move to v over the next LATHE_SUBBLOCK samples. */
void lathe_block_ramp_set(LatheBlockRamp *r, float v);
/* Jump to the target (reset). */
void lathe_block_ramp_finish(LatheBlockRamp *r);
/* The values of the next n samples (a LATHE_SUBBLOCK block, see above),
 * and advance by n. */
const float *lathe_block_ramp_block(LatheBlockRamp *r, int n);
/* True while the ramp moves (its values differ from sample to sample). */
static inline bool lathe_block_ramp_moving(const LatheBlockRamp *r) { return r->pos < LATHE_SUBBLOCK; }

/* A crossfade position for a discrete change: 0 (off) to 1 (on), moving
 * one step of 1/len per sample toward its target, len = LATHE_FADE_MS. An
 * integer position makes the fade exact and independent of block splits.
 * Like a ramp it keeps its block of values. */
typedef struct {
	int pos, len;
	bool on;   /* target */
	bool flat; /* buf holds the resting value everywhere */
	float buf[LATHE_SUBBLOCK];
} LatheFade;

void lathe_fade_init(LatheFade *f, double rate, bool on);
/* Retarget; a fade in progress turns around from where it is. */
static inline void lathe_fade_set(LatheFade *f, bool on) { f->on = on; }
/* Jump to the target (reset). */
static inline void lathe_fade_finish(LatheFade *f)
{
	f->pos = f->on ? f->len : 0;
	f->flat = false;
}
static inline bool lathe_fade_done(const LatheFade *f) { return f->pos == (f->on ? f->len : 0); }
/* True when the fade rests at 0 (off and done). */
static inline bool lathe_fade_off(const LatheFade *f) { return !f->on && f->pos == 0; }
/* Weight of "on" at the current position. */
static inline float lathe_fade_value(const LatheFade *f)
{
	return (float)f->pos * (1.0f / (float)f->len);
}
/* Weights of the next n samples (a LATHE_SUBBLOCK block), and advance. */
const float *lathe_fade_block(LatheFade *f, int n);
/* The same, but the fade holds still for the first *delay samples, which
 * are counted down (a warm-up before a fade). scratch is a block this may
 * fill and return. */
const float *lathe_fade_block_after(LatheFade *f, int *delay, float *scratch, int n);

#endif
