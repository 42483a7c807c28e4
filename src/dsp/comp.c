/* lathe — bus compressor (see comp.h and, for the detector, dynamics.h).
 *
 * Per stereo frame:
 *
 *   in ─┬──────────────────────────────────────────────┬─ dry (1 - mix) ─┐
 *       │                                              │                 + ─ out
 *       └─ side-chain HPF ─ detector ─ curve ─ envelope ─ gain ─ x makeup ─┘ wet (mix)
 *
 * Feed-forward, zero latency: the dry and compressed paths are the same
 * samples, so parallel mix needs no delay and mix 0 % is exactly the input.
 *
 * Stereo: in L/R mode each side has its own detector and envelope, and link
 * k shares the reduction in dB after the envelopes:
 *     r_L' = r_L + k (max(r_L, r_R) - r_L), likewise r_R'
 * so 100 % gives both sides one gain (the image never moves) and 0 % two
 * independent compressors. In M/S mode the detectors see M = (L+R)/2 and
 * S = (L-R)/2, mid and side are compressed independently (no link), and
 * L = M' + S', R = M' - S'. Each mode has its own detector bank; a mode
 * change crossfades the two banks' outputs over LATHE_FADE_MS, the bank
 * fading in starting from the other's reduction.
 *
 * Detector: peak (power x^2) or RMS (power 2 * mean square over a 20 ms
 * time constant; the factor 2 is AES17's: a sine reads the same level in
 * both, so switching detector does not move the threshold by 3 dB on tonal
 * material). A detector change crossfades the two powers over
 * LATHE_FADE_MS; a change to RMS first runs the mean square for five of
 * its time constants (100 ms, warm-up) before the fade starts, so the RMS
 * level faded in is already the right one.
 *
 * With link at exactly 100 % (L/R mode, not gliding) the two channels share
 * one envelope on the louder channel's power: the same one gain as the max
 * of two envelopes, at half the cost. Entering and leaving that mode hands
 * the state over so that the gain never jumps.
 *
 * Glossary of process(): x* the sanitised input (dry), d* the side-chain
 * (high-passed) input, g* gains, w* wet signals.
 */
#include "comp.h"

#include <stdlib.h>

#include "biquad.h"
#include "dynamics.h"

/* RMS averaging: 20 ms is long enough that the power of a 40 Hz tone
 * ripples by less than +-10 % (1 / (2 pi 80 Hz 20 ms)), short enough to
 * follow a drum hit. Warm-up: five time constants, 0.7 % from settled. */
#define RMS_MS 20.0
#define RMS_WARM_MS (5.0 * RMS_MS)

#define SB LATHE_SUBBLOCK

enum { MODE_LR, MODE_MS };

typedef struct {
	LatheEnv env[2]; /* per detector channel: L, R or M, S */
	float ms[2];     /* mean square for the RMS detector */
	float gr[2];     /* reduction after link at the end of the last block, dB */
	bool single;     /* fully linked: env[0] serves both channels */
} Bank;

typedef struct {
	double rate;
	float attack, release, makeup, mix;
	bool auto_release;
	int stereo_mode, detector;

	LatheDynCurve curve;
	LatheEnvCoeffs ec;
	LatheBlockRamp threshold, slope, link, dry, wet;
	LatheBiquad hpf;
	LatheStereoState hpf_s;
	float rms_k;
	LatheFade ms_fade;  /* 0: L/R bank heard, 1: M/S bank */
	LatheFade rms_fade; /* 0: peak power, 1: RMS */
	int rms_warm;       /* samples of RMS warm-up left before its fade */
	Bank bank[2];       /* indexed by MODE_LR, MODE_MS */
} Comp;

static void update_mix(Comp *c)
{
	float m = c->mix * 0.01f;
	lathe_block_ramp_set(&c->dry, 1.0f - m);
	lathe_block_ramp_set(&c->wet, m * lathe_db_to_gain(c->makeup));
}

static void update_env(Comp *c)
{
	lathe_env_coeffs(&c->ec, c->attack, c->release, c->auto_release, c->rate);
}

static void comp_set(void *self, int param, float v)
{
	Comp *c = self;
	switch (param) {
	case LATHE_COMP_THRESHOLD:
		lathe_block_ramp_set(&c->threshold, v);
		break;
	case LATHE_COMP_RATIO:
		lathe_block_ramp_set(&c->slope, 1.0f - 1.0f / v);
		break;
	case LATHE_COMP_KNEE:
		c->curve = lathe_dyn_curve_make(v, LATHE_DYN_NO_CAP);
		break;
	case LATHE_COMP_ATTACK:
		c->attack = v;
		update_env(c);
		break;
	case LATHE_COMP_RELEASE:
		c->release = v;
		update_env(c);
		break;
	case LATHE_COMP_AUTO_RELEASE:
		if (c->auto_release != (v >= 0.5f)) {
			c->auto_release = v >= 0.5f;
			for (int b = 0; b < 2; b++)
				for (int ch = 0; ch < 2; ch++)
					lathe_env_set_auto(&c->bank[b].env[ch], c->auto_release);
			update_env(c);
		}
		break;
	case LATHE_COMP_MAKEUP:
		c->makeup = v;
		update_mix(c);
		break;
	case LATHE_COMP_MIX:
		c->mix = v;
		update_mix(c);
		break;
	case LATHE_COMP_SC_HPF:
		/* Second-order Butterworth: 12 dB/octave, enough to keep a bass
		 * line an octave below the corner 12 dB out of the detector. */
		c->hpf = lathe_biquad_highpass(v, M_SQRT1_2, c->rate);
		break;
	case LATHE_COMP_LINK:
		lathe_block_ramp_set(&c->link, v * 0.01f);
		break;
	case LATHE_COMP_STEREO_MODE: {
		int mode = v >= 0.5f ? MODE_MS : MODE_LR;
		if (mode == c->stereo_mode)
			break;
		/* The bank about to be heard is idle when the fade rests at the
		 * other end: start it from the other bank's state, both channels
		 * at the larger reduction (the louder channel sets the level). */
		LatheFade *f = &c->ms_fade;
		if ((mode == MODE_MS && f->pos == 0) || (mode == MODE_LR && f->pos == f->len)) {
			const Bank *from = &c->bank[1 - mode];
			Bank *to = &c->bank[mode];
			int k = from->env[1].out > from->env[0].out;
			for (int ch = 0; ch < 2; ch++) {
				to->env[ch] = from->env[k];
				to->ms[ch] = from->ms[k];
				to->gr[ch] = from->gr[k];
			}
		}
		c->stereo_mode = mode;
		lathe_fade_set(f, mode == MODE_MS);
		break;
	}
	case LATHE_COMP_DETECTOR:
		if (c->detector == (v >= 0.5f))
			break;
		c->detector = v >= 0.5f;
		c->rms_warm = 0;
		if (c->detector && lathe_fade_off(&c->rms_fade)) {
			/* The mean square has not run: start it and wait. */
			for (int b = 0; b < 2; b++)
				c->bank[b].ms[0] = c->bank[b].ms[1] = 0.0f;
			c->rms_warm = lathe_ms_to_samples(RMS_WARM_MS, c->rate);
		}
		lathe_fade_set(&c->rms_fade, c->detector);
		break;
	default:
		break;
	}
}

static void comp_reset(void *self)
{
	Comp *c = self;
	c->hpf_s = (LatheStereoState){ 0 };
	memset(c->bank, 0, sizeof c->bank);
	c->rms_warm = 0;
	lathe_fade_finish(&c->ms_fade);
	lathe_fade_finish(&c->rms_fade);
	lathe_block_ramp_finish(&c->threshold);
	lathe_block_ramp_finish(&c->slope);
	lathe_block_ramp_finish(&c->link);
	lathe_block_ramp_finish(&c->dry);
	lathe_block_ramp_finish(&c->wet);
}

static void *comp_create(double rate)
{
	Comp *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->rate = rate;
	c->rms_k = (float)-expm1(-1.0 / (RMS_MS * 0.001 * rate));
	/* Registry defaults (src/params.c), so that the module works alone;
	 * the chain sets every parameter after create anyway. */
	lathe_block_ramp_init(&c->threshold, -18.0f);
	lathe_block_ramp_init(&c->slope, 1.0f - 1.0f / 2.0f);
	lathe_block_ramp_init(&c->link, 1.0f);
	lathe_block_ramp_init(&c->dry, 0.0f);
	lathe_block_ramp_init(&c->wet, 1.0f);
	c->curve = lathe_dyn_curve_make(6.0f, LATHE_DYN_NO_CAP);
	c->attack = 10.0f;
	c->release = 150.0f;
	c->makeup = 0.0f;
	c->mix = 100.0f;
	update_env(c);
	c->hpf = lathe_biquad_highpass(20.0, M_SQRT1_2, rate);
	lathe_fade_init(&c->ms_fade, rate, false);
	lathe_fade_init(&c->rms_fade, rate, false);
	return c;
}

static void comp_destroy(void *self)
{
	free(self);
}

/* Hand the envelopes over when the bank enters or leaves fully linked
 * operation, so that the gain (the larger reduction) does not jump. */
static void set_single(Bank *b, bool single)
{
	if (single == b->single)
		return;
	if (single) {
		LatheEnv *e0 = &b->env[0];
		const LatheEnv *e1 = &b->env[1];
		e0->hold = fmax(e0->hold, e1->hold);
		e0->slow = fmax(e0->slow, e1->slow);
		e0->out = fmax(e0->out, e1->out);
	} else {
		b->env[1] = b->env[0];
	}
	b->single = single;
}

/* One detector bank over the block: reductions of both channels (after
 * link in L/R mode), then the wet (compressed, before makeup and mix)
 * signal into wl/wr. Arrays are LATHE_SUBBLOCK blocks (see dynamics.h). */
static void run_bank(Comp *c, int mode, const float *restrict xl, const float *restrict xr,
		     const float *restrict dl, const float *restrict dr, const float *restrict rms,
		     bool rms_on, const float *restrict thr, const float *restrict slope,
		     const float *restrict link, float *restrict wl, float *restrict wr, int n)
{
	Bank *b = &c->bank[mode];
	float q0[SB], q1[SB], p0[SB], p1[SB], r0[SB], r1[SB], g0[SB], g1[SB];

	/* Detector channels and their instantaneous power. */
	if (mode == MODE_MS)
		for (int i = 0; i < SB; i++) {
			float m = 0.5f * (dl[i] + dr[i]), s = 0.5f * (dl[i] - dr[i]);
			q0[i] = m * m;
			q1[i] = s * s;
		}
	else
		for (int i = 0; i < SB; i++) {
			q0[i] = dl[i] * dl[i];
			q1[i] = dr[i] * dr[i];
		}

	if (rms_on) {
		/* Mean square, ms = (1 - k) ms + k q with k q ahead of the
		 * recursion; then power q + w (2 ms - q), w the RMS fade. */
		float k = c->rms_k, k1 = 1.0f - k, ms0 = b->ms[0], ms1 = b->ms[1];
		for (int i = 0; i < SB; i++) {
			p0[i] = k * q0[i];
			p1[i] = k * q1[i];
		}
		for (int i = 0; i < n; i++) {
			ms0 = k1 * ms0 + p0[i];
			ms1 = k1 * ms1 + p1[i];
			p0[i] = ms0;
			p1[i] = ms1;
		}
		for (int i = n; i < SB; i++)
			p0[i] = p1[i] = 0.0f;
		/* Mean squares below -200 dB are silence (and would go denormal). */
		b->ms[0] = ms0 > LATHE_DYN_POWER_FLOOR ? ms0 : 0.0f;
		b->ms[1] = ms1 > LATHE_DYN_POWER_FLOOR ? ms1 : 0.0f;
		for (int i = 0; i < SB; i++) {
			q0[i] += rms[i] * (2.0f * p0[i] - q0[i]);
			q1[i] += rms[i] * (2.0f * p1[i] - q1[i]);
		}
	}

	bool single = mode == MODE_LR && !lathe_block_ramp_moving(&c->link) && c->link.to >= 1.0f;
	set_single(b, single);
	if (single) {
		for (int i = 0; i < SB; i++)
			q0[i] = lathe_dyn_max(q0[i], q1[i]);
		lathe_dyn_targets(&c->curve, q0, thr, slope, p0);
		lathe_dyn_envelope(&c->ec, &b->env[0], p0, r0, n);
		b->gr[0] = b->gr[1] = r0[n - 1];
		lathe_dyn_gains(r0, g0);
		for (int i = 0; i < SB; i++) {
			wl[i] = g0[i] * xl[i];
			wr[i] = g0[i] * xr[i];
		}
		return;
	}

	lathe_dyn_targets(&c->curve, q0, thr, slope, p0);
	lathe_dyn_targets(&c->curve, q1, thr, slope, p1);
	lathe_dyn_envelope2(&c->ec, &b->env[0], p0, r0, &c->ec, &b->env[1], p1, r1, n);
	if (mode == MODE_LR)
		for (int i = 0; i < SB; i++) {
			float m = lathe_dyn_max(r0[i], r1[i]);
			r0[i] += link[i] * (m - r0[i]);
			r1[i] += link[i] * (m - r1[i]);
		}
	b->gr[0] = r0[n - 1];
	b->gr[1] = r1[n - 1];
	lathe_dyn_gains(r0, g0);
	lathe_dyn_gains(r1, g1);

	if (mode == MODE_LR) {
		for (int i = 0; i < SB; i++) {
			wl[i] = g0[i] * xl[i];
			wr[i] = g1[i] * xr[i];
		}
	} else {
		for (int i = 0; i < SB; i++) {
			float m = 0.5f * (xl[i] + xr[i]), s = 0.5f * (xl[i] - xr[i]);
			wl[i] = g0[i] * m + g1[i] * s;
			wr[i] = g0[i] * m - g1[i] * s;
		}
	}
}

static void comp_process(void *self, float *left, float *right, int n)
{
	Comp *c = self;
	float xl[SB], xr[SB], dl[SB], dr[SB], wl[SB], wr[SB], xi[SB][2], scratch[SB];

	/* A stereo-mode fade ends at an exact sample, whatever the split into
	 * calls (after it one bank runs alone): process up to it first. */
	const LatheFade *mf = &c->ms_fade;
	int rest = lathe_fade_done(mf) ? n : mf->on ? mf->len - mf->pos : mf->pos;
	if (rest < n) {
		comp_process(self, left, right, rest);
		comp_process(self, left + rest, right + rest, n - rest);
		return;
	}

	/* Sanitise; the side chain through the high-pass, reading the
	 * channels as interleaved pairs (one load for the vector of two). */
	lathe_dyn_input(left, right, xl, xr, xi, n);
	LatheStereoState hs = c->hpf_s;
	for (int i = 0; i < n; i++) {
		double x[2] = { xi[i][0], xi[i][1] };
		lathe_stereo_tick(&c->hpf, &hs, x);
		dl[i] = (float)x[0];
		dr[i] = (float)x[1];
	}
	lathe_stereo_flush(&hs);
	c->hpf_s = hs;
	for (int i = n; i < SB; i++)
		dl[i] = dr[i] = 0.0f;

	const float *thr = lathe_block_ramp_block(&c->threshold, n);
	const float *slope = lathe_block_ramp_block(&c->slope, n);
	const float *link = lathe_block_ramp_block(&c->link, n);
	const float *dry = lathe_block_ramp_block(&c->dry, n);
	const float *wet = lathe_block_ramp_block(&c->wet, n);
	bool rms_on = !lathe_fade_off(&c->rms_fade);
	const float *rms = lathe_fade_block_after(&c->rms_fade, &c->rms_warm, scratch, n);

	/* A bank runs while it is heard at any sample of the block. */
	const LatheFade *f = &c->ms_fade;
	bool lr = !(f->on && f->pos == f->len), ms = !lathe_fade_off(f);
	const float *wms = lathe_fade_block(&c->ms_fade, n);

	if (lr && !ms) {
		run_bank(c, MODE_LR, xl, xr, dl, dr, rms, rms_on, thr, slope, link, wl, wr, n);
	} else if (ms && !lr) {
		run_bank(c, MODE_MS, xl, xr, dl, dr, rms, rms_on, thr, slope, link, wl, wr, n);
	} else {
		float ml[SB], mr[SB];
		run_bank(c, MODE_LR, xl, xr, dl, dr, rms, rms_on, thr, slope, link, wl, wr, n);
		run_bank(c, MODE_MS, xl, xr, dl, dr, rms, rms_on, thr, slope, link, ml, mr, n);
		for (int i = 0; i < SB; i++) {
			wl[i] += wms[i] * (ml[i] - wl[i]);
			wr[i] += wms[i] * (mr[i] - wr[i]);
		}
	}

	for (int i = 0; i < n; i++) {
		left[i] = dry[i] * xl[i] + wet[i] * wl[i];
		right[i] = dry[i] * xr[i] + wet[i] * wr[i];
	}
}

static int comp_latency(const void *self)
{
	(void)self;
	return 0;
}

static int comp_gain_reduction(const void *self, float *gr)
{
	const Comp *c = self;
	/* The bank that is mostly heard; the larger of its two channels. */
	const Bank *b = &c->bank[2 * c->ms_fade.pos >= c->ms_fade.len];
	gr[0] = lathe_dyn_max(b->gr[0], b->gr[1]);
	return 1;
}

const LatheModuleClass lathe_comp_class = {
	.name = "comp",
	.n_params = LATHE_COMP_PARAM_COUNT,
	.create = comp_create,
	.destroy = comp_destroy,
	.set = comp_set,
	.reset = comp_reset,
	.process = comp_process,
	.latency = comp_latency,
	.gain_reduction = comp_gain_reduction,
};
