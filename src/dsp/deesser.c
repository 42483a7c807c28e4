/* lathe — split-band de-esser (see deesser.h; detector in dynamics.h).
 *
 *   b   = band(x)              the sibilant band, per channel
 *   out = x + (g - 1) b        only the band is turned down; g = 1 gives
 *                              exactly x, so with no reduction the module
 *                              is transparent bit for bit
 *   listen: out fades to b     the band as the detector hears it
 *
 * The band is two identical constant-peak band-pass sections at freq with
 * the given Q: 0 dB and zero phase at freq (so a tone there is turned down
 * by exactly the reduction), 12 dB/octave skirts. One section would leave a
 * vocal's fundamental two octaves below only 15 dB down in the detector
 * (Q 1.5) and let loud low notes trigger it; two put it 30 dB down.
 *
 * Detector: the louder channel's band peak (one reduction for both sides,
 * so sibilants stay centred). Curve: every dB of band level above the
 * threshold is taken off (ratio infinite) with a 6 dB soft knee, up to
 * `range` dB.
 */
#include "deesser.h"

#include <stdlib.h>

#include "biquad.h"
#include "dynamics.h"

/* 6 dB knee: the reduction eases in over the last 3 dB below threshold
 * instead of switching on at it. */
#define KNEE_DB 6.0f
/* Sibilants start within about a millisecond: 0.5 ms catches the onset.
 * 50 ms recovers between syllables, slow enough (100 periods of 2 kHz)
 * that the gain does not follow the band's waveform. */
#define ATTACK_MS 0.5
#define RELEASE_MS 50.0

#define SB LATHE_SUBBLOCK

typedef struct {
	double rate;
	float freq, q, range;
	LatheBiquad bp;
	LatheStereoState s[2];    /* the two sections */
	LatheDynCurve curve;
	LatheEnvCoeffs ec;
	LatheEnv env;
	LatheBlockRamp threshold;
	LatheBlockRamp slope;          /* ratio infinite: slope 1, never moves */
	LatheFade listen;
	float gr;
} Deesser;

static void update_band(Deesser *d)
{
	d->bp = lathe_biquad_bandpass(d->freq, d->q, d->rate);
}

static void deesser_set(void *self, int param, float v)
{
	Deesser *d = self;
	switch (param) {
	case LATHE_DEESSER_FREQ:
		d->freq = v;
		update_band(d);
		break;
	case LATHE_DEESSER_Q:
		d->q = v;
		update_band(d);
		break;
	case LATHE_DEESSER_THRESHOLD:
		lathe_block_ramp_set(&d->threshold, v);
		break;
	case LATHE_DEESSER_RANGE:
		d->range = v;
		d->curve = lathe_dyn_curve_make(KNEE_DB, v);
		break;
	case LATHE_DEESSER_LISTEN:
		lathe_fade_set(&d->listen, v >= 0.5f);
		break;
	default:
		break;
	}
}

static void deesser_reset(void *self)
{
	Deesser *d = self;
	d->s[0] = d->s[1] = (LatheStereoState){ 0 };
	d->env = (LatheEnv){ 0 };
	d->gr = 0.0f;
	lathe_block_ramp_finish(&d->threshold);
	lathe_fade_finish(&d->listen);
}

static void *deesser_create(double rate)
{
	Deesser *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->rate = rate;
	/* Registry defaults (src/params.c), so that the module works alone. */
	d->freq = 6500.0f;
	d->q = 1.5f;
	d->range = 6.0f;
	update_band(d);
	d->curve = lathe_dyn_curve_make(KNEE_DB, d->range);
	lathe_env_coeffs(&d->ec, ATTACK_MS, RELEASE_MS, false, rate);
	lathe_block_ramp_init(&d->threshold, -30.0f);
	lathe_block_ramp_init(&d->slope, 1.0f);
	lathe_fade_init(&d->listen, rate, false);
	return d;
}

static void deesser_destroy(void *self)
{
	free(self);
}

static void deesser_process(void *self, float *left, float *right, int n)
{
	Deesser *d = self;
	float xl[SB], xr[SB], bl[SB], br[SB], p[SB], t[SB], r[SB], g[SB], xi[SB][2];

	lathe_dyn_input(left, right, xl, xr, xi, n);
	LatheStereoState s0 = d->s[0], s1 = d->s[1];
	for (int i = 0; i < n; i++) {
		double x[2] = { xi[i][0], xi[i][1] };
		lathe_stereo_tick(&d->bp, &s0, x);
		lathe_stereo_tick(&d->bp, &s1, x);
		bl[i] = (float)x[0];
		br[i] = (float)x[1];
	}
	lathe_stereo_flush(&s0);
	lathe_stereo_flush(&s1);
	d->s[0] = s0;
	d->s[1] = s1;
	for (int i = n; i < SB; i++)
		bl[i] = br[i] = 0.0f;

	for (int i = 0; i < SB; i++)
		p[i] = lathe_dyn_max(bl[i] * bl[i], br[i] * br[i]);
	lathe_dyn_targets(&d->curve, p, lathe_block_ramp_block(&d->threshold, n),
			  lathe_block_ramp_block(&d->slope, n), t);
	lathe_dyn_envelope(&d->ec, &d->env, t, r, n);
	d->gr = r[n - 1];
	lathe_dyn_gains(r, g);

	/* out = x + (g - 1) b, then the fade to the band when listening. */
	bool listening = !lathe_fade_off(&d->listen);
	const float *lw = lathe_fade_block(&d->listen, n);
	for (int i = 0; i < SB; i++) {
		float g1 = g[i] - 1.0f;
		xl[i] += g1 * bl[i];
		xr[i] += g1 * br[i];
	}
	if (listening)
		for (int i = 0; i < SB; i++) {
			xl[i] += lw[i] * (bl[i] - xl[i]);
			xr[i] += lw[i] * (br[i] - xr[i]);
		}
	memcpy(left, xl, (size_t)n * sizeof *left);
	memcpy(right, xr, (size_t)n * sizeof *right);
}

static int deesser_latency(const void *self)
{
	(void)self;
	return 0;
}

static int deesser_gain_reduction(const void *self, float *gr)
{
	const Deesser *d = self;
	gr[0] = d->gr;
	return 1;
}

const LatheModuleClass lathe_deesser_class = {
	.name = "deesser",
	.n_params = LATHE_DEESSER_PARAM_COUNT,
	.create = deesser_create,
	.destroy = deesser_destroy,
	.set = deesser_set,
	.reset = deesser_reset,
	.process = deesser_process,
	.latency = deesser_latency,
	.gain_reduction = deesser_gain_reduction,
};
