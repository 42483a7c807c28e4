/* lathe — line-up oscillator (see oscillator.h).
 *
 * Pink noise is white noise (xorshift32, uniform on (-1, 1)) through a
 * cascade of first-order pole-zero sections, then a high-pass and a gain.
 *
 * - Sections an octave apart, each with its zero half an octave above its
 *   pole: each falls 6 dB/octave for half an octave and is flat for the
 *   other half, so the cascade falls 3 dB/octave with a ripple of
 *   hundredths of a dB. Poles at rate/32, rate/64, ... down to the last
 *   one above PINK_LOWEST_HZ, mapped with the matched z-transform
 *   (z = e^(-2 pi f / rate)), which is accurate far below Nyquist.
 * - Above rate/32 the matched z-transform no longer follows the analogue
 *   shape (alone it leaves the top octave 0.9 dB bright). Two pole-zero
 *   pairs fitted numerically (minimax error of the whole cascade from
 *   40 Hz to 0.45 x rate) take the sections' place there. They are fixed
 *   in the z-plane, as the lattice is fixed relative to the rate, so the
 *   top octaves are the same at every rate and only the low end (in Hz)
 *   gains a section per doubling of the rate. Designed deviation from
 *   -3 dB/octave (re 1 kHz): within 0.08 dB at every frequency from 40 Hz
 *   to 0.45 x rate, at 44.1 to 192 kHz.
 * - A second-order Butterworth high-pass at PINK_HIGHPASS_HZ: its double
 *   zero at DC removes the mean exactly and keeps the sub-sonic energy
 *   (below the lowest section the cascade is flat) from wandering the
 *   level. It costs 0.02 dB at 40 Hz and 0.26 dB at 20 Hz.
 * - The gain: the cascade's power gain is computed at init by integrating
 *   |H|^2 over frequency, so the output's RMS is the sine's
 *   (amplitude / sqrt(2)) at every rate without measuring.
 *
 * All of it runs in double: the lowest poles are within 2e-4 of 1.
 */
#include "oscillator.h"

#include <math.h>

#define SWEEP_LO_HZ 20.0
#define SWEEP_HI_HZ 20000.0
/* Tones stay below 0.45 x rate: above that a sampled sine is mostly
 * its own alias on a meter, and every rate from 44.1 kHz still reaches
 * 19.8 kHz. */
#define TOP_FRACTION 0.45

/* Lowest pole of the pink cascade: the high-pass removes what is below,
 * so more sections there would only lengthen the start-up. */
#define PINK_LOWEST_HZ 5.0
#define PINK_HIGHPASS_HZ 10.0
/* The fitted top of the pink cascade: (pole, zero) pairs in the z-plane. */
static const double pink_top[2][2] = {
	{ -0.005355, -0.199286 },
	{ 0.633497, 0.380879 },
};

/* Any non-zero start for xorshift32 ("lath"). */
#define SEED 0x6c617468u

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Highest tone: 20 kHz, or 0.45 x rate if lower. */
static double top_hz(double rate) { return fmin(SWEEP_HI_HZ, TOP_FRACTION * rate); }

/* ---------------------------------------------------------- pink design */

/* |H(f)|^2 of the whole pink filter (before its gain). |1 - a e^-jw|^2 is
 * written (1 - a)^2 + 2 a (1 - cos w), which keeps its precision for
 * poles and zeros near 1 at low frequencies. */
static double pink_power_at(const LatheOscillator *o, double f)
{
	double s = sin(M_PI * f / o->rate), one_minus_cos = 2.0 * s * s;
	double hp = lathe_biquad_magnitude(&o->pink_hp, f, o->rate);
	double g = hp * hp;
	for (int k = 0; k < o->pink_n; k++) {
		double p = o->pink_pole[k], z = o->pink_zero[k];
		g *= ((1.0 - z) * (1.0 - z) + 2.0 * z * one_minus_cos) /
		     ((1.0 - p) * (1.0 - p) + 2.0 * p * one_minus_cos);
	}
	return g;
}

static void pink_design(LatheOscillator *o)
{
	int n = 0;
	for (int k = 0; k < 2; k++, n++) {
		o->pink_pole[n] = pink_top[k][0];
		o->pink_zero[n] = pink_top[k][1];
	}
	for (double f = o->rate / 32.0; f >= PINK_LOWEST_HZ && n < LATHE_OSC_PINK_MAX; f *= 0.5, n++) {
		o->pink_pole[n] = exp(-2.0 * M_PI * f / o->rate);
		o->pink_zero[n] = exp(-2.0 * M_PI * f * M_SQRT2 / o->rate);
	}
	o->pink_n = n;
	o->pink_hp = lathe_biquad_highpass(PINK_HIGHPASS_HZ, M_SQRT1_2, o->rate);

	/* Power gain for white noise: sum h^2 = (2 / rate) * integral of
	 * |H(f)|^2 from 0 to rate / 2, taken as f |H|^2 over ln f by the
	 * midpoint rule (a smooth integrand: 1024 steps of 1/80 in ln f are
	 * exact to far better than 0.001 dB). Below 0.01 Hz the high-pass
	 * leaves nothing. */
	const int steps = 1024;
	double lo = log(0.01), du = (log(0.5 * o->rate) - lo) / steps, sum = 0.0;
	for (int i = 0; i < steps; i++) {
		double f = exp(lo + (i + 0.5) * du);
		sum += f * pink_power_at(o, f);
	}
	double gain2 = 2.0 / o->rate * sum * du;
	double white_power = 1.0 / 3.0; /* uniform on (-1, 1) */
	/* Unit peak means a sine's RMS: 1 / sqrt(2). */
	o->pink_norm = M_SQRT1_2 / sqrt(gain2 * white_power);
}

/* xorshift32 (Marsaglia): period 2^32 - 1, never 0. x 2^-31 - 1 maps
 * 1 .. 2^32 - 1 onto (-1, 1), symmetric about 0, so the mean over a
 * period is exactly 0. */
static double white(uint32_t *seed)
{
	uint32_t x = *seed;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return (double)x * (1.0 / 2147483648.0) - 1.0;
}

static double pink_next(LatheOscillator *o)
{
	/* s[k] is the last input of section k; s[k + 1] its last output
	 * (the next section's last input). */
	double x = white(&o->seed), *s = o->pink_s;
	for (int k = 0; k < o->pink_n; k++) {
		double y = x - o->pink_zero[k] * s[k] + o->pink_pole[k] * s[k + 1];
		s[k] = x;
		x = y;
	}
	s[o->pink_n] = x;
	return o->pink_norm * lathe_biquad_tick(&o->pink_hp, &o->pink_hp_state, x);
}

/* ------------------------------------------------------------- controls */

void lathe_oscillator_init(LatheOscillator *o, double rate)
{
	*o = (LatheOscillator){ .rate = rate };
	int fade = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	lathe_ramp_init(&o->fade, 0.0f, fade);
	lathe_ramp_init(&o->amp, 0.0f, fade);
	o->sweep_lo = SWEEP_LO_HZ / rate;
	o->sweep_octs = log(top_hz(rate) / SWEEP_LO_HZ);
	pink_design(o);
	/* The defaults, through set() so they are derived in one place. */
	o->frequency = 1000.0f;
	o->level_db = -18.0f;
	o->sweep_seconds = 10.0f;
	lathe_oscillator_set(o, LATHE_OSC_OFF, o->frequency, o->level_db, o->sweep_seconds);
	lathe_oscillator_reset(o);
}

void lathe_oscillator_set(LatheOscillator *o, LatheOscMode mode, float frequency, float level_db,
			  float sweep_seconds)
{
	if (mode >= LATHE_OSC_OFF && mode <= LATHE_OSC_SWEEP) {
		o->mode = mode;
		/* Back to what is playing: fade (back) in. Anything else: fade
		 * out first; process() switches when the fade reaches 0. */
		bool stay = mode == o->playing && mode != LATHE_OSC_OFF;
		lathe_ramp_set(&o->fade, stay ? 1.0f : 0.0f);
	}
	if (!isnan(frequency)) {
		o->frequency = clampf(frequency, (float)SWEEP_LO_HZ, (float)top_hz(o->rate));
		o->inc = (double)o->frequency / o->rate;
	}
	if (!isnan(level_db)) {
		o->level_db = clampf(level_db, -60.0f, 0.0f);
		lathe_ramp_set(&o->amp, (float)lathe_db_to_gain_d(o->level_db));
	}
	if (!isnan(sweep_seconds)) {
		o->sweep_seconds = clampf(sweep_seconds, 1.0f, 60.0f);
		int len = (int)lround(o->sweep_seconds * o->rate);
		/* Same place (so the same frequency) in the new length. */
		if (o->sweep_len > 0) {
			int n = (int)((double)o->sweep_n * len / o->sweep_len);
			o->sweep_n = n < len ? n : len - 1;
		}
		o->sweep_len = len;
	}
}

void lathe_oscillator_reset(LatheOscillator *o)
{
	o->playing = o->mode;
	lathe_ramp_init(&o->fade, o->mode != LATHE_OSC_OFF ? 1.0f : 0.0f, o->fade.len);
	lathe_ramp_init(&o->amp, o->amp.to, o->amp.len);
	o->phase = 0.0;
	o->sweep_n = 0;
	for (int k = 0; k <= LATHE_OSC_PINK_MAX; k++)
		o->pink_s[k] = 0.0;
	o->pink_hp_state = (LatheBiquadState){ 0 };
	o->seed = SEED;
}

/* -------------------------------------------------------------- process */

/* One sample of what is playing, at unit peak (tones) or at a unit
 * peak sine's RMS (noise). */
static double next(LatheOscillator *o)
{
	double v, inc;
	switch (o->playing) {
	case LATHE_OSC_SINE:
		inc = o->inc;
		break;
	case LATHE_OSC_SWEEP:
		/* f = 20 Hz * (top / 20 Hz)^(n / N): equal time per octave.
		 * An integer count, so a sweep is exactly N samples for ever. */
		inc = o->sweep_lo * exp(o->sweep_octs * o->sweep_n / o->sweep_len);
		if (++o->sweep_n >= o->sweep_len)
			o->sweep_n = 0; /* again from 20 Hz; the phase runs on */
		break;
	case LATHE_OSC_PINK:
		return pink_next(o);
	default:
		return 0.0;
	}
	v = sin(2.0 * M_PI * o->phase);
	/* Cycles in [0, 1): the increment is below 0.45, so one subtraction
	 * wraps, exactly, and the phase keeps full precision for ever. */
	o->phase += inc;
	if (o->phase >= 1.0)
		o->phase -= 1.0;
	return v;
}

void lathe_oscillator_process(LatheOscillator *o, float *l, float *r, int n)
{
	for (int i = 0; i < n; i++) {
		/* The old mode has faded out: start the new one, from phase 0
		 * (a sweep from 20 Hz), fading in. */
		if (o->playing != o->mode && o->fade.to == 0.0f && o->fade.pos >= o->fade.len) {
			o->playing = o->mode;
			o->phase = 0.0;
			o->sweep_n = 0;
			if (o->playing != LATHE_OSC_OFF)
				lathe_ramp_set(&o->fade, 1.0f);
		}
		double a = lathe_ramp_next(&o->amp);
		if (o->playing == LATHE_OSC_OFF) {
			l[i] = r[i] = 0.0f;
			continue;
		}
		double g = lathe_ramp_next(&o->fade);
		l[i] = r[i] = (float)(a * g * next(o));
	}
}
