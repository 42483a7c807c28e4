/* lathe — multiband compressor (see multiband.h; detector in dynamics.h).
 *
 * Crossover: a cascade of Linkwitz-Riley 4th-order splits. Split k at f_k
 * takes the rest of the signal above the previous split:
 *     band k = LP_k(rest),  rest' = HP_k(rest) = AP_k(rest) - LP_k(rest)
 * where LP_k is two identical 2nd-order Butterworth low-pass sections and
 * AP_k the 2nd-order all-pass with the same poles (Q = 1/sqrt 2). With the
 * bilinear designs of biquad.h, LP_k + HP_k = AP_k holds exactly (the LR4
 * identity), so computing HP as AP - LP costs one section instead of two
 * and keeps the identity to rounding. The last band is the last rest.
 *
 * All-pass compensation: band k must also pass through AP_{k+1}..AP_{N-2}
 * (the splits it did not go through), so that the sum is AP_0 AP_1 ...
 * AP_{N-2}: flat magnitude. Instead of one chain per band, the processed
 * bands are summed Horner-style,
 *     acc = y_0;  acc = AP_k(acc) + y_k for k = 1..N-2;  out = acc + y_{N-1}
 * which applies the same all-passes with N-2 sections instead of
 * (N-1)(N-2)/2. (The all-pass then acts after the band's gain instead of
 * before it; both are linear and time-invariant, so neutral bands sum
 * exactly as before and a moving gain only has its phase turned.)
 *
 * Crossover frequencies: the first N-1 of xover1..4, made increasing with
 * at least half an octave between neighbours (pushed up from the lowest,
 * then down from 16 kHz), so that a band between two splits always keeps a
 * pass band (its peak stays within about 7 dB of unity) even when the
 * controls are set out of order. The rule is continuous, so gliding
 * controls move the frequencies smoothly.
 *
 * Coefficient ramps: while a control glides, the chain calls set() once per
 * 32-frame sub-block, and stepping the split sections there would zipper
 * (a full-range glide put -70 dBFS above 8 kHz on a 100 Hz tone). So, as
 * in eq.c, a split whose design changes moves its LP and AP coefficients
 * linearly to the new design over the next RAMP frames, and the Horner
 * all-pass AP_k follows the same path. The path is continuous and
 * piecewise linear; (a1, a2) stays inside the stability triangle, which is
 * convex, and LP and AP keep identical poles throughout. The ramp counts
 * frames from the set() and lands exactly on the design, so the output
 * does not depend on how process() calls split a sub-block. A split that
 * does not move runs the fixed-coefficient loop: no cost at rest.
 *
 * Band count: a change crossfades (LATHE_FADE_MS) from the running
 * crossover to a copy of it with the new count. The copy shares every
 * split and envelope state, so it starts warm; sections that the new count
 * adds start from rest and first run silently for ten time constants of
 * their lowest pole (warm-up, under 80 ms) before the fade starts, so that
 * their start-up transient is never heard.
 *
 * Per band: detector = the louder channel's peak (stereo linked, so a band
 * never moves the image), the comp's curve with a fixed 6 dB knee, makeup,
 * width (side gain of the band: L,R = M +- w S), solo and bypass as fades.
 * Bypass passes the band untouched: no reduction, makeup or width.
 *
 * Glossary of run_xover(): b[k][i] band k at sample i, both channels in
 * one vector (then, in place, the band with its gains), lp1/lp2/aps the
 * split sections, comp the Horner all-passes.
 *
 * Speed: every section runs the two channels as one SSE2 vector of two
 * doubles (biquad.h), with per lane the arithmetic of lathe_biquad_tick,
 * so the output is bit-identical to scalar code. Steady LR4 splits take a
 * shorter exact path (split_lr4), the bands' envelopes run in one loop
 * (lathe_dyn_envelopes), and the Horner all-passes in one loop.
 */
#include "multiband.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "biquad.h"
#include "dynamics.h"

#define MAXB LATHE_MB_MAX_BANDS
#define MAXS (LATHE_MB_MAX_BANDS - 1)

/* Half an octave between crossovers at least (see above). */
#define MIN_SPACING 1.4142135623730951
/* The registry's highest crossover, valid at every rate (< 0.45 x 44.1 kHz). */
#define TOP_HZ 16000.0
/* No knee control for the bands: the comp's default, 6 dB. */
#define KNEE_DB 6.0f

#define SB LATHE_SUBBLOCK
/* Coefficient ramp: one sub-block, the interval between two set() calls of
 * a glide, so that the coefficient path is continuous (see above). */
#define RAMP SB

/* One crossover with its count and all its state. */
typedef struct {
	int bands;
	double f[MAXS];
	LatheBiquad lp[MAXS], ap[MAXS];     /* coefficients in use */
	LatheBiquad lp_t[MAXS], ap_t[MAXS]; /* their targets (the design) */
	LatheBiquad lp_d[MAXS], ap_d[MAXS]; /* per-frame steps while ramping */
	int ramp[MAXS];                     /* frames of the ramp left */
	LatheStereoState lp1[MAXS], lp2[MAXS], aps[MAXS];
	LatheStereoState comp[MAXS]; /* Horner all-pass AP_k, k >= 1 */
	LatheEnv env[MAXB];
	float gr[MAXB];
} Xover;

typedef struct {
	float attack, release;
	LatheEnvCoeffs ec;
	LatheBlockRamp threshold, slope, makeup, width;
	bool solo, bypass;
	LatheFade heard, bypassed;
} Band;

typedef struct {
	double rate;
	float xo[MAXS];    /* crossover controls, Hz */
	int bands_req;     /* requested count */
	Xover x[2];
	int cur;           /* x[cur] is heard */
	bool transition;   /* x[1 - cur] is warming up or fading in */
	int warm;          /* samples of warm-up left */
	LatheFade fade;    /* weight of x[1 - cur] */
	LatheDynCurve curve;
	Band band[MAXB];
} Multiband;

static inline LatheBiquad bq_sub_div(const LatheBiquad *a, const LatheBiquad *b, double d)
{
	return (LatheBiquad){ (a->b0 - b->b0) / d, (a->b1 - b->b1) / d, (a->b2 - b->b2) / d,
			      (a->a1 - b->a1) / d, (a->a2 - b->a2) / d };
}

static inline bool bq_equal(const LatheBiquad *a, const LatheBiquad *b)
{
	return a->b0 == b->b0 && a->b1 == b->b1 && a->b2 == b->b2 && a->a1 == b->a1 &&
	       a->a2 == b->a2;
}

static inline void bq_step(LatheBiquad *c, const LatheBiquad *d)
{
	c->b0 += d->b0, c->b1 += d->b1, c->b2 += d->b2, c->a1 += d->a1, c->a2 += d->a2;
}

/* Split k lands on its target at once (no ramp). */
static void snap(Xover *x, int k)
{
	x->lp[k] = x->lp_t[k];
	x->ap[k] = x->ap_t[k];
	x->ramp[k] = 0;
}

/* Effective crossover frequencies of an n-band crossover (see above), and
 * their sections as the targets of the splits. With glide, a split whose
 * target changes ramps to it from where it is over the next RAMP frames
 * (one that keeps its target keeps its ramp); without, it lands at once. */
static void design(Xover *x, const float *xo, double rate, bool glide)
{
	int ns = x->bands - 1;
	for (int k = 0; k < ns; k++) {
		double f = xo[k];
		if (k > 0 && f < x->f[k - 1] * MIN_SPACING)
			f = x->f[k - 1] * MIN_SPACING;
		x->f[k] = f;
	}
	for (int k = ns - 1; k >= 0; k--) {
		double top = k == ns - 1 ? TOP_HZ : x->f[k + 1] / MIN_SPACING;
		if (x->f[k] > top)
			x->f[k] = top;
	}
	for (int k = 0; k < ns; k++) {
		LatheBiquad lp = lathe_biquad_lowpass(x->f[k], M_SQRT1_2, rate);
		LatheBiquad ap = lathe_biquad_allpass(x->f[k], M_SQRT1_2, rate);
		if (glide && bq_equal(&lp, &x->lp_t[k]) && bq_equal(&ap, &x->ap_t[k]))
			continue;
		x->lp_t[k] = lp;
		x->ap_t[k] = ap;
		if (!glide) {
			snap(x, k);
			continue;
		}
		x->lp_d[k] = bq_sub_div(&lp, &x->lp[k], RAMP);
		x->ap_d[k] = bq_sub_div(&ap, &x->ap[k], RAMP);
		x->ramp[k] = RAMP;
	}
}

static void start_transition(Multiband *m)
{
	const Xover *from = &m->x[m->cur];
	Xover *to = &m->x[1 - m->cur];
	int old = from->bands, nb = m->bands_req;
	*to = *from;
	to->bands = nb;
	/* Shared splits go on from where they are (ramping if the new count
	 * moves them); new ones start at rest on their design. */
	design(to, m->xo, m->rate, true);
	m->warm = 0;
	/* Splits and Horner all-passes beyond the old count start at rest;
	 * new bands' envelopes start at the old top band's reduction (they
	 * split that band). */
	for (int k = old - 1; k < nb - 1; k++) {
		to->lp1[k] = to->lp2[k] = to->aps[k] = to->comp[k] = (LatheStereoState){ 0 };
		snap(to, k);
		/* A Butterworth pole pair at f decays as exp(-2 pi f t / sqrt 2):
		 * ten such time constants, 2.25 / f seconds, leave a double
		 * pole's start-up below -65 dB (10 e^-10). */
		int w = (int)ceil(2.25 / to->f[k] * m->rate);
		if (w > m->warm)
			m->warm = w;
	}
	for (int b = old; b < nb; b++) {
		to->env[b] = from->env[old - 1];
		to->gr[b] = from->gr[old - 1];
	}
	m->fade.pos = 0;
	m->fade.flat = false;
	lathe_fade_set(&m->fade, true);
	m->transition = true;
}

static void update_solo(Multiband *m)
{
	bool any = false;
	for (int b = 0; b < MAXB; b++)
		any |= m->band[b].solo;
	for (int b = 0; b < MAXB; b++)
		lathe_fade_set(&m->band[b].heard, !any || m->band[b].solo);
}

static void multiband_set(void *self, int param, float v)
{
	Multiband *m = self;
	if (param == LATHE_MB_BANDS) {
		int nb = (int)lrintf(v);
		m->bands_req = nb < 2 ? 2 : nb > MAXB ? MAXB : nb;
		if (!m->transition && m->bands_req != m->x[m->cur].bands)
			start_transition(m);
		return;
	}
	if (param >= LATHE_MB_XOVER1 && param <= LATHE_MB_XOVER4) {
		m->xo[param - LATHE_MB_XOVER1] = v;
		/* The idle crossover is designed when a transition starts. */
		design(&m->x[m->cur], m->xo, m->rate, true);
		if (m->transition)
			design(&m->x[1 - m->cur], m->xo, m->rate, true);
		return;
	}
	if (param < LATHE_MB_FIRST_BAND || param >= LATHE_MB_PARAM_COUNT)
		return;
	Band *b = &m->band[(param - LATHE_MB_FIRST_BAND) / LATHE_MB_BAND_STRIDE];
	switch ((param - LATHE_MB_FIRST_BAND) % LATHE_MB_BAND_STRIDE) {
	case LATHE_MB_BAND_THRESHOLD:
		lathe_block_ramp_set(&b->threshold, v);
		break;
	case LATHE_MB_BAND_RATIO:
		lathe_block_ramp_set(&b->slope, 1.0f - 1.0f / v);
		break;
	case LATHE_MB_BAND_ATTACK:
		b->attack = v;
		lathe_env_coeffs(&b->ec, b->attack, b->release, false, m->rate);
		break;
	case LATHE_MB_BAND_RELEASE:
		b->release = v;
		lathe_env_coeffs(&b->ec, b->attack, b->release, false, m->rate);
		break;
	case LATHE_MB_BAND_MAKEUP:
		lathe_block_ramp_set(&b->makeup, lathe_db_to_gain(v));
		break;
	case LATHE_MB_BAND_WIDTH:
		lathe_block_ramp_set(&b->width, v * 0.01f);
		break;
	case LATHE_MB_BAND_SOLO:
		b->solo = v >= 0.5f;
		update_solo(m);
		break;
	case LATHE_MB_BAND_BYPASS:
		b->bypass = v >= 0.5f;
		lathe_fade_set(&b->bypassed, b->bypass);
		break;
	default:
		break;
	}
}

static void clear_xover(Xover *x)
{
	memset(x->lp1, 0, sizeof x->lp1);
	memset(x->lp2, 0, sizeof x->lp2);
	memset(x->aps, 0, sizeof x->aps);
	memset(x->comp, 0, sizeof x->comp);
	memset(x->env, 0, sizeof x->env);
	memset(x->gr, 0, sizeof x->gr);
}

static void multiband_reset(void *self)
{
	Multiband *m = self;
	/* Any transition completes: the requested count is heard at once. */
	if (m->transition) {
		m->cur = 1 - m->cur;
		m->transition = false;
	}
	if (m->x[m->cur].bands != m->bands_req) {
		m->x[m->cur].bands = m->bands_req;
		design(&m->x[m->cur], m->xo, m->rate, false);
	}
	/* Coefficient ramps complete. */
	for (int k = 0; k < MAXS; k++) {
		snap(&m->x[0], k);
		snap(&m->x[1], k);
	}
	clear_xover(&m->x[0]);
	clear_xover(&m->x[1]);
	for (int b = 0; b < MAXB; b++) {
		Band *bd = &m->band[b];
		lathe_block_ramp_finish(&bd->threshold);
		lathe_block_ramp_finish(&bd->slope);
		lathe_block_ramp_finish(&bd->makeup);
		lathe_block_ramp_finish(&bd->width);
		lathe_fade_finish(&bd->heard);
		lathe_fade_finish(&bd->bypassed);
	}
}

static void *multiband_create(double rate)
{
	Multiband *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->rate = rate;
	/* Registry defaults (src/params.c), so that the module works alone. */
	static const float xo[MAXS] = { 120.0f, 800.0f, 5000.0f, 12000.0f };
	memcpy(m->xo, xo, sizeof xo);
	m->bands_req = 4;
	m->x[0].bands = m->x[1].bands = 4;
	design(&m->x[0], m->xo, rate, false);
	design(&m->x[1], m->xo, rate, false);
	m->curve = lathe_dyn_curve_make(KNEE_DB, LATHE_DYN_NO_CAP);
	lathe_fade_init(&m->fade, rate, false);
	for (int b = 0; b < MAXB; b++) {
		Band *bd = &m->band[b];
		bd->attack = 10.0f;
		bd->release = 150.0f;
		lathe_env_coeffs(&bd->ec, bd->attack, bd->release, false, rate);
		lathe_block_ramp_init(&bd->threshold, -20.0f);
		lathe_block_ramp_init(&bd->slope, 0.0f);
		lathe_block_ramp_init(&bd->makeup, 1.0f);
		lathe_block_ramp_init(&bd->width, 1.0f);
		lathe_fade_init(&bd->heard, rate, true);
		lathe_fade_init(&bd->bypassed, rate, false);
	}
	return m;
}

static void multiband_destroy(void *self)
{
	free(self);
}

/* Per-block values of the band controls, shared by both crossovers
 * (LATHE_SUBBLOCK blocks owned by the ramps and fades). */
typedef struct {
	const float *thr[MAXB], *slope[MAXB], *makeup[MAXB], *width[MAXB];
	const float *heard[MAXB], *bypassed[MAXB];
} Controls;

/* Both channels of a frame in one vector (biquad.h): every section of the
 * crossover is one vector operation per multiply or add. */
typedef LatheV2d v2d;

/* One direct-form-I step of a section, both lanes: the arithmetic of
 * lathe_biquad2_tick, with the state variables named by the caller. */
#define DF1(c, x, x1, x2, y1, y2) \
	(((c).b0 * (x) + (c).b1 * (x1) + (c).b2 * (x2) - (c).a2 * (y2)) - (c).a1 * (y1))

/* The band with its gains, over the block (all of it: frames from n on
 * are zero and stay so), in place:
 *   y_L = A (b_L + d), y_R = A (b_R - d), d = D (b_L - b_R)
 * A = heard (g makeup, faded to 1 by bypass), D = (w - 1)/2 faded to 0 by
 * bypass, so that with w = 1 the band is exactly A b. A and D are computed
 * in float (one vectorised loop), then applied in double to two frames at
 * a time, the two lefts in one vector and the two rights in another. */
static void band_apply(v2d *restrict b, const float *restrict g, const float *restrict mk,
		       const float *restrict w, const float *restrict heard,
		       const float *restrict byp)
{
	float a[SB], d[SB];
	for (int i = 0; i < SB; i++) {
		float gm = g[i] * mk[i];
		a[i] = heard[i] * (gm + byp[i] * (1.0f - gm));
		d[i] = 0.5f * (w[i] - 1.0f) * (1.0f - byp[i]);
	}
	const LatheV2i lo = { 0, 2 }, hi = { 1, 3 };
	for (int i = 0; i < SB; i += 2) {
		v2d f0 = b[i], f1 = b[i + 1];
		v2d l = __builtin_shuffle(f0, f1, lo), r = __builtin_shuffle(f0, f1, hi);
		v2d A = lathe_v2d_load2f(&a[i]), D = lathe_v2d_load2f(&d[i]);
		v2d dd = D * (l - r);
		l = A * (l + dd);
		r = A * (r - dd);
		b[i] = __builtin_shuffle(l, r, lo);
		b[i + 1] = __builtin_shuffle(l, r, hi);
	}
}

/* Peak detector power of a band: the louder channel's square, in float.
 * Four frames at a time: their lefts and their rights, each rounded to
 * float two by two. */
static void band_power(const v2d *restrict b, float *restrict p)
{
	const LatheV2i lo = { 0, 2 }, hi = { 1, 3 };
	float l[SB], r[SB];
	for (int i = 0; i < SB; i += 4) {
		lathe_v2d_store4f(&l[i], __builtin_shuffle(b[i], b[i + 1], lo),
				  __builtin_shuffle(b[i + 2], b[i + 3], lo));
		lathe_v2d_store4f(&r[i], __builtin_shuffle(b[i], b[i + 1], hi),
				  __builtin_shuffle(b[i + 2], b[i + 3], hi));
	}
	for (int i = 0; i < SB; i++)
		p[i] = lathe_dyn_max(l[i] * l[i], r[i] * r[i]);
}

/* Frames of this block (of n) over which split k ramps its coefficients. */
static inline int ramp_frames(const Xover *x, int k, int n)
{
	return x->ramp[k] < n ? x->ramp[k] : n;
}

/* One frame of a split: lo = LP LP (x), hi = AP (x) - lo. s: lp1, lp2, ap. */
static inline void split_frame(const LatheBiquad2 *lp, const LatheBiquad2 *ap,
			       LatheBiquadState2 *s, v2d x, v2d *lo, v2d *hi)
{
	v2d l = lathe_biquad2_tick(lp, &s[0], x);
	l = lathe_biquad2_tick(lp, &s[1], l);
	v2d h = lathe_biquad2_tick(ap, &s[2], x);
	*lo = l;
	*hi = h - l;
}

/* Frames [i, n) of a split with fixed coefficients, src to lo and hi (src
 * may be lo). Two frames per iteration, the second with the roles of the
 * state variables exchanged (x1 <-> x2, y1 <-> y2), so that no moves shift
 * the state; the arithmetic is that of split_frame. */
static void split_run(const LatheBiquad2 *lpc, const LatheBiquad2 *apc, LatheBiquadState2 *s,
		      const v2d *src, v2d *lo, v2d *hi, int i, int n)
{
	const LatheBiquad2 L = *lpc, A = *apc;
	v2d p1 = s[0].x1, p2 = s[0].x2, q1 = s[0].y1, q2 = s[0].y2;
	v2d u1 = s[1].x1, u2 = s[1].x2, v1 = s[1].y1, v2 = s[1].y2;
	v2d a1 = s[2].x1, a2 = s[2].x2, c1 = s[2].y1, c2 = s[2].y2;
	for (; i + 1 < n; i += 2) {
		v2d x = src[i];
		v2d l = DF1(L, x, p1, p2, q1, q2);
		p2 = x, q2 = l;
		v2d m = DF1(L, l, u1, u2, v1, v2);
		u2 = l, v2 = m;
		v2d h = DF1(A, x, a1, a2, c1, c2);
		a2 = x, c2 = h;
		lo[i] = m;
		hi[i] = h - m;

		x = src[i + 1];
		l = DF1(L, x, p2, p1, q2, q1);
		p1 = x, q1 = l;
		m = DF1(L, l, u2, u1, v2, v1);
		u1 = l, v1 = m;
		h = DF1(A, x, a2, a1, c2, c1);
		a1 = x, c1 = h;
		lo[i + 1] = m;
		hi[i + 1] = h - m;
	}
	s[0] = (LatheBiquadState2){ p1, p2, q1, q2 };
	s[1] = (LatheBiquadState2){ u1, u2, v1, v2 };
	s[2] = (LatheBiquadState2){ a1, a2, c1, c2 };
	if (i < n)
		split_frame(lpc, apc, s, src[i], &lo[i], &hi[i]);
}

/* Bitwise equality of two doubles (== would take -0 for +0). */
static inline bool same(double a, double b)
{
	uint64_t x, y;
	memcpy(&x, &a, sizeof x);
	memcpy(&y, &b, sizeof y);
	return x == y;
}

static inline bool same2(v2d a, v2d b) { return same(a[0], b[0]) && same(a[1], b[1]); }

/* Can split_lr4 run this split? The bilinear LR4 designs (biquad.c) have,
 * exactly, lp b1 = 2 b0 and b2 = b0, and an all-pass with the low-pass's
 * poles and b0 = a2, b1 = a1, b2 = 1; and in a running split, the second
 * low-pass's input history is the first one's output history, and the
 * all-pass's input history the first low-pass's (they always see the same
 * signals; only a one-sided clear of non-finite state breaks this, and the
 * next block restores it). */
static bool lr4_exact(const LatheBiquad *lp, const LatheBiquad *ap, const LatheBiquadState2 *s)
{
	return same(lp->b1, lp->b0 + lp->b0) && same(lp->b2, lp->b0) && same(ap->b0, lp->a2) &&
	       same(ap->b1, lp->a1) && same(ap->b2, 1.0) && same(ap->a1, lp->a1) &&
	       same(ap->a2, lp->a2) && same2(s[1].x1, s[0].y1) && same2(s[1].x2, s[0].y2) &&
	       same2(s[2].x1, s[0].x1) && same2(s[2].x2, s[0].x2);
}

/* split_run for an exact LR4 split (lr4_exact): the same results with
 * fewer operations and registers. The shared histories are kept once, and
 * the low-passes keep the products p = b0 x of their inputs instead of the
 * inputs: b1 x1 = 2 b0 x1 and b2 x2 = b0 x2 exactly (scaling by 2 is
 * exact), so each low-pass multiplies its input once; the all-pass adds
 * its x2 (b2 = 1) without a multiply. Skewed: the first low-pass and the
 * all-pass run one frame ahead of the second low-pass, so that each
 * iteration starts from values already computed (a frame's path through
 * two sections is a long chain of dependent operations; skewed, fewer of
 * them wait in the CPU's scheduler at once). n > i. */
static void split_lr4(const LatheBiquad *lpc, LatheBiquadState2 *s, const v2d *src, v2d *lo,
		      v2d *hi, int i, int n)
{
	const v2d B0 = lathe_v2d_splat(lpc->b0), A1 = lathe_v2d_splat(lpc->a1);
	const v2d A2 = lathe_v2d_splat(lpc->a2);
	v2d X1 = s[0].x1, X2 = s[0].x2, LY1 = s[0].y1, LY2 = s[0].y2;
	v2d MY1 = s[1].y1, MY2 = s[1].y2, HY1 = s[2].y1, HY2 = s[2].y2;
	v2d P1 = B0 * X1, P2 = B0 * X2, Q1 = B0 * LY1, Q2 = B0 * LY2;
	/* The first low-pass and the all-pass of frame i. */
	v2d x = src[i], p = B0 * x;
	v2d l = (((p + (P1 + P1)) + P2) - A2 * LY2) - A1 * LY1;
	v2d h = (((A2 * x + A1 * X1) + X2) - A2 * HY2) - A1 * HY1;
	P2 = P1, P1 = p, LY2 = LY1, LY1 = l, X2 = X1, X1 = x, HY2 = HY1, HY1 = h;
	for (;; i++) {
		/* The second low-pass of frame i. */
		v2d q = B0 * l;
		v2d m = (((q + (Q1 + Q1)) + Q2) - A2 * MY2) - A1 * MY1;
		Q2 = Q1, Q1 = q, MY2 = MY1, MY1 = m;
		lo[i] = m;
		hi[i] = h - m;
		if (i + 1 >= n)
			break;
		/* The first low-pass and the all-pass of frame i + 1. */
		x = src[i + 1];
		p = B0 * x;
		l = (((p + (P1 + P1)) + P2) - A2 * LY2) - A1 * LY1;
		h = (((A2 * x + A1 * X1) + X2) - A2 * HY2) - A1 * HY1;
		P2 = P1, P1 = p, LY2 = LY1, LY1 = l, X2 = X1, X1 = x, HY2 = HY1, HY1 = h;
	}
	s[0] = (LatheBiquadState2){ X1, X2, LY1, LY2 };
	s[1] = (LatheBiquadState2){ LY1, LY2, MY1, MY2 };
	s[2] = (LatheBiquadState2){ X1, X2, HY1, HY2 };
}

/* Sum of the bands (with their gains) through the Horner all-passes when
 * none of them ramps, all in one loop over the block (their recursions
 * overlap), into b[0]:
 *   acc = y_0;  acc = AP_k(acc) + y_k, k = 1..N-2;  out = acc + y_{N-1}.
 * nb is a constant after inlining. */
static inline __attribute__((always_inline)) void horner_fixed(const int nb, Xover *x,
							       v2d (*b)[SB], int n)
{
	const int ns = nb - 1;
	LatheBiquad2 c[MAXS];
	LatheBiquadState2 s[MAXS];
#pragma GCC unroll 4
	for (int k = 1; k < ns; k++) {
		c[k] = lathe_biquad2_splat(&x->ap[k]);
		s[k] = lathe_stereo_load(&x->comp[k]);
	}
	for (int i = 0; i < n; i++) {
		v2d acc = b[0][i];
#pragma GCC unroll 4
		for (int k = 1; k < ns; k++)
			acc = lathe_biquad2_tick(&c[k], &s[k], acc) + b[k][i];
		b[0][i] = acc + b[ns][i];
	}
#pragma GCC unroll 4
	for (int k = 1; k < ns; k++) {
		lathe_biquad2_flush(&s[k]);
		lathe_stereo_store(&x->comp[k], &s[k]);
	}
}

/* The same sum, one all-pass at a time over the block, for blocks in which
 * some of them ramp their coefficients (the same arithmetic per frame). */
static void horner_ramp(Xover *x, v2d (*b)[SB], int n)
{
	int ns = x->bands - 1;
	for (int k = 1; k < ns; k++) {
		LatheBiquad ap = x->ap[k];
		LatheBiquadState2 s = lathe_stereo_load(&x->comp[k]);
		LatheBiquad2 c;
		int i = 0, nr = ramp_frames(x, k, n);
		if (nr > 0) {
			/* The same coefficient path as the split's all-pass. */
			const LatheBiquad da = x->ap_d[k];
			for (; i < nr; i++) {
				bq_step(&ap, &da);
				c = lathe_biquad2_splat(&ap);
				b[0][i] = lathe_biquad2_tick(&c, &s, b[0][i]) + b[k][i];
			}
			if (nr == x->ramp[k])
				ap = x->ap_t[k];
		}
		c = lathe_biquad2_splat(&ap);
		for (; i < n; i++)
			b[0][i] = lathe_biquad2_tick(&c, &s, b[0][i]) + b[k][i];
		lathe_biquad2_flush(&s);
		lathe_stereo_store(&x->comp[k], &s);
	}
	for (int i = 0; i < n; i++)
		b[0][i] += b[ns][i];
}

/* One crossover over the block: in (both channels per frame, safe, zero
 * from n on), ol/orr out. */
static void run_xover(Multiband *m, Xover *x, const Controls *ct, const v2d *in, float *ol,
		      float *orr, int n)
{
	int nb = x->bands, ns = nb - 1;
	v2d b[MAXB][SB];

	/* Split, one split at a time over the block (its state stays in
	 * registers): b[k] = LP_k(rest), b[k + 1] = AP_k(rest) - LP_k(rest),
	 * the rest being the input for k = 0 and b[k] after. */
	LatheBiquad lp_end[MAXS], ap_end[MAXS];
	for (int k = 0; k < ns; k++) {
		LatheBiquad lp = x->lp[k], ap = x->ap[k];
		LatheBiquadState2 s[3] = { lathe_stereo_load(&x->lp1[k]), lathe_stereo_load(&x->lp2[k]),
					   lathe_stereo_load(&x->aps[k]) };
		const v2d *src = k == 0 ? in : b[k];
		int i = 0, nr = ramp_frames(x, k, n);
		if (nr > 0) {
			const LatheBiquad dl = x->lp_d[k], da = x->ap_d[k];
			for (; i < nr; i++) {
				bq_step(&lp, &dl);
				bq_step(&ap, &da);
				LatheBiquad2 lc = lathe_biquad2_splat(&lp), ac = lathe_biquad2_splat(&ap);
				split_frame(&lc, &ac, s, src[i], &b[k][i], &b[k + 1][i]);
			}
			if (nr == x->ramp[k]) {
				lp = x->lp_t[k];
				ap = x->ap_t[k];
			}
		}
		if (i < n && lr4_exact(&lp, &ap, s)) {
			split_lr4(&lp, s, src, b[k], b[k + 1], i, n);
		} else if (i < n) {
			LatheBiquad2 lc = lathe_biquad2_splat(&lp), ac = lathe_biquad2_splat(&ap);
			split_run(&lc, &ac, s, src, b[k], b[k + 1], i, n);
		}
		for (int j = 0; j < 3; j++)
			lathe_biquad2_flush(&s[j]);
		lathe_stereo_store(&x->lp1[k], &s[0]);
		lathe_stereo_store(&x->lp2[k], &s[1]);
		lathe_stereo_store(&x->aps[k], &s[2]);
		lp_end[k] = lp;
		ap_end[k] = ap;
	}
	for (int k = 0; k < nb; k++)
		for (int i = n; i < SB; i++)
			b[k][i] = (v2d){ 0.0, 0.0 };

	/* Dynamics: targets, then all the bands' envelopes in one loop (their
	 * recursions overlap), then the gains applied to the bands. */
	float t[MAXB][SB], r[MAXB][SB];
	const LatheEnvCoeffs *ec[MAXB] = { 0 };
	LatheEnv *env[MAXB] = { 0 };
	const float *tp[MAXB] = { 0 };
	float *rp[MAXB] = { 0 };
	for (int k = 0; k < nb; k++) {
		float p[SB];
		band_power(b[k], p);
		lathe_dyn_targets(&m->curve, p, ct->thr[k], ct->slope[k], t[k]);
		ec[k] = &m->band[k].ec;
		env[k] = &x->env[k];
		tp[k] = t[k];
		rp[k] = r[k];
	}
	lathe_dyn_envelopes(nb, ec, env, tp, rp, n);
	for (int k = 0; k < nb; k++) {
		float g[SB];
		lathe_dyn_gains(r[k], g);
		band_apply(b[k], g, ct->makeup[k], ct->width[k], ct->heard[k], ct->bypassed[k]);
		x->gr[k] = r[k][n - 1] * (1.0f - ct->bypassed[k][n - 1]);
	}

	/* Sum through the Horner all-passes. */
	bool ramping = false;
	for (int k = 1; k < ns; k++)
		ramping |= x->ramp[k] > 0;
	if (ramping)
		horner_ramp(x, b, n);
	else if (nb == 2)
		horner_fixed(2, x, b, n);
	else if (nb == 3)
		horner_fixed(3, x, b, n);
	else if (nb == 4)
		horner_fixed(4, x, b, n);
	else
		horner_fixed(5, x, b, n);
	lathe_v2d_to_planar(b[0], ol, orr, n);

	for (int k = 0; k < ns; k++) {
		x->lp[k] = lp_end[k];
		x->ap[k] = ap_end[k];
		x->ramp[k] -= ramp_frames(x, k, n);
	}
}

/* lathe_block_ramp_block and lathe_fade_block, whose usual case (at rest,
 * block already filled: nothing changes) is inline. */
static inline const float *ramp_block(LatheBlockRamp *r, int n)
{
	return r->flat && !lathe_block_ramp_moving(r) ? r->buf : lathe_block_ramp_block(r, n);
}

static inline const float *fade_block(LatheFade *f, int n)
{
	return f->flat && lathe_fade_done(f) ? f->buf : lathe_fade_block(f, n);
}

static void multiband_process(void *self, float *left, float *right, int n)
{
	Multiband *m = self;
	v2d in[SB];
	Controls ct;

	/* A transition ends (and the next may start) at an exact sample,
	 * whatever the split into calls: process up to it first. */
	int rest = m->transition ? m->warm + (m->fade.len - m->fade.pos) : n;
	if (rest < n) {
		multiband_process(self, left, right, rest);
		multiband_process(self, left + rest, right + rest, n - rest);
		return;
	}

	float xl[SB], xr[SB], xi[SB][2];
	lathe_dyn_input(left, right, xl, xr, xi, n);
	lathe_v2d_from_planar(xl, xr, in, SB);
	/* Every band's controls advance, heard or not, so that a glide is a
	 * function of time alone. */
	for (int k = 0; k < MAXB; k++) {
		Band *bd = &m->band[k];
		ct.thr[k] = ramp_block(&bd->threshold, n);
		ct.slope[k] = ramp_block(&bd->slope, n);
		ct.makeup[k] = ramp_block(&bd->makeup, n);
		ct.width[k] = ramp_block(&bd->width, n);
		ct.heard[k] = fade_block(&bd->heard, n);
		ct.bypassed[k] = fade_block(&bd->bypassed, n);
	}

	run_xover(m, &m->x[m->cur], &ct, in, left, right, n);
	if (!m->transition)
		return;

	float nl[SB], nr[SB], scratch[SB];
	run_xover(m, &m->x[1 - m->cur], &ct, in, nl, nr, n);
	/* Silent warm-up first, then the fade. */
	const float *w = lathe_fade_block_after(&m->fade, &m->warm, scratch, n);
	for (int i = 0; i < n; i++) {
		left[i] += w[i] * (nl[i] - left[i]);
		right[i] += w[i] * (nr[i] - right[i]);
	}
	if (lathe_fade_done(&m->fade)) {
		m->cur = 1 - m->cur;
		m->transition = false;
		m->fade.pos = 0;
		m->fade.flat = false;
		lathe_fade_set(&m->fade, false);
		if (m->bands_req != m->x[m->cur].bands)
			start_transition(m);
	}
}

static int multiband_latency(const void *self)
{
	(void)self;
	return 0;
}

static int multiband_gain_reduction(const void *self, float *gr)
{
	const Multiband *m = self;
	const Xover *x = &m->x[m->cur];
	for (int b = 0; b < x->bands; b++)
		gr[b] = x->gr[b];
	return x->bands;
}

const LatheModuleClass lathe_multiband_class = {
	.name = "multiband",
	.n_params = LATHE_MB_PARAM_COUNT,
	.create = multiband_create,
	.destroy = multiband_destroy,
	.set = multiband_set,
	.reset = multiband_reset,
	.process = multiband_process,
	.latency = multiband_latency,
	.gain_reduction = multiband_gain_reduction,
};
