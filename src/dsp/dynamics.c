/* lathe — dynamics core shared by comp, multiband and deesser (see dynamics.h). */
#include "dynamics.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

LatheDynCurve lathe_dyn_curve_make(float knee, float max_gr)
{
	LatheDynCurve c;
	c.soft = knee >= LATHE_DYN_MIN_KNEE;
	c.knee = c.soft ? knee : 0.0f;
	c.inv_2knee = c.soft ? 0.5f / knee : 0.0f;
	c.max_gr = max_gr;
	c.capped = max_gr < LATHE_DYN_NO_CAP;
	return c;
}

/* k = 1 - exp(-1 / (tau rate)) and 1 - k, without cancellation for long tau. */
static void step_of(double ms, double rate, double *k, double *keep)
{
	double x = -1.0 / (ms * 0.001 * rate);
	*k = -expm1(x);
	*keep = exp(x);
}

void lathe_env_coeffs(LatheEnvCoeffs *c, double attack_ms, double release_ms,
		      bool auto_release, double rate)
{
	step_of(attack_ms, rate, &c->attack, &c->attack_keep);
	c->auto_release = auto_release;
	if (auto_release) {
		step_of(release_ms / LATHE_DYN_AUTO_FAST, rate, &c->release, &c->release_keep);
		step_of(release_ms * LATHE_DYN_AUTO_SLOW, rate, &c->slow, &c->slow_keep);
		step_of(release_ms * LATHE_DYN_AUTO_CHARGE, rate, &c->charge, &c->charge_keep);
	} else {
		step_of(release_ms, rate, &c->release, &c->release_keep);
		c->slow = c->charge = 0.0;
		c->slow_keep = c->charge_keep = 1.0;
	}
}

void lathe_env_set_auto(LatheEnv *e, bool auto_release)
{
	if (!auto_release && e->slow > e->hold)
		e->hold = e->slow;
	e->slow = 0.0;
}

void lathe_env_flush(LatheEnv *e)
{
	e->hold = lathe_flush(e->hold);
	e->slow = lathe_flush(e->slow);
	e->out = lathe_flush(e->out);
}

/* One loop per kind of curve, so that the flags are constants inside. */
#define TARGETS(soft, capped) \
	for (int i = 0; i < LATHE_SUBBLOCK; i++) \
		target[i] = lathe_dyn_curve(&c, level[i], threshold[i], slope[i], soft, capped)

void lathe_dyn_targets(const LatheDynCurve *curve, const float *restrict power,
		       const float *restrict threshold, const float *restrict slope,
		       float *restrict target)
{
	LatheDynCurve c = *curve;
	/* Levels first, in a loop of their own: each sample's chain of
	 * dependent operations (log, then curve) is long, and two short loops
	 * keep more samples in flight than one long one (about 25 % faster). */
	float level[LATHE_SUBBLOCK];
	for (int i = 0; i < LATHE_SUBBLOCK; i++)
		level[i] = lathe_dyn_power_db(power[i]);
	if (c.soft && c.capped)
		TARGETS(true, true);
	else if (c.soft)
		TARGETS(true, false);
	else if (c.capped)
		TARGETS(false, true);
	else
		TARGETS(false, false);
}

void lathe_dyn_envelope(const LatheEnvCoeffs *ec, LatheEnv *env, const float *restrict target,
			float *restrict reduction, int n)
{
	LatheEnv e = *env;
	LatheEnvCoeffs c = *ec;
	if (c.auto_release)
		for (int i = 0; i < n; i++)
			reduction[i] = (float)lathe_env_tick_auto(&c, &e, target[i]);
	else
		for (int i = 0; i < n; i++)
			reduction[i] = (float)lathe_env_tick(&c, &e, target[i]);
	for (int i = n; i < LATHE_SUBBLOCK; i++)
		reduction[i] = 0.0f;
	lathe_env_flush(&e);
	*env = e;
}

void lathe_dyn_envelope2(const LatheEnvCoeffs *ec0, LatheEnv *env0, const float *restrict t0,
			 float *restrict r0, const LatheEnvCoeffs *ec1, LatheEnv *env1,
			 const float *restrict t1, float *restrict r1, int n)
{
	LatheEnv e0 = *env0, e1 = *env1;
	LatheEnvCoeffs c0 = *ec0, c1 = *ec1;
	if (c0.auto_release)
		for (int i = 0; i < n; i++) {
			r0[i] = (float)lathe_env_tick_auto(&c0, &e0, t0[i]);
			r1[i] = (float)lathe_env_tick_auto(&c1, &e1, t1[i]);
		}
	else
		for (int i = 0; i < n; i++) {
			r0[i] = (float)lathe_env_tick(&c0, &e0, t0[i]);
			r1[i] = (float)lathe_env_tick(&c1, &e1, t1[i]);
		}
	for (int i = n; i < LATHE_SUBBLOCK; i++)
		r0[i] = r1[i] = 0.0f;
	lathe_env_flush(&e0);
	lathe_env_flush(&e1);
	*env0 = e0;
	*env1 = e1;
}

/* Per lane a > b ? a : b and a < b ? a : b: maxpd and minpd exactly. */
static inline LatheV2d v2_max(LatheV2d a, LatheV2d b)
{
#ifdef __SSE2__
	return _mm_max_pd(a, b);
#else
	return (LatheV2d){ a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1] };
#endif
}

static inline LatheV2d v2_min(LatheV2d a, LatheV2d b)
{
#ifdef __SSE2__
	return _mm_min_pd(a, b);
#else
	return (LatheV2d){ a[0] < b[0] ? a[0] : b[0], a[1] < b[1] ? a[1] : b[1] };
#endif
}

/* Per lane (double)(a > b): 1 or 0. */
static inline LatheV2d v2_above(LatheV2d a, LatheV2d b)
{
#ifdef __SSE2__
	return _mm_and_pd(_mm_cmpgt_pd(a, b), _mm_set1_pd(1.0));
#else
	return (LatheV2d){ (double)(a[0] > b[0]), (double)(a[1] > b[1]) };
#endif
}

/* lathe_flush in each lane. */
static inline LatheV2d v2_flush(LatheV2d v)
{
#ifdef __SSE2__
	__m128d a = _mm_and_pd(v, _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL)));
	return _mm_and_pd(_mm_and_pd(v, _mm_cmple_pd(a, _mm_set1_pd(1.7976931348623157e308))),
			  _mm_cmpgt_pd(a, _mm_set1_pd(LATHE_STATE_FLOOR)));
#else
	return (LatheV2d){ lathe_flush(v[0]), lathe_flush(v[1]) };
#endif
}

/* Coefficients of two envelopes, one per lane. */
typedef struct {
	LatheV2d attack, attack_keep, release, release_keep;
	LatheV2d charge, charge_keep, slow, slow_keep;
} EnvCoeffs2;

#define ENV_PAIRS (LATHE_DYN_MAX_ENVELOPES / 2)

/* One frame of a pair of envelopes (lathe_env_tick or lathe_env_tick_auto
 * in each lane). */
static inline __attribute__((always_inline)) LatheV2d
envelope_step(const bool auto_release, const EnvCoeffs2 *c, LatheV2d *h, LatheV2d *s,
	      LatheV2d *o, LatheV2d tg)
{
	LatheV2d hp = c->release_keep * *h + c->release * tg;
	hp = v2_max(tg, hp);
	*h = hp;
	if (auto_release) {
		/* lathe_env_tick_auto: coefficients selected by arithmetic. */
		LatheV2d sp = *s;
		LatheV2d up = v2_above(tg, sp);
		LatheV2d k = c->slow + up * (c->charge - c->slow);
		LatheV2d keep = c->slow_keep + up * (c->charge_keep - c->slow_keep);
		sp = keep * sp + k * tg;
		*s = sp;
		hp = v2_max(sp, hp);
	}
	LatheV2d op = c->attack_keep * *o + c->attack * hp;
	op = v2_min(hp, op);
	*o = op;
	return op;
}

/* P pairs of envelopes (a constant after inlining, so the pair loops
 * unroll and the states stay in registers) over n frames, targets and
 * reductions interleaved per pair. */
static inline __attribute__((always_inline)) void
envelopes_run(const int P, const bool auto_release, const EnvCoeffs2 *c, LatheV2d *hold,
	      LatheV2d *slow, LatheV2d *out, const float (*t)[LATHE_SUBBLOCK][2],
	      float (*r)[LATHE_SUBBLOCK][2], int n)
{
	LatheV2d h[ENV_PAIRS], s[ENV_PAIRS], o[ENV_PAIRS];
#pragma GCC unroll 3
	for (int p = 0; p < P; p++)
		h[p] = hold[p], s[p] = slow[p], o[p] = out[p];
	int i = 0;
	for (; i + 1 < n; i += 2) {
#pragma GCC unroll 3
		for (int p = 0; p < P; p++) {
			LatheV2d a = envelope_step(auto_release, &c[p], &h[p], &s[p], &o[p],
						   lathe_v2d_load2f(t[p][i]));
			LatheV2d b = envelope_step(auto_release, &c[p], &h[p], &s[p], &o[p],
						   lathe_v2d_load2f(t[p][i + 1]));
			/* One 16-byte store (see lathe_v2d_store4f). */
			lathe_v2d_store4f(r[p][i], a, b);
		}
	}
	if (i < n) {
#pragma GCC unroll 3
		for (int p = 0; p < P; p++)
			lathe_v2d_store2f(r[p][i], envelope_step(auto_release, &c[p], &h[p], &s[p],
								 &o[p], lathe_v2d_load2f(t[p][i])));
	}
#pragma GCC unroll 3
	for (int p = 0; p < P; p++)
		hold[p] = h[p], slow[p] = s[p], out[p] = o[p];
}

/* Two blocks into pairs (b NULL: zeros), and back (b NULL: dropped). */
static void interleave(const float *restrict a, const float *restrict b,
		       float (*restrict ab)[2])
{
	if (b)
		for (int i = 0; i < LATHE_SUBBLOCK; i++)
			ab[i][0] = a[i], ab[i][1] = b[i];
	else
		for (int i = 0; i < LATHE_SUBBLOCK; i++)
			ab[i][0] = a[i], ab[i][1] = 0.0f;
}

static void deinterleave(const float (*restrict ab)[2], float *restrict a, float *restrict b)
{
	if (b)
		for (int i = 0; i < LATHE_SUBBLOCK; i++)
			a[i] = ab[i][0], b[i] = ab[i][1];
	else
		for (int i = 0; i < LATHE_SUBBLOCK; i++)
			a[i] = ab[i][0];
}

void lathe_dyn_envelopes(int count, const LatheEnvCoeffs *const *ec, LatheEnv *const *env,
			 const float *const *target, float *const *reduction, int n)
{
	/* Targets and reductions of each pair interleaved, so that a pair's
	 * frame is one conversion in and one out. */
	float t[ENV_PAIRS][LATHE_SUBBLOCK][2], r[ENV_PAIRS][LATHE_SUBBLOCK][2];
	EnvCoeffs2 c[ENV_PAIRS];
	LatheV2d hold[ENV_PAIRS], slow[ENV_PAIRS], out[ENV_PAIRS];
	if (count > LATHE_DYN_MAX_ENVELOPES)
		count = LATHE_DYN_MAX_ENVELOPES;
	if (count <= 0)
		return;
	int pairs = (count + 1) / 2;
	/* An odd count runs a spare lane: a copy of the last envelope fed zeros,
	 * its results discarded. */
	for (int p = 0; p < pairs; p++) {
		int a = 2 * p, b = 2 * p + 1 < count ? 2 * p + 1 : 2 * p;
		const LatheEnvCoeffs *ca = ec[a], *cb = ec[b];
		c[p] = (EnvCoeffs2){ { ca->attack, cb->attack }, { ca->attack_keep, cb->attack_keep },
				     { ca->release, cb->release }, { ca->release_keep, cb->release_keep },
				     { ca->charge, cb->charge }, { ca->charge_keep, cb->charge_keep },
				     { ca->slow, cb->slow }, { ca->slow_keep, cb->slow_keep } };
		hold[p] = (LatheV2d){ env[a]->hold, env[b]->hold };
		slow[p] = (LatheV2d){ env[a]->slow, env[b]->slow };
		out[p] = (LatheV2d){ env[a]->out, env[b]->out };
		interleave(target[a], b != a ? target[b] : NULL, t[p]);
	}
	bool au = ec[0]->auto_release;
	switch (pairs + 3 * au) {
	case 1: envelopes_run(1, false, c, hold, slow, out, t, r, n); break;
	case 2: envelopes_run(2, false, c, hold, slow, out, t, r, n); break;
	case 3: envelopes_run(3, false, c, hold, slow, out, t, r, n); break;
	case 4: envelopes_run(1, true, c, hold, slow, out, t, r, n); break;
	case 5: envelopes_run(2, true, c, hold, slow, out, t, r, n); break;
	default: envelopes_run(3, true, c, hold, slow, out, t, r, n); break;
	}
	for (int p = 0; p < pairs; p++) {
		for (int i = n; i < LATHE_SUBBLOCK; i++)
			r[p][i][0] = r[p][i][1] = 0.0f;
		deinterleave(r[p], reduction[2 * p], 2 * p + 1 < count ? reduction[2 * p + 1] : NULL);
	}
	for (int p = 0; p < pairs; p++)
		hold[p] = v2_flush(hold[p]), slow[p] = v2_flush(slow[p]), out[p] = v2_flush(out[p]);
	for (int k = 0; k < count; k++) {
		int p = k / 2, l = k % 2;
		env[k]->hold = hold[p][l];
		env[k]->slow = slow[p][l];
		env[k]->out = out[p][l];
	}
}

void lathe_dyn_gains(const float *restrict reduction, float *restrict gain)
{
	for (int i = 0; i < LATHE_SUBBLOCK; i++)
		gain[i] = lathe_dyn_reduction_gain(reduction[i]);
}

void lathe_stereo_flush(LatheStereoState *s)
{
	LatheBiquadState2 v = lathe_stereo_load(s);
	lathe_biquad2_flush(&v);
	lathe_stereo_store(s, &v);
}

void lathe_dyn_input(const float *restrict left, const float *restrict right, float *restrict xl,
		     float *restrict xr, float (*restrict xi)[2], int n)
{
	if (n == LATHE_SUBBLOCK) {
		/* The usual case, with a trip count the compiler can vectorise. */
		for (int i = 0; i < LATHE_SUBBLOCK; i++) {
			xl[i] = lathe_dyn_sane(left[i]);
			xr[i] = lathe_dyn_sane(right[i]);
		}
	} else {
		for (int i = 0; i < n; i++) {
			xl[i] = lathe_dyn_sane(left[i]);
			xr[i] = lathe_dyn_sane(right[i]);
		}
		for (int i = n; i < LATHE_SUBBLOCK; i++)
			xl[i] = xr[i] = 0.0f;
	}
	for (int i = 0; i < LATHE_SUBBLOCK; i++) {
		xi[i][0] = xl[i];
		xi[i][1] = xr[i];
	}
}

void lathe_block_ramp_init(LatheBlockRamp *r, float v)
{
	r->from = r->to = v;
	r->step = 0.0f;
	r->pos = LATHE_SUBBLOCK;
	r->flat = false;
}

void lathe_block_ramp_set(LatheBlockRamp *r, float v)
{
	float now = lathe_block_ramp_value(r);
	r->from = now;
	r->to = v;
	r->step = (v - now) / (float)LATHE_SUBBLOCK;
	r->pos = 0;
	r->flat = false;
}

void lathe_block_ramp_finish(LatheBlockRamp *r)
{
	lathe_block_ramp_init(r, r->to);
}

const float *lathe_block_ramp_block(LatheBlockRamp *r, int n)
{
	float *restrict buf = r->buf;
	float from = r->from, step = r->step, to = r->to;
	int pos = r->pos;
	if (pos >= LATHE_SUBBLOCK) {
		if (!r->flat)
			for (int i = 0; i < LATHE_SUBBLOCK; i++)
				buf[i] = to;
		r->flat = true;
		return buf;
	}
	for (int i = 0; i < LATHE_SUBBLOCK; i++) {
		/* j = samples since the set, capped; w = 1 exactly from j =
		 * LATHE_SUBBLOCK on (a power of two), selecting `to` without a
		 * float comparison (see lathe_dyn_pos). */
		int j = pos + i + 1 < LATHE_SUBBLOCK ? pos + i + 1 : LATHE_SUBBLOCK;
		float w = (float)(j / LATHE_SUBBLOCK);
		buf[i] = (from + (float)j * step) * (1.0f - w) + w * to;
	}
	r->pos = pos + n < LATHE_SUBBLOCK ? pos + n : LATHE_SUBBLOCK;
	return buf;
}

void lathe_fade_init(LatheFade *f, double rate, bool on)
{
	f->len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	f->on = on;
	f->pos = on ? f->len : 0;
	f->flat = false;
}

const float *lathe_fade_block(LatheFade *f, int n)
{
	float *restrict buf = f->buf;
	int pos = f->pos, len = f->len, dir = f->on ? 1 : -1;
	float inv = 1.0f / (float)len;
	if (lathe_fade_done(f)) {
		if (!f->flat) {
			float v = (float)pos * inv;
			for (int i = 0; i < LATHE_SUBBLOCK; i++)
				buf[i] = v;
		}
		f->flat = true;
		return buf;
	}
	for (int i = 0; i < LATHE_SUBBLOCK; i++) {
		int j = pos + dir * (i + 1);
		j = j > 0 ? j : 0;
		j = j < len ? j : len;
		buf[i] = (float)j * inv;
	}
	pos += dir * n;
	f->pos = pos < 0 ? 0 : pos > len ? len : pos;
	f->flat = false;
	return buf;
}

const float *lathe_fade_block_after(LatheFade *f, int *delay, float *scratch, int n)
{
	if (*delay <= 0)
		return lathe_fade_block(f, n);
	int d = *delay < n ? *delay : n;
	*delay -= d;
	float v = lathe_fade_value(f);
	for (int i = 0; i < d; i++)
		scratch[i] = v;
	const float *after = lathe_fade_block(f, n - d);
	for (int i = d; i < LATHE_SUBBLOCK; i++)
		scratch[i] = after[i - d];
	return scratch;
}
