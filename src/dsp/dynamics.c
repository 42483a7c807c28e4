/* lathe — dynamics core shared by comp, multiband and deesser (see dynamics.h). */
#include "dynamics.h"

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
		target[i] = lathe_dyn_curve(&c, lathe_dyn_power_db(power[i]), threshold[i], \
					    slope[i], soft, capped)

void lathe_dyn_targets(const LatheDynCurve *curve, const float *restrict power,
		       const float *restrict threshold, const float *restrict slope,
		       float *restrict target)
{
	LatheDynCurve c = *curve;
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

void lathe_dyn_gains(const float *restrict reduction, float *restrict gain)
{
	for (int i = 0; i < LATHE_SUBBLOCK; i++)
		gain[i] = lathe_dyn_reduction_gain(reduction[i]);
}

void lathe_stereo_flush(LatheStereoState *s)
{
	for (int k = 0; k < 2; k++) {
		LatheBiquadState b = { s->x1[k], s->x2[k], s->y1[k], s->y2[k] };
		lathe_biquad_flush(&b);
		s->x1[k] = b.x1;
		s->x2[k] = b.x2;
		s->y1[k] = b.y1;
		s->y2[k] = b.y2;
	}
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
