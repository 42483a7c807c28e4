/* lathe — tests of the EQ module (src/dsp/eq.c).
 *
 * Measured responses (impulse responses through process(), transformed in
 * double) are compared with the analytic responses the module exports,
 * which are computed in double from the designed coefficients. The module
 * is driven the way the chain drives it: set() between process() calls of
 * at most LATHE_SUBBLOCK frames.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"
#include "dsp/eq.h"
#include "module_rig.h"

static const LatheModuleClass *const cls = &lathe_eq_class;

/* ------------------------------- helpers --------------------------------- */

static double db(double x) { return 20.0 * log10(x); }

/* Deterministic pseudo-random numbers (xorshift32). */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}
static float noise(void) { return (float)(rng() / 4294967296.0 - 0.5); }

/* Every parameter at the registry's default: bands off, bell, 1 kHz,
 * 0 dB, Q 0.707, 12 dB/oct, stereo; zero-latency mode. */
static void values_default(float *v)
{
	memset(v, 0, LATHE_EQ_PARAM_COUNT * sizeof(float));
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_FREQ)] = 1000.0f;
		v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_Q)] = 0.707f;
		v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_SLOPE)] = 1.0f;
	}
}

static void band(float *v, int b, int type, double freq, double gain, double q, int slope, int ch)
{
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_ENABLE)] = 1.0f;
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_TYPE)] = (float)type;
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_FREQ)] = (float)freq;
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_GAIN)] = (float)gain;
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_Q)] = (float)q;
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_SLOPE)] = (float)slope;
	v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_CHANNELS)] = (float)ch;
}

static void apply(void *e, const float *v)
{
	for (int i = 1; i < LATHE_EQ_PARAM_COUNT; i++)
		cls->set(e, i, v[i]);
}

/* A module at rest on the values (kernel designed, state cleared). */
static void *make(double rate, const float *v)
{
	void *e = cls->create(rate);
	assert_non_null(e);
	apply(e, v);
	cls->maintain(e, v);
	cls->reset(e);
	return e;
}

/* process() over n frames in pieces: split > 0 fixed pieces of that size,
 * split == 0 pseudo-random sizes from 1 to LATHE_SUBBLOCK. */
static void run(void *e, float *l, float *r, int n, int split)
{
	for (int i = 0; i < n;) {
		int m = split > 0 ? split : 1 + (int)(rng() % LATHE_SUBBLOCK);
		if (m > n - i)
			m = n - i;
		cls->process(e, l + i, r + i, m);
		i += m;
	}
}

/* |sum x[k] e^(-j w k)| in double. The rotation is recomputed exactly
 * every 256 frames so that its rounding cannot accumulate. */
static double dft_mag(const float *x, int n, double f, double rate)
{
	double w = 2.0 * M_PI * f / rate;
	double complex sum = 0.0, rot = cexp(-I * w), z = 1.0;
	for (int k = 0; k < n; k++) {
		if ((k & 255) == 0)
			z = cexp(-I * w * k);
		sum += x[k] * z;
		z *= rot;
	}
	return cabs(sum);
}

/* Impulse responses of both outputs to an impulse on input `in` (0 left,
 * 1 right, 2 both: the mid, 3 left and inverted right: the side). */
static void impulse(void *e, float *l, float *r, int n, int in)
{
	static const float il[] = { 1, 0, 1, 1 }, ir[] = { 0, 1, 1, -1 };
	memset(l, 0, (size_t)n * sizeof(float));
	memset(r, 0, (size_t)n * sizeof(float));
	l[0] = il[in];
	r[0] = ir[in];
	run(e, l, r, n, LATHE_SUBBLOCK);
}

/* Peak of a signal after a 4th-order Butterworth high pass at fc, from
 * frame `from` on: the broadband part of a click, without the (low)
 * test tone. */
static double hf_peak(const float *x, int n, double fc, double rate, int from)
{
	LatheBiquad c[2] = { lathe_biquad_highpass(fc, lathe_butterworth_q(4, 0), rate),
			     lathe_biquad_highpass(fc, lathe_butterworth_q(4, 1), rate) };
	LatheBiquadState s[2] = { { 0 } };
	double peak = 0.0;
	for (int i = 0; i < n; i++) {
		double y = lathe_biquad_tick(&c[1], &s[1], lathe_biquad_tick(&c[0], &s[0], x[i]));
		if (i >= from && fabs(y) > peak)
			peak = fabs(y);
	}
	return peak;
}

static void sine(float *x, int n, double f, double amp, double rate)
{
	for (int i = 0; i < n; i++)
		x[i] = (float)(amp * sin(2.0 * M_PI * f * i / rate));
}

/* Test configurations, one band per entry (type, freq, gain, Q, slope, channels). */
typedef struct {
	int type;
	double freq, gain, q;
	int slope, ch;
} Band;

static void config(float *v, const Band *bands, int n)
{
	values_default(v);
	for (int b = 0; b < n; b++)
		band(v, b, bands[b].type, bands[b].freq, bands[b].gain, bands[b].q, bands[b].slope,
		     bands[b].ch);
}

/* Every type, slope parity and channel path. */
static const Band config_a[] = {
	{ LATHE_EQ_HIGH_PASS, 30, 0, 0.707, 3, LATHE_EQ_STEREO },   /* 24 dB/oct */
	{ LATHE_EQ_LOW_SHELF, 100, 4, 0.707, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_BELL, 400, -5, 1.5, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_BELL, 2500, 3, 0.7, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_NOTCH, 6000, 0, 8, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_HIGH_SHELF, 9000, 2, 0.707, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_TILT, 1000, -3, 0.707, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_LOW_PASS, 18000, 0, 1, 1, LATHE_EQ_STEREO },      /* 12 dB/oct */
};
static const Band config_b[] = {
	{ LATHE_EQ_HIGH_PASS, 80, 0, 0.707, 0, LATHE_EQ_STEREO },    /* 6 dB/oct */
	{ LATHE_EQ_LOW_PASS, 12000, 0, 2, 2, LATHE_EQ_STEREO },      /* 18 dB/oct, resonant */
	{ LATHE_EQ_BELL, 16000, 12, 1, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_HIGH_SHELF, 15000, -6, 1.2, 1, LATHE_EQ_STEREO },
	{ LATHE_EQ_HIGH_PASS, 40, 0, 1, 5, LATHE_EQ_STEREO },        /* 48 dB/oct */
};
/* L/R and M/S bands together: the 2x2 path. */
static const Band config_ms[] = {
	{ LATHE_EQ_BELL, 200, 6, 1, 1, LATHE_EQ_LEFT },
	{ LATHE_EQ_BELL, 3000, -6, 0.8, 1, LATHE_EQ_MID },
	{ LATHE_EQ_HIGH_SHELF, 8000, 4, 0.707, 1, LATHE_EQ_SIDE },
	{ LATHE_EQ_LOW_SHELF, 60, -3, 0.707, 1, LATHE_EQ_RIGHT },
};
/* M/S bands only (linear phase keeps the mid and side magnitudes). */
static const Band config_ms_only[] = {
	{ LATHE_EQ_BELL, 300, 5, 1, 1, LATHE_EQ_MID },
	{ LATHE_EQ_HIGH_SHELF, 6000, -4, 0.707, 1, LATHE_EQ_MID },
	{ LATHE_EQ_LOW_SHELF, 150, -6, 0.707, 1, LATHE_EQ_SIDE },
	{ LATHE_EQ_BELL, 3000, 3, 2, 1, LATHE_EQ_STEREO },
};

#define N_FREQS 48

/* Log-spaced test frequencies from 20 Hz to 0.49 of the rate (just below
 * Nyquist, where the zero-latency design is still matched). */
static double test_freq(int k, double rate)
{
	return 20.0 * pow(0.49 * rate / 20.0, (double)k / (N_FREQS - 1));
}

/* ------------------------------ the tests -------------------------------- */

/* The analog prototypes are what eq.c documents. */
static void test_analog_definitions(void **state)
{
	(void)state;
	/* Analytic identities: only double rounding separates the two sides. */
	const double tol = 1e-9;
	double f0 = 1000.0;
	/* Bell: full gain at f0; a cut is the exact inverse of the boost. */
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_BELL, 0, f0, 7.5, 2, f0)) - 7.5) < tol);
	for (double f = 50; f < 20000; f *= 1.7)
		assert_true(fabs(lathe_eq_analog_magnitude(LATHE_EQ_BELL, 0, f0, 7.5, 2, f) *
				 lathe_eq_analog_magnitude(LATHE_EQ_BELL, 0, f0, -7.5, 2, f) - 1.0) < tol);
	/* Shelves: full gain at the far end, half the gain (dB) at f0. */
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_LOW_SHELF, 0, f0, 6, 0.707, 1e-3)) - 6) < 1e-6);
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_LOW_SHELF, 0, f0, 6, 0.707, f0)) - 3) < tol);
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_HIGH_SHELF, 0, f0, 6, 0.707, 1e9)) - 6) < 1e-6);
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_HIGH_SHELF, 0, f0, 6, 3, f0)) - 3) < tol);
	/* Passes: the gain at the corner is Q for every slope from 12 dB/oct
	 * (0.707 = -3 dB Butterworth); 6 dB/oct is first order, -3 dB. */
	for (int slope = 1; slope < 6; slope++)
		for (double q = 0.3; q < 10; q *= 2.5) {
			assert_true(fabs(lathe_eq_analog_magnitude(LATHE_EQ_HIGH_PASS, slope, f0, 0, q, f0) - q) < tol);
			assert_true(fabs(lathe_eq_analog_magnitude(LATHE_EQ_LOW_PASS, slope, f0, 0, q, f0) - q) < tol);
		}
	assert_true(fabs(lathe_eq_analog_magnitude(LATHE_EQ_LOW_PASS, 0, f0, 0, 5, f0) - M_SQRT1_2) < tol);
	/* Slope: an octave far into the stop band loses 6 dB per order. */
	int order[] = { 1, 2, 3, 4, 6, 8 };
	for (int slope = 0; slope < 6; slope++) {
		double a = lathe_eq_analog_magnitude(LATHE_EQ_LOW_PASS, slope, f0, 0, 0.707, 64 * f0);
		double b = lathe_eq_analog_magnitude(LATHE_EQ_LOW_PASS, slope, f0, 0, 0.707, 128 * f0);
		/* 64 f0 is far enough that the asymptote holds to 0.01 dB. */
		assert_true(fabs(db(a / b) - 6.0206 * order[slope]) < 0.01);
	}
	/* Notch: zero at f0, -3 dB at the edges of the f0/Q bandwidth. */
	double q = 4.0, half = 1.0 / (2.0 * q), edge = sqrt(1.0 + half * half);
	assert_true(lathe_eq_analog_magnitude(LATHE_EQ_NOTCH, 0, f0, 0, q, f0) < tol);
	assert_true(fabs(lathe_eq_analog_magnitude(LATHE_EQ_NOTCH, 0, f0, 0, q, f0 * (edge + half)) - M_SQRT1_2) < tol);
	assert_true(fabs(lathe_eq_analog_magnitude(LATHE_EQ_NOTCH, 0, f0, 0, q, f0 * (edge - half)) - M_SQRT1_2) < tol);
	/* Tilt: 0 dB at the pivot, -gain/2 at DC, +gain/2 at the top. */
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_TILT, 0, f0, 8, 0.707, f0))) < tol);
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_TILT, 0, f0, 8, 0.707, 1e-4)) + 4) < 1e-6);
	assert_true(fabs(db(lathe_eq_analog_magnitude(LATHE_EQ_TILT, 0, f0, 8, 0.707, 1e10)) - 4) < 1e-6);
}

/* (1) The zero-latency response measured through process() is the
 * analytic |H(e^jw)| of the designed coefficients. */
static void test_zero_latency_magnitude(void **state)
{
	(void)state;
	const double rates[] = { 44100, 48000, 96000 };
	struct {
		const Band *bands;
		int n;
	} configs[] = { { config_a, 8 }, { config_b, 5 }, { config_ms, 4 } };
	float v[LATHE_EQ_PARAM_COUNT];
	/* 2^17 frames: every impulse response here has decayed below float
	 * resolution by then (the slowest, the 30 Hz high pass, has a time
	 * constant of 14 ms: 1.4 s is 100 of them). */
	const int n = 1 << 17;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	double worst = 0.0;
	for (size_t ri = 0; ri < 3; ri++)
		for (size_t c = 0; c < 3; c++) {
			config(v, configs[c].bands, configs[c].n);
			void *e = make(rates[ri], v);
			for (int in = 0; in < 2; in++) {
				cls->reset(e);
				impulse(e, l, r, n, in);
				for (int out = 0; out < 2; out++)
					for (int k = 0; k < N_FREQS; k++) {
						double f = test_freq(k, rates[ri]);
						double want = lathe_eq_magnitude(v, rates[ri], out, in, f);
						double got = dft_mag(out == 0 ? l : r, n, f, rates[ri]);
						/* Below -60 dB the float output's rounding (-150 dB
						 * per sample) is no longer negligible against 0.05 dB;
						 * the cross paths are zero without M/S bands. */
						if (want < 1e-3)
							continue;
						double err = fabs(db(got / want));
						worst = fmax(worst, err);
						/* 0.05 dB: the required accuracy. The filters run in
						 * double, so the measured error is far smaller. */
						if (err > 0.05)
							fail_msg("rate %g config %zu in %d out %d f %g: want %g dB got %g dB",
								 rates[ri], c, in, out, f, db(want), db(got));
					}
			}
			cls->destroy(e);
		}
	print_message("zero latency vs analytic: worst %.2e dB\n", worst);
	free(l);
	free(r);
}

/* A second-order section by the plain bilinear transform (pre-warped at
 * f0) from the analog prototype, for comparison. Prototype coefficients as
 * in eq.c: (n2 s^2 + n1 s + n0) / (d2 s^2 + d1 s + d0), s normalised. */
static double bilinear_mag(double n0, double n1, double n2, double d0, double d1, double d2,
			   double f0, double f, double rate)
{
	double k = tan(M_PI * f0 / rate);
	double complex z1 = cexp(-I * 2.0 * M_PI * f / rate);
	/* s = (1 - z^-1) / (k (1 + z^-1)); multiply through by k^2 (1 + z^-1)^2. */
	double complex u = 1.0 - z1, p = 1.0 + z1;
	double complex num = n2 * u * u + n1 * k * u * p + n0 * k * k * p * p;
	double complex den = d2 * u * u + d1 * k * u * p + d0 * k * k * p * p;
	return cabs(num / den);
}

/* (2) Matched to the analog prototype near Nyquist, far better than the
 * bilinear transform. */
static void test_matched_near_nyquist(void **state)
{
	(void)state;
	const double rate = 44100;
	struct {
		int type;
		double f0, gain, q;
	} cases[] = {
		{ LATHE_EQ_BELL, 16000, 12, 1 },        /* the brief's example */
		{ LATHE_EQ_BELL, 16000, -12, 1 },
		{ LATHE_EQ_BELL, 10000, 6, 2 },
		{ LATHE_EQ_HIGH_SHELF, 16000, 6, 0.707 },
		{ LATHE_EQ_HIGH_SHELF, 10000, -9, 0.707 },
		{ LATHE_EQ_LOW_SHELF, 12000, 6, 0.707 },
	};
	float v[LATHE_EQ_PARAM_COUNT];
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		values_default(v);
		band(v, 0, cases[c].type, cases[c].f0, cases[c].gain, cases[c].q, 1, LATHE_EQ_STEREO);
		/* The analog prototype's coefficients (see eq.c) for the bilinear
		 * reference. */
		double A = pow(10.0, cases[c].gain / 40.0), sa = sqrt(A), q = cases[c].q;
		double n0, n1, n2, d0, d1, d2;
		if (cases[c].type == LATHE_EQ_BELL)
			n0 = 1, n1 = A / q, n2 = 1, d0 = 1, d1 = 1 / (A * q), d2 = 1;
		else if (cases[c].type == LATHE_EQ_LOW_SHELF)
			n0 = A * A, n1 = A * sa / q, n2 = A, d0 = 1, d1 = sa / q, d2 = A;
		else
			n0 = A, n1 = A * sa / q, n2 = A * A, d0 = A, d1 = sa / q, d2 = 1;

		double matched = 0.0, bilinear = 0.0;
		for (double f = 20; f <= 20000; f *= 1.01) {
			double a = lathe_eq_analog_magnitude(cases[c].type, 1, cases[c].f0, cases[c].gain, q, f);
			double d = lathe_eq_magnitude(v, rate, 0, 0, f);
			double b = bilinear_mag(n0, n1, n2, d0, d1, d2, cases[c].f0, f, rate);
			matched = fmax(matched, fabs(db(d / a)));
			bilinear = fmax(bilinear, fabs(db(b / a)));
		}
		/* Exact where the design matches: DC, f0 and Nyquist (only
		 * double rounding remains). */
		double nyq = 0.5 * rate;
		const double exact[] = { 1e-3, cases[c].f0, nyq };
		for (int k = 0; k < 3; k++) {
			double a = lathe_eq_analog_magnitude(cases[c].type, 1, cases[c].f0, cases[c].gain, q, exact[k]);
			assert_true(fabs(db(lathe_eq_magnitude(v, rate, 0, 0, exact[k]) / a)) < 1e-6);
		}
		/* Elsewhere a biquad cannot follow a prototype whose skirt extends
		 * past Nyquist exactly: with all five coefficients free, a
		 * five-point fit of the 16 kHz +12 dB bell still misses by 0.94 dB,
		 * |gain| / 13. The fixed (exactly mapped) poles of the matched
		 * design cost a little more; we allow |gain| / 8. */
		double tol = fabs(cases[c].gain) / 8.0;
		print_message("type %d f0 %g gain %+g: matched %.3f dB, bilinear %.3f dB (20 Hz-20 kHz)\n",
			      cases[c].type, cases[c].f0, cases[c].gain, matched, bilinear);
		assert_true(matched < tol);
		/* And far better than the bilinear transform: at least 4 times
		 * (measured: 4.7 to 7 times). */
		assert_true(bilinear > 4.0 * matched);
	}
	/* Low in the band the design is the analog one within 0.02 dB (the
	 * remaining error is at the top: 7 kHz for a 1 kHz +12 dB bell). */
	values_default(v);
	band(v, 0, LATHE_EQ_BELL, 1000, 12, 1, 1, LATHE_EQ_STEREO);
	for (double f = 20; f <= 20000; f *= 1.01)
		assert_true(fabs(db(lathe_eq_magnitude(v, 48000, 0, 0, f) /
				    lathe_eq_analog_magnitude(LATHE_EQ_BELL, 1, 1000, 12, 1, f))) < 0.02);
}

/* Linear-phase impulse responses of a configuration, impulse on input in. */
static int lp_impulse(const float *v, double rate, float **l, float **r, int in)
{
	float w[LATHE_EQ_PARAM_COUNT];
	memcpy(w, v, sizeof(w));
	w[LATHE_EQ_MODE] = 1.0f;
	void *e = make(rate, w);
	int lat = cls->latency(e);
	int n = lat + lathe_eq_fir_taps(rate) + LATHE_SUBBLOCK;
	*l = malloc(n * sizeof(float));
	*r = malloc(n * sizeof(float));
	impulse(e, *l, *r, n, in);
	cls->destroy(e);
	return n;
}

/* (3) Linear phase has the zero-latency magnitude. The FIR (0.34-0.37 s)
 * resolves features wider than about 20 Hz: for bands like these (passes
 * from 30 Hz, bells and shelves from 60 Hz at Q <= 2) the whole range
 * 20 Hz - 0.49 rate matches within 0.05 dB. */
static void test_linear_phase_magnitude(void **state)
{
	(void)state;
	const double rates[] = { 44100, 48000, 96000 };
	float v[LATHE_EQ_PARAM_COUNT], want_v[LATHE_EQ_PARAM_COUNT];
	double worst = 0.0;
	for (size_t ri = 0; ri < 3; ri++) {
		double rate = rates[ri];
		for (int c = 0; c < 3; c++) {
			float *l, *r;
			int n;
			if (c == 0) {
				/* L/R bands: left in, left out. */
				config(v, config_a, 8);
				memcpy(want_v, v, sizeof(v));
				n = lp_impulse(v, rate, &l, &r, 0);
			} else {
				/* M/S bands: a mid impulse (both inputs) comes out of
				 * the left as |H_mid|, which is the left-to-left response
				 * of the same EQ with the mid bands made stereo and the
				 * side bands removed; a side impulse likewise. */
				int keep = c == 1 ? LATHE_EQ_MID : LATHE_EQ_SIDE;
				config(v, config_ms_only, 4);
				memcpy(want_v, v, sizeof(v));
				for (int b = 0; b < LATHE_EQ_BANDS; b++) {
					float *ch = &want_v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_CHANNELS)];
					if (*ch != LATHE_EQ_STEREO && *ch != keep)
						want_v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_ENABLE)] = 0.0f;
					*ch = LATHE_EQ_STEREO;
				}
				n = lp_impulse(v, rate, &l, &r, c == 1 ? 2 : 3);
			}
			for (int k = 0; k < N_FREQS; k++) {
				double f = test_freq(k, rate);
				double want = lathe_eq_magnitude(want_v, rate, 0, 0, f);
				if (want < 1e-3)
					continue; /* below -60 dB: float rounding, see test 1 */
				double err = fabs(db(dft_mag(l, n, f, rate) / want));
				worst = fmax(worst, err);
				if (err > 0.05)
					fail_msg("rate %g config %d f %g: zero latency %g dB, linear phase %g dB",
						 rate, c, f, db(want), db(dft_mag(l, n, f, rate)));
			}
			free(l);
			free(r);
		}
	}
	print_message("linear phase vs zero latency: worst %.2e dB\n", worst);

	/* Narrower features are resolved only above a limit: a 60 Hz notch of
	 * Q 4 (15 Hz wide) is smeared below 80 Hz, and matches above. */
	values_default(v);
	band(v, 0, LATHE_EQ_NOTCH, 60, 0, 4, 1, LATHE_EQ_STEREO);
	float *l, *r;
	int n = lp_impulse(v, 48000, &l, &r, 0);
	for (double f = 80; f < 20000; f *= 1.1)
		assert_true(fabs(db(dft_mag(l, n, f, 48000) / lathe_eq_magnitude(v, 48000, 0, 0, f))) < 0.05);
	free(l);
	free(r);
}

/* (4) Linear phase: the impulse response is symmetric about latency(),
 * i.e. the group delay is latency() at every frequency. */
static void test_linear_phase_symmetric(void **state)
{
	(void)state;
	const double rates[] = { 44100, 48000, 96000, 192000 };
	/* FFT block + half the FIR: 1024 + 8191, 2048 + 16383, 4096 + 32767. */
	const int latency[] = { 9215, 9215, 18431, 36863 };
	float v[LATHE_EQ_PARAM_COUNT];
	config(v, config_a, 8);
	for (int ri = 0; ri < 4; ri++) {
		float *l, *r;
		int n = lp_impulse(v, rates[ri], &l, &r, 0);
		int lat = n - lathe_eq_fir_taps(rates[ri]) - LATHE_SUBBLOCK;
		assert_int_equal(lat, latency[ri]);
		int half = (lathe_eq_fir_taps(rates[ri]) - 1) / 2;
		double peak = 0.0, asym = 0.0, outside = 0.0;
		for (int k = 0; k <= half; k++) {
			peak = fmax(peak, fabs(l[lat + k]));
			asym = fmax(asym, fabs(l[lat + k] - l[lat - k]));
		}
		for (int i = 0; i < lat - half; i++)
			outside = fmax(outside, fabs(l[i]));
		for (int i = lat + half + 1; i < n; i++)
			outside = fmax(outside, fabs(l[i]));
		/* The largest tap is the centre one for this EQ. */
		assert_true(fabs(l[lat]) == peak);
		/* Float FFT convolution: each output is a sum of 16 inverse FFTs of
		 * 2048-8192 points, with rounding near 2^-24 log2(N) of the peak,
		 * about 1e-6; 4e-6 leaves a margin of 4. */
		print_message("rate %g: asymmetry %.2e, outside %.2e of the peak %.3f\n", rates[ri],
			      asym / peak, outside / peak, peak);
		assert_true(asym < 4e-6 * peak);
		assert_true(outside < 4e-6 * peak);
		free(l);
		free(r);
	}
}

/* (5) Neutral settings: bit-transparent in zero latency, a pure delay of
 * latency() in linear phase. */
static void test_neutral(void **state)
{
	(void)state;
	const int n = 8192;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	float *l0 = malloc(n * sizeof(float)), *r0 = malloc(n * sizeof(float));
	for (int i = 0; i < n; i++) {
		l0[i] = noise();
		r0[i] = noise();
	}
	float v[LATHE_EQ_PARAM_COUNT];

	/* All bands off; then every gain type on at 0 dB, on every channel. */
	for (int c = 0; c < 2; c++) {
		values_default(v);
		if (c == 1) {
			const int types[] = { LATHE_EQ_BELL, LATHE_EQ_LOW_SHELF, LATHE_EQ_HIGH_SHELF, LATHE_EQ_TILT };
			for (int b = 0; b < LATHE_EQ_BANDS; b++)
				band(v, b, types[b % 4], 50 + 2000 * b, 0, 0.5 + b, 1, b % 5);
		}
		void *e = make(48000, v);
		memcpy(l, l0, n * sizeof(float));
		memcpy(r, r0, n * sizeof(float));
		run(e, l, r, n, 0);
		assert_memory_equal(l, l0, n * sizeof(float));
		assert_memory_equal(r, r0, n * sizeof(float));
		cls->destroy(e);
	}

	/* A band glided away from 0 dB and back is transparent again once the
	 * glide has landed (its coefficients ramp to the identity, then it is
	 * skipped). */
	values_default(v);
	band(v, 0, LATHE_EQ_BELL, 1000, 0, 1, 1, LATHE_EQ_MID);
	void *e = make(48000, v);
	memcpy(l, l0, n * sizeof(float));
	memcpy(r, r0, n * sizeof(float));
	for (int i = 0, step = 0; i < n; i += LATHE_SUBBLOCK, step++) {
		/* 0 -> 6 dB -> 0 over 40 sub-blocks, then at rest. */
		float g = step < 20 ? 0.3f * step : step < 40 ? 0.3f * (40 - step) : 0.0f;
		cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_GAIN), g);
		cls->process(e, l + i, r + i, LATHE_SUBBLOCK);
	}
	int from = 41 * LATHE_SUBBLOCK;
	assert_true(memcmp(l, l0, from * sizeof(float)) != 0); /* it did act */
	assert_memory_equal(l + from, l0 + from, (n - from) * sizeof(float));
	assert_memory_equal(r + from, r0 + from, (n - from) * sizeof(float));
	cls->destroy(e);

	/* Linear phase, all bands off: the input delayed by latency(). */
	values_default(v);
	v[LATHE_EQ_MODE] = 1.0f;
	e = make(48000, v);
	int lat = cls->latency(e);
	int m = lat + n;
	float *a = calloc(m, sizeof(float)), *b = calloc(m, sizeof(float));
	memcpy(a, l0, n * sizeof(float));
	memcpy(b, r0, n * sizeof(float));
	run(e, a, b, m, 0);
	double err = 0.0;
	for (int i = 0; i < lat; i++)
		err = fmax(err, fmax(fabs(a[i]), fabs(b[i])));
	for (int i = 0; i < n; i++)
		err = fmax(err, fmax(fabs(a[lat + i] - l0[i]), fabs(b[lat + i] - r0[i])));
	/* Float FFT convolution of a signal within +-0.5: rounding of a few
	 * 2^-24 log2(2048) relative, about 1e-6; 4e-6 allows a margin of 4. */
	print_message("linear phase neutral: delay %d, max error %.2e\n", lat, err);
	assert_true(err < 4e-6);
	cls->destroy(e);
	free(a);
	free(b);
	free(l);
	free(r);
	free(l0);
	free(r0);
}

/* Run a scenario with one split pattern: process in pieces, with the
 * changes (set() calls) at fixed frames, as the chain would. */
typedef struct {
	int at;     /* frame (a multiple of LATHE_SUBBLOCK) */
	int param;
	float value;
} Change;

static void scenario(const float *v, double rate, const Change *ch, int n_ch, float *l, float *r,
		     int n, int split)
{
	void *e = make(rate, v);
	int pos = 0;
	for (int k = 0; k <= n_ch; k++) {
		int end = k < n_ch ? ch[k].at : n;
		run(e, l + pos, r + pos, end - pos, split);
		pos = end;
		if (k < n_ch) {
			cls->set(e, ch[k].param, ch[k].value);
			if (ch[k].param == LATHE_EQ_MODE || k == n_ch - 1) {
				float w[LATHE_EQ_PARAM_COUNT];
				memcpy(w, v, sizeof(w));
				for (int j = 0; j <= k; j++)
					w[ch[j].param] = ch[j].value;
				cls->maintain(e, w);
			}
		}
	}
	cls->destroy(e);
}

/* (6) Any split of the signal into process() calls gives identical output,
 * through glides, crossfades, a mode switch and a kernel swap. */
static void test_block_split_invariance(void **state)
{
	(void)state;
	const int n = 48000;
	float *in_l = malloc(n * sizeof(float)), *in_r = malloc(n * sizeof(float));
	for (int i = 0; i < n; i++) {
		in_l[i] = noise();
		in_r[i] = noise();
	}
	float v[LATHE_EQ_PARAM_COUNT];
	config(v, config_ms, 4);
	band(v, 4, LATHE_EQ_HIGH_PASS, 50, 0, 0.707, 4, LATHE_EQ_STEREO);
	const Change changes[] = {
		{ 1024, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_GAIN), 3.0f },      /* ramp */
		{ 1056, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_GAIN), 0.0f },      /* to idle */
		{ 2048, LATHE_EQ_BAND_PARAM(1, LATHE_EQ_BAND_TYPE), LATHE_EQ_NOTCH }, /* crossfade */
		{ 2080, LATHE_EQ_BAND_PARAM(2, LATHE_EQ_BAND_CHANNELS), LATHE_EQ_LEFT }, /* domain change */
		{ 2112, LATHE_EQ_BAND_PARAM(5, LATHE_EQ_BAND_ENABLE), 1.0f },
		{ 4096, LATHE_EQ_MODE, 1.0f },                                   /* to linear phase */
		{ 30016, LATHE_EQ_BAND_PARAM(3, LATHE_EQ_BAND_GAIN), -6.0f },    /* new kernel */
	};
	const int n_ch = sizeof(changes) / sizeof(changes[0]);
	float *ref_l = malloc(n * sizeof(float)), *ref_r = malloc(n * sizeof(float));
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	memcpy(ref_l, in_l, n * sizeof(float));
	memcpy(ref_r, in_r, n * sizeof(float));
	scenario(v, 48000, changes, n_ch, ref_l, ref_r, n, LATHE_SUBBLOCK);
	const int splits[] = { 1, 7, 0, 0 };
	for (int s = 0; s < 4; s++) {
		memcpy(l, in_l, n * sizeof(float));
		memcpy(r, in_r, n * sizeof(float));
		scenario(v, 48000, changes, n_ch, l, r, n, splits[s]);
		assert_memory_equal(l, ref_l, n * sizeof(float));
		assert_memory_equal(r, ref_r, n * sizeof(float));
	}
	free(in_l);
	free(in_r);
	free(ref_l);
	free(ref_r);
	free(l);
	free(r);
}

/* (7) Non-finite input never reaches the output, and the module carries
 * on exactly as if those samples had been silence. */
static void test_non_finite_recovery(void **state)
{
	(void)state;
	const int n = 40000;
	float v[LATHE_EQ_PARAM_COUNT];
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	float *zl = malloc(n * sizeof(float)), *zr = malloc(n * sizeof(float));
	for (int mode = 0; mode < 2; mode++) {
		config(v, config_ms, 4);
		band(v, 4, LATHE_EQ_BELL, 100, 18, 4, 1, LATHE_EQ_STEREO);
		v[LATHE_EQ_MODE] = (float)mode;
		for (int i = 0; i < n; i++) {
			l[i] = zl[i] = noise();
			r[i] = zr[i] = noise();
		}
		for (int i = 1000; i < 1100; i++) {
			l[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
			r[i + 50] = NAN;
			zl[i] = 0.0f;
			zr[i + 50] = 0.0f;
		}
		void *a = make(48000, v), *b = make(48000, v);
		run(a, l, r, n, 0);
		run(b, zl, zr, n, 0);
		rig_assert_as_silence(l, r, zl, zr, n);
		/* The output is not silence: the module kept working. */
		assert_true(fabs(l[n - 1]) + fabs(l[n - 2]) > 0.0f);
		cls->destroy(a);
		cls->destroy(b);
	}
	free(l);
	free(r);
	free(zl);
	free(zr);
}

/* Run a tone through the module with per-sub-block set() calls from
 * step(e, sub-block index); return the peak of its high-passed output
 * relative to the tone's amplitude (0.5), after `settle` frames. The
 * right channel is at half the level, so that the side is not silent. */
typedef void (*Step)(void *e, int sub);

static double click_level(const float *v, double rate, double tone, Step step, int n, int settle,
			  float *keep)
{
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	sine(l, n, tone, 0.5, rate);
	sine(r, n, tone, 0.25, rate);
	void *e = make(rate, v);
	for (int i = 0, sub = 0; i < n; i += LATHE_SUBBLOCK, sub++) {
		step(e, sub);
		cls->process(e, l + i, r + i, LATHE_SUBBLOCK);
	}
	/* 5 kHz: 5 octaves above the tone, where the tone's own content after
	 * the 24 dB/oct filter is below -120 dB. */
	double peak = fmax(hf_peak(l, n, 5000, rate, settle), hf_peak(r, n, 5000, rate, settle));
	if (keep)
		memcpy(keep, l, n * sizeof(float));
	cls->destroy(e);
	free(l);
	free(r);
	return peak / 0.5;
}

/* The chain's glides: 30 ms for gains (45 sub-blocks at 48 kHz), 50 ms for
 * frequencies (75), linear in dB and in log frequency. Changes start at
 * sub-block 200 (133 ms), after the test filter has settled. */
static void glide_gain(void *e, int sub)
{
	int k = sub - 200;
	if (k >= 0 && k <= 45)
		cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_GAIN), (float)(-18.0 + 36.0 * k / 45));
}
static void glide_freq(void *e, int sub)
{
	int k = sub - 200;
	if (k >= 0 && k <= 75)
		cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_FREQ), (float)(60.0 * pow(200.0, k / 75.0)));
}
static void change_type(void *e, int sub)
{
	if (sub == 200)
		cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_TYPE), LATHE_EQ_HIGH_PASS);
}
static void change_channels(void *e, int sub)
{
	if (sub == 200)
		cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_CHANNELS), LATHE_EQ_SIDE);
}
static void change_enable(void *e, int sub)
{
	if (sub == 200)
		cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_ENABLE), 0.0f);
}
static void no_change(void *e, int sub)
{
	(void)e;
	(void)sub;
}

/* The click threshold, -85 dB relative to the tone. For scale, with a 150
 * Hz tone whose level changes by up to 36 dB in 10 ms: a hard switch
 * measures -26 dB; an ideal linear crossfade -72 dB (the corners of its
 * envelope); an ideal raised-cosine crossfade -100 dB, which is the floor
 * of this measure. 15 dB above that floor leaves room for the start-up of
 * a filter faded in. */
#define CLICK_LIMIT 5.6e-5

/* (8) Nothing clicks: full-range glides, type, channel and enable changes. */
static void test_no_clicks(void **state)
{
	(void)state;
	const double rate = 48000, tone = 150;
	const int n = 400 * LATHE_SUBBLOCK, settle = 150 * LATHE_SUBBLOCK;
	float v[LATHE_EQ_PARAM_COUNT];
	struct {
		const char *what;
		Step step;
		double gain;
	} cases[] = {
		{ "gain -18 -> +18 dB", glide_gain, -18 },
		{ "freq 60 Hz -> 12 kHz", glide_freq, 12 },
		{ "bell -> high pass", change_type, 12 },
		{ "stereo -> side", change_channels, 12 },
		{ "band off", change_enable, 12 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		values_default(v);
		/* A bell at the tone, Q 2: every change moves the tone's level
		 * by up to 36 dB. */
		band(v, 0, LATHE_EQ_BELL, tone, cases[c].gain, 2, 3, LATHE_EQ_STEREO);
		if (cases[c].step == glide_freq)
			v[LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_FREQ)] = 60.0f;
		double level = click_level(v, rate, tone, cases[c].step, n, settle, NULL);
		print_message("%s: high-passed peak %.1f dB\n", cases[c].what, db(level));
		assert_true(level < CLICK_LIMIT);
	}

	/* The measure does catch a click: the same type change done as a hard
	 * switch (splicing the steady outputs of the two settings). */
	float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
	values_default(v);
	band(v, 0, LATHE_EQ_BELL, tone, 12, 2, 3, LATHE_EQ_STEREO);
	click_level(v, rate, tone, no_change, n, settle, a);
	v[LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_TYPE)] = LATHE_EQ_HIGH_PASS;
	click_level(v, rate, tone, no_change, n, settle, b);
	memcpy(a + 200 * LATHE_SUBBLOCK, b + 200 * LATHE_SUBBLOCK, (n - 200 * LATHE_SUBBLOCK) * sizeof(float));
	double hard = hf_peak(a, n, 5000, rate, settle) / 0.5;
	print_message("hard switch: high-passed peak %.1f dB\n", db(hard));
	assert_true(hard > 100.0 * CLICK_LIMIT);
	free(a);
	free(b);
}

static void mode_to_lp(void *e, int sub)
{
	if (sub == 100)
		cls->set(e, LATHE_EQ_MODE, 1.0f);
}
static void mode_to_zl(void *e, int sub)
{
	if (sub == 600)
		cls->set(e, LATHE_EQ_MODE, 0.0f);
}

/* Mode switches and kernel swaps are crossfades; latency() follows. */
static void test_mode_switch(void **state)
{
	(void)state;
	const double rate = 48000, tone = 150;
	float v[LATHE_EQ_PARAM_COUNT];
	config(v, config_a, 8);
	void *e = make(rate, v);
	const int lp_lat = 9215, warm = 17 * 1024, fade = 480; /* (P + 1) B, 10 ms */
	float l[LATHE_SUBBLOCK], r[LATHE_SUBBLOCK];
	int lat_before = cls->latency(e);
	assert_int_equal(lat_before, 0);
	cls->set(e, LATHE_EQ_MODE, 1.0f);
	v[LATHE_EQ_MODE] = 1.0f;
	cls->maintain(e, v);
	int frames = 0, switched_at = -1;
	while (frames < warm + fade + 64) {
		memset(l, 0, sizeof(l));
		memset(r, 0, sizeof(r));
		cls->process(e, l, r, LATHE_SUBBLOCK);
		frames += LATHE_SUBBLOCK;
		if (switched_at < 0 && cls->latency(e) == lp_lat)
			switched_at = frames;
	}
	/* Zero latency until the FIR history is full, then linear phase. */
	assert_true(switched_at >= warm && switched_at <= warm + LATHE_SUBBLOCK);
	assert_int_equal(cls->latency(e), lp_lat);
	cls->set(e, LATHE_EQ_MODE, 0.0f);
	for (int i = 0; i < 100; i++)
		cls->process(e, l, r, LATHE_SUBBLOCK);
	assert_int_equal(cls->latency(e), 0);
	cls->destroy(e);

	/* No click through the ZL -> LP crossfade: a tone crossfades with a
	 * delayed copy of itself. */
	const int n = 100 * LATHE_SUBBLOCK + warm + 4096;
	v[LATHE_EQ_MODE] = 0.0f;
	double level = click_level(v, rate, tone, mode_to_lp, n, 50 * LATHE_SUBBLOCK, NULL);
	print_message("mode switch to linear phase: high-passed peak %.1f dB\n", db(level));
	assert_true(level < CLICK_LIMIT);
	/* Nor back (after the 50 ms warm-up of the zero-latency filters). The
	 * linear-phase output starts at 9215 frames with the tone's onset, so
	 * the measure starts at 16000. */
	v[LATHE_EQ_MODE] = 1.0f;
	level = click_level(v, rate, tone, mode_to_zl, 700 * LATHE_SUBBLOCK, 16000, NULL);
	print_message("mode switch to zero latency: high-passed peak %.1f dB\n", db(level));
	assert_true(level < CLICK_LIMIT);

	/* A new kernel is crossfaded in (gain of the bell at the tone jumps
	 * by 12 dB in the kernel: the tone's level changes over 10 ms). */
	values_default(v);
	band(v, 0, LATHE_EQ_BELL, tone, -6, 2, 1, LATHE_EQ_STEREO);
	v[LATHE_EQ_MODE] = 1.0f;
	e = make(rate, v);
	const int m = 64 * 1024;
	float *a = malloc(m * sizeof(float)), *b = malloc(m * sizeof(float));
	sine(a, m, tone, 0.5, rate);
	sine(b, m, tone, 0.5, rate);
	run(e, a, b, m / 2, LATHE_SUBBLOCK);
	v[LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_GAIN)] = 6.0f;
	cls->set(e, LATHE_EQ_BAND_PARAM(0, LATHE_EQ_BAND_GAIN), 6.0f);
	cls->maintain(e, v);
	run(e, a + m / 2, b + m / 2, m / 2, LATHE_SUBBLOCK);
	level = hf_peak(a, m, 5000, rate, 20000) / 0.5;
	print_message("kernel swap: high-passed peak %.1f dB\n", db(level));
	assert_true(level < CLICK_LIMIT);
	/* And the new kernel is in use: the tone is now 12 dB louder (at the
	 * end, after the crossfade and the FIR's latency). */
	double amp = 0.0;
	for (int i = m - 4096; i < m; i++)
		amp = fmax(amp, fabs(a[i]));
	assert_true(fabs(db(amp / 0.5) - 6.0) < 0.05); /* the bell's peak gain; 0.05 dB as in test 3 */
	cls->destroy(e);
	free(a);
	free(b);
}

/* maintain() on another thread while process() runs: the hand-over is
 * lock-free and the last design wins. */
typedef struct {
	void *e;
	float v[2][LATHE_EQ_PARAM_COUNT];
	atomic_bool stop;
	int designs;
} Maintainer;

static void *maintainer(void *arg)
{
	Maintainer *m = arg;
	for (int k = 0; !atomic_load(&m->stop); k++) {
		cls->maintain(m->e, m->v[k & 1]);
		m->designs++;
	}
	return NULL;
}

static void test_maintain_thread(void **state)
{
	(void)state;
	const double rate = 48000;
	Maintainer m = { 0 };
	config(m.v[0], config_a, 8);
	config(m.v[1], config_b, 5);
	m.v[0][LATHE_EQ_MODE] = m.v[1][LATHE_EQ_MODE] = 1.0f;
	m.e = make(rate, m.v[0]);
	atomic_init(&m.stop, false);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, maintainer, &m), 0);
	float l[LATHE_SUBBLOCK], r[LATHE_SUBBLOCK];
	for (int i = 0; i < 20000; i++) {
		for (int k = 0; k < LATHE_SUBBLOCK; k++) {
			l[k] = noise();
			r[k] = noise();
		}
		cls->process(m.e, l, r, LATHE_SUBBLOCK);
		for (int k = 0; k < LATHE_SUBBLOCK; k++)
			assert_true(isfinite(l[k]) && isfinite(r[k]));
	}
	atomic_store(&m.stop, true);
	pthread_join(t, NULL);
	print_message("%d kernels designed while processing\n", m.designs);
	assert_true(m.designs > 2);

	/* Settle on config_b (the last design wins): silence until the kernel
	 * is taken (next block) and the noise has left the FIR, then the
	 * impulse response is config_b's. */
	cls->maintain(m.e, m.v[1]);
	int n = cls->latency(m.e) + lathe_eq_fir_taps(rate) + 2048;
	float *a = calloc(n, sizeof(float)), *b = calloc(n, sizeof(float));
	run(m.e, a, b, n, LATHE_SUBBLOCK);
	impulse(m.e, a, b, n, 0);
	for (double f = 100; f < 20000; f *= 1.5) {
		double want = lathe_eq_magnitude(m.v[1], rate, 0, 0, f);
		assert_true(fabs(db(dft_mag(a, n, f, rate) / want)) < 0.05); /* as in test 3 */
	}
	free(a);
	free(b);
	cls->destroy(m.e);
}

/* Every design in the registry's range is stable: extreme corners run for
 * a second and stay bounded and finite. */
static void test_extremes_stable(void **state)
{
	(void)state;
	const double rates[] = { 44100, 192000 };
	const double freqs[] = { 10, 1000, 22000 };
	const double qs[] = { 0.1, 18 };
	const double gains[] = { -18, 18 };
	float v[LATHE_EQ_PARAM_COUNT];
	const int n = 44100;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	for (int ri = 0; ri < 2; ri++)
		for (int type = 0; type < LATHE_EQ_TYPE_COUNT; type++)
			for (int fi = 0; fi < 3; fi++)
				for (int qi = 0; qi < 2; qi++)
					for (int gi = 0; gi < 2; gi++) {
						values_default(v);
						band(v, 0, type, freqs[fi], gains[gi], qs[qi], 5, LATHE_EQ_STEREO);
						void *e = make(rates[ri], v);
						for (int i = 0; i < n; i++)
							l[i] = r[i] = i < 4410 ? noise() : 0.0f;
						run(e, l, r, n, LATHE_SUBBLOCK);
						double late = 0.0;
						for (int i = 0; i < n; i++)
							assert_true(isfinite(l[i]));
						for (int i = n - 1000; i < n; i++)
							late = fmax(late, fabs(l[i]));
						/* An unstable section grows without bound within
						 * the second; a stable one at most rings at its
						 * peak gain (18 times for a Q 18 pass) on noise of
						 * +-0.5: below 50. */
						assert_true(late < 50.0);
						cls->destroy(e);
					}
	free(l);
	free(r);
}

/* (13) A band on one channel leaves the other channel untouched, bit for
 * bit: left-only and right-only bands of several sections (a 48 dB/oct
 * high pass is four), in any mix, at rest and while their gains glide. */
static void test_one_sided_bands(void **state)
{
	(void)state;
	enum { N = 48000 * 3 / 4 };
	for (int side = 0; side < 2; side++) {
		int ch = side ? LATHE_EQ_RIGHT : LATHE_EQ_LEFT;
		float v[LATHE_EQ_PARAM_COUNT];
		values_default(v);
		band(v, 0, LATHE_EQ_HIGH_PASS, 40, 0, 0.707, 5, ch);
		band(v, 1, LATHE_EQ_BELL, 300, 6, 1.5, 1, ch);
		band(v, 2, LATHE_EQ_LOW_SHELF, 120, -4, 0.707, 1, ch);
		band(v, 3, LATHE_EQ_HIGH_SHELF, 6000, 3, 0.707, 1, ch);
		band(v, 4, LATHE_EQ_LOW_PASS, 15000, 0, 0.9, 3, ch);
		void *e = make(48000, v);
		static float l[N], r[N], l0[N], r0[N];
		for (int i = 0; i < N; i++) {
			l[i] = l0[i] = noise();
			r[i] = r0[i] = noise();
		}
		for (int i = 0; i < N; i += LATHE_SUBBLOCK) {
			int m = N - i < LATHE_SUBBLOCK ? N - i : LATHE_SUBBLOCK;
			/* The bell's gain glides for a while, in steps per sub-block. */
			if (i >= 12000 && i < 18000)
				cls->set(e, LATHE_EQ_BAND_PARAM(1, LATHE_EQ_BAND_GAIN),
					 6.0f - 12.0f * (float)(i - 12000) / 6000.0f);
			cls->process(e, l + i, r + i, m);
		}
		const float *kept = side ? l : r, *kept0 = side ? l0 : r0;
		const float *acted = side ? r : l, *acted0 = side ? r0 : l0;
		assert_memory_equal(kept, kept0, N * sizeof(float));
		assert_true(memcmp(acted, acted0, N * sizeof(float)) != 0);
		cls->destroy(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analog_definitions),
		cmocka_unit_test(test_zero_latency_magnitude),
		cmocka_unit_test(test_matched_near_nyquist),
		cmocka_unit_test(test_linear_phase_magnitude),
		cmocka_unit_test(test_linear_phase_symmetric),
		cmocka_unit_test(test_neutral),
		cmocka_unit_test(test_block_split_invariance),
		cmocka_unit_test(test_non_finite_recovery),
		cmocka_unit_test(test_no_clicks),
		cmocka_unit_test(test_mode_switch),
		cmocka_unit_test(test_maintain_thread),
		cmocka_unit_test(test_extremes_stable),
		cmocka_unit_test(test_one_sided_bands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
