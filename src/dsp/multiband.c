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
 * Glossary of run_xover(): b[k][i][ch] band k at sample i of channel ch
 * (then, in place, the band with its gains), lp1/lp2/aps the split
 * sections, cmp the Horner all-passes.
 */
#include "multiband.h"

#include <stdlib.h>

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

/* Band output y = b with its gains, over the block, in place:
 *   y_L = A (b_L + d), y_R = A (b_R - d), d = D (b_L - b_R)
 * A = heard (g makeup, faded to 1 by bypass), D = (w - 1)/2 faded to 0 by
 * bypass, so that with w = 1 the band is exactly A b. */
static void band_apply(double (*restrict b)[2], const float *restrict g,
		       const float *restrict mk, const float *restrict w,
		       const float *restrict heard, const float *restrict byp)
{
	for (int i = 0; i < SB; i++) {
		float gm = g[i] * mk[i];
		double A = heard[i] * (gm + byp[i] * (1.0f - gm));
		double D = 0.5f * (w[i] - 1.0f) * (1.0f - byp[i]);
		double d = D * (b[i][0] - b[i][1]);
		b[i][0] = A * (b[i][0] + d);
		b[i][1] = A * (b[i][1] - d);
	}
}

/* acc = AP(acc) + y for both channels: a stereo section whose output gets a
 * band added, written like lathe_stereo_tick so that it stays one vector
 * operation (mixing scalar and vector access to acc would cost a stall). */
static inline void ap_add(const LatheBiquad *c, LatheStereoState *s, double *restrict acc,
			  const double *restrict y)
{
	double b0 = c->b0, b1 = c->b1, b2 = c->b2, a1 = c->a1, a2 = c->a2;
	for (int k = 0; k < 2; k++) {
		double o = (b0 * acc[k] + b1 * s->x1[k] + b2 * s->x2[k] - a2 * s->y2[k]) - a1 * s->y1[k];
		s->x2[k] = s->x1[k];
		s->x1[k] = acc[k];
		s->y2[k] = s->y1[k];
		s->y1[k] = o;
		acc[k] = o + y[k];
	}
}

/* Frames of this block (of n) over which split k ramps its coefficients. */
static inline int ramp_frames(const Xover *x, int k, int n)
{
	return x->ramp[k] < n ? x->ramp[k] : n;
}

/* One frame of split k: lo = LP LP (in), hi = AP (in) - lo; in is lo. */
static inline void split_tick(const LatheBiquad *lp, const LatheBiquad *ap, LatheStereoState *s1,
			      LatheStereoState *s2, LatheStereoState *sa, double *restrict lo_io,
			      double *restrict hi_out)
{
	double lo[2] = { lo_io[0], lo_io[1] };
	double hi[2] = { lo_io[0], lo_io[1] };
	lathe_stereo_tick(lp, s1, lo);
	lathe_stereo_tick(lp, s2, lo);
	lathe_stereo_tick(ap, sa, hi);
	for (int ch = 0; ch < 2; ch++) {
		lo_io[ch] = lo[ch];
		hi_out[ch] = hi[ch] - lo[ch];
	}
}

/* One crossover over the block: xi in (interleaved pairs), ol/orr out. */
static void run_xover(Multiband *m, Xover *x, const Controls *ct, const float (*xi)[2],
		      float *ol, float *orr, int n)
{
	int nb = x->bands, ns = nb - 1;
	double b[MAXB][SB][2];
	LatheStereoState lp1[MAXS], lp2[MAXS], aps[MAXS], cmp[MAXS];
	memcpy(lp1, x->lp1, sizeof lp1);
	memcpy(lp2, x->lp2, sizeof lp2);
	memcpy(aps, x->aps, sizeof aps);
	memcpy(cmp, x->comp, sizeof cmp);

	/* Split, one split at a time over the block (its state stays in
	 * registers): b[k] = LP_k(rest), b[k + 1] = AP_k(rest) - LP_k(rest),
	 * the rest being b[k] on entry. */
	for (int i = 0; i < n; i++) {
		b[0][i][0] = xi[i][0];
		b[0][i][1] = xi[i][1];
	}
	LatheBiquad lp_end[MAXS], ap_end[MAXS];
	for (int k = 0; k < ns; k++) {
		LatheBiquad lp = x->lp[k], ap = x->ap[k];
		LatheStereoState s1 = lp1[k], s2 = lp2[k], sa = aps[k];
		int i = 0, nr = ramp_frames(x, k, n);
		if (nr > 0) {
			const LatheBiquad dl = x->lp_d[k], da = x->ap_d[k];
			for (; i < nr; i++) {
				bq_step(&lp, &dl);
				bq_step(&ap, &da);
				split_tick(&lp, &ap, &s1, &s2, &sa, b[k][i], b[k + 1][i]);
			}
			if (nr == x->ramp[k]) {
				lp = x->lp_t[k];
				ap = x->ap_t[k];
			}
		}
		for (; i < n; i++)
			split_tick(&lp, &ap, &s1, &s2, &sa, b[k][i], b[k + 1][i]);
		lp1[k] = s1;
		lp2[k] = s2;
		aps[k] = sa;
		lp_end[k] = lp;
		ap_end[k] = ap;
	}
	for (int k = 0; k < nb; k++)
		for (int i = n; i < SB; i++)
			b[k][i][0] = b[k][i][1] = 0.0;

	/* Dynamics and band gains, two bands at a time through the
	 * envelopes (their recursions overlap). */
	float p[MAXB][SB], t[MAXB][SB], r[MAXB][SB], g[SB];
	for (int k = 0; k < nb; k++) {
		for (int i = 0; i < SB; i++) {
			float l = (float)b[k][i][0], rr = (float)b[k][i][1];
			p[k][i] = lathe_dyn_max(l * l, rr * rr);
		}
		lathe_dyn_targets(&m->curve, p[k], ct->thr[k], ct->slope[k], t[k]);
	}
	for (int k = 0; k < nb; k += 2) {
		if (k + 1 < nb)
			lathe_dyn_envelope2(&m->band[k].ec, &x->env[k], t[k], r[k],
					    &m->band[k + 1].ec, &x->env[k + 1], t[k + 1], r[k + 1], n);
		else
			lathe_dyn_envelope(&m->band[k].ec, &x->env[k], t[k], r[k], n);
	}
	for (int k = 0; k < nb; k++) {
		lathe_dyn_gains(r[k], g);
		band_apply(b[k], g, ct->makeup[k], ct->width[k], ct->heard[k], ct->bypassed[k]);
		x->gr[k] = r[k][n - 1] * (1.0f - ct->bypassed[k][n - 1]);
	}

	/* Sum through the Horner all-passes, one all-pass at a time over the
	 * block: acc = b[0]; acc = AP_k(acc) + b[k], k = 1..N-2; + b[N-1]. */
	for (int k = 1; k < ns; k++) {
		LatheBiquad ap = x->ap[k];
		LatheStereoState sc = cmp[k];
		int i = 0, nr = ramp_frames(x, k, n);
		if (nr > 0) {
			/* The same coefficient path as the split's all-pass. */
			const LatheBiquad da = x->ap_d[k];
			for (; i < nr; i++) {
				bq_step(&ap, &da);
				ap_add(&ap, &sc, b[0][i], b[k][i]);
			}
			if (nr == x->ramp[k])
				ap = x->ap_t[k];
		}
		for (; i < n; i++)
			ap_add(&ap, &sc, b[0][i], b[k][i]);
		cmp[k] = sc;
	}
	for (int k = 0; k < ns; k++) {
		x->lp[k] = lp_end[k];
		x->ap[k] = ap_end[k];
		x->ramp[k] -= ramp_frames(x, k, n);
	}
	for (int i = 0; i < n; i++) {
		ol[i] = (float)(b[0][i][0] + b[ns][i][0]);
		orr[i] = (float)(b[0][i][1] + b[ns][i][1]);
	}

	for (int k = 0; k < ns; k++) {
		lathe_stereo_flush(&lp1[k]);
		lathe_stereo_flush(&lp2[k]);
		lathe_stereo_flush(&aps[k]);
		lathe_stereo_flush(&cmp[k]);
	}
	memcpy(x->lp1, lp1, sizeof lp1);
	memcpy(x->lp2, lp2, sizeof lp2);
	memcpy(x->aps, aps, sizeof aps);
	memcpy(x->comp, cmp, sizeof cmp);
}

static void multiband_process(void *self, float *left, float *right, int n)
{
	Multiband *m = self;
	float xl[SB], xr[SB], xi[SB][2];
	Controls ct;

	/* A transition ends (and the next may start) at an exact sample,
	 * whatever the split into calls: process up to it first. */
	int rest = m->transition ? m->warm + (m->fade.len - m->fade.pos) : n;
	if (rest < n) {
		multiband_process(self, left, right, rest);
		multiband_process(self, left + rest, right + rest, n - rest);
		return;
	}

	lathe_dyn_input(left, right, xl, xr, xi, n);
	/* Every band's controls advance, heard or not, so that a glide is a
	 * function of time alone. */
	for (int k = 0; k < MAXB; k++) {
		Band *bd = &m->band[k];
		ct.thr[k] = lathe_block_ramp_block(&bd->threshold, n);
		ct.slope[k] = lathe_block_ramp_block(&bd->slope, n);
		ct.makeup[k] = lathe_block_ramp_block(&bd->makeup, n);
		ct.width[k] = lathe_block_ramp_block(&bd->width, n);
		ct.heard[k] = lathe_fade_block(&bd->heard, n);
		ct.bypassed[k] = lathe_fade_block(&bd->bypassed, n);
	}

	run_xover(m, &m->x[m->cur], &ct, xi, left, right, n);
	if (!m->transition)
		return;

	float nl[SB], nr[SB], scratch[SB];
	run_xover(m, &m->x[1 - m->cur], &ct, xi, nl, nr, n);
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
