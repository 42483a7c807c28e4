/* lathe — tests of the line-up oscillator (src/dsp/oscillator.c): tone
 * frequency and AES17 level, phase exact after 10 minutes, pink noise's
 * RMS, DC and -3 dB/octave spectrum at four rates, the sweep's
 * exponential law and restart, click-free mode, level and frequency
 * changes, identical channels, output independent of the block size,
 * repeatable reset, and validation of set(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/oscillator.h"

static const double rates[] = { 44100.0, 48000.0, 96000.0, 192000.0 };

/* Peak amplitude of a level, as the oscillator's float glide holds it. */
static double amp_of(float db) { return (float)lathe_db_to_gain_d(db); }

static double db(double x) { return 20.0 * log10(x); }

/* An oscillator at rest in a mode: set, then reset (no fade-in). */
static void start(LatheOscillator *o, double rate, LatheOscMode mode, float f, float level,
		  float sweep)
{
	lathe_oscillator_init(o, rate);
	lathe_oscillator_set(o, mode, f, level, sweep);
	lathe_oscillator_reset(o);
}

/* n frames of the left channel, checking that the right one is
 * bit-identical. Allocated: free() it. */
static float *run(LatheOscillator *o, int n)
{
	float *l = malloc(sizeof(float) * (size_t)n), *r = malloc(sizeof(float) * (size_t)n);
	lathe_oscillator_process(o, l, r, n);
	assert_memory_equal(l, r, sizeof(float) * (size_t)n);
	free(r);
	return l;
}

static double peak(const float *x, int n)
{
	double m = 0.0;
	for (int i = 0; i < n; i++)
		m = fmax(m, fabs(x[i]));
	return m;
}

/* Largest |x[i] - x[i-1]| for i in [from, to). */
static double max_step(const float *x, int from, int to)
{
	double m = 0.0;
	for (int i = from > 0 ? from : 1; i < to; i++)
		m = fmax(m, fabs((double)x[i] - x[i - 1]));
	return m;
}

/* Times (in samples) of the upward zero crossings, interpolated linearly
 * between the samples around each. Returns the count. */
static int crossings(const float *x, int n, double *t)
{
	int c = 0;
	for (int i = 1; i < n; i++)
		if (x[i - 1] < 0.0f && x[i] >= 0.0f)
			t[c++] = (i - 1) + x[i - 1] / ((double)x[i - 1] - x[i]);
	return c;
}

/* Frequency from the first to the last upward crossing. Linear
 * interpolation misplaces a crossing of A sin by about d^2 / 24 of a
 * sample (d: radians per sample, 0.13 at 1 kHz and 48 kHz: 7e-4 sample,
 * 15 ns): over a second of whole cycles that is 3e-5 Hz at 1 kHz, far
 * below the 0.01 Hz asked. Float rounding of the samples moves a crossing
 * by 6e-8 / d of a sample, less still. */
static double frequency(const float *x, int n, double rate)
{
	double *t = malloc(sizeof(double) * (size_t)n);
	int c = crossings(x, n, t);
	assert_true(c >= 2);
	double f = (c - 1) * rate / (t[c - 1] - t[0]);
	free(t);
	return f;
}

/* ---- off, and the default tone ------------------------------------------- */

static void test_default_off_then_line_up_tone(void **state)
{
	(void)state;
	enum { N = 48000 };
	static float l[N], r[N], zero[N];
	LatheOscillator o;
	lathe_oscillator_init(&o, 48000.0);
	/* Off: exact zeros, written over whatever was there, in any split
	 * (n = 0 touches nothing, not even the pointers). */
	for (int i = 0; i < N; i++)
		l[i] = r[i] = 1.0f;
	lathe_oscillator_process(&o, NULL, NULL, 0);
	lathe_oscillator_process(&o, l, r, 100);
	lathe_oscillator_process(&o, l + 100, r + 100, N - 100);
	assert_memory_equal(l, zero, sizeof(l));
	assert_memory_equal(r, zero, sizeof(r));

	/* Sine with every other setting left as it is (NaN): the defaults,
	 * 1 kHz at -18 dBFS. It fades in over LATHE_FADE_MS from silence. */
	lathe_oscillator_set(&o, LATHE_OSC_SINE, NAN, NAN, NAN);
	lathe_oscillator_process(&o, l, r, N);
	assert_memory_equal(l, r, sizeof(l));
	int fade = lathe_ms_to_samples(LATHE_FADE_MS, 48000.0);
	double a = amp_of(-18.0f);
	/* The first sample is at phase 0 (sin 0 = 0); the fade's gain after
	 * k samples is k / fade. */
	assert_true(l[0] == 0.0f);
	assert_true(peak(l, fade / 4) <= a / 4.0);
	double f = frequency(l + fade, N - fade, 48000.0);
	double p = db(peak(l + fade, N - fade));
	print_message("default tone: %.5f Hz, peak %.4f dBFS\n", f, p);
	assert_true(fabs(f - 1000.0) < 0.01);
	assert_true(fabs(p + 18.0) < 0.01);
}

/* ---- sine ------------------------------------------------------------------ */

/* Frequency within 0.01 Hz (see frequency()) and peak within 0.01 dB of
 * the level (AES17: the peak is the level). The sampled peak: with
 * f / rate = p / q in lowest terms, a second of samples falls on every
 * multiple of 1/q of a cycle, so one is within 1/(2q) of a cycle of the
 * crest: exact where 4 divides q, and at worst -0.0001 dB here (1 kHz at
 * 44.1 kHz, q = 441). */
static void test_sine_frequency_and_level(void **state)
{
	(void)state;
	const struct {
		double rate;
		float f, level;
	} cases[] = {
		{ 48000, 1000, -18 }, { 96000, 1000, -18 }, { 48000, 997, -18 }, { 96000, 997, -6 },
		{ 44100, 1000, -18 }, { 192000, 1000, 0 }, { 48000, 20, -60 }, { 48000, 3150, -18 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int n = (int)cases[c].rate; /* 1 s */
		LatheOscillator o;
		start(&o, cases[c].rate, LATHE_OSC_SINE, cases[c].f, cases[c].level, 10.0f);
		float *x = run(&o, n);
		double f = frequency(x, n, cases[c].rate), p = db(peak(x, n));
		print_message("%6.0f Hz rate: %7.1f Hz at %5.1f dBFS -> %.5f Hz, peak %+.4f dB off\n",
			      cases[c].rate, cases[c].f, cases[c].level, f, p - cases[c].level);
		assert_true(fabs(f - cases[c].f) < 0.01);
		assert_true(fabs(p - cases[c].level) < 0.01);
		free(x);
	}
}

/* After 10 minutes the tone is still sample-exact: every sample of the
 * 600th second equals A sin(2 pi (997 n mod 48000) / 48000), computed
 * exactly in integers. Tolerance 2e-8: the output's float rounding is
 * at most 7.5e-9 (half an ulp at 0.126), and the phase accumulated in
 * double has drifted at most 28.8e6 steps x 5.6e-17 cycles = 1.6e-9
 * cycles (1.3e-9 in the sample). A float phase, or one accumulated
 * without wrapping, is off by whole fractions of a cycle by then. */
static void test_sine_phase_exact_after_10_minutes(void **state)
{
	(void)state;
	const int rate = 48000, f = 997, block = 4096;
	LatheOscillator o;
	start(&o, rate, LATHE_OSC_SINE, (float)f, -18.0f, 10.0f);
	float l[4096], r[4096];
	double a = amp_of(-18.0f), worst = 0.0;
	long long total = 600LL * rate;
	for (long long n0 = 0; n0 < total; n0 += block) {
		int n = total - n0 < block ? (int)(total - n0) : block;
		lathe_oscillator_process(&o, l, r, n);
		if (n0 + block < total - rate)
			continue;
		for (int i = 0; i < n; i++) {
			long long k = n0 + i;
			double want = a * sin(2.0 * M_PI * (double)((f * k) % rate) / rate);
			worst = fmax(worst, fabs(l[i] - want));
		}
	}
	print_message("sine after 10 min: worst sample error %.2e\n", worst);
	assert_true(worst < 2e-8);
}

/* ---- pink noise ------------------------------------------------------------ */

/* 30 s of pink at -18 dBFS from rest: its RMS over the first 10 s, its
 * mean over all of it, and an averaged periodogram (Hann frames of 2^k
 * samples, bins at most 1.5 Hz apart, half overlapped).
 *
 * Spectrum: for pink, P(f) f is constant. In each band (octaves from
 * 40 Hz, the last one ending at 20 kHz or 0.45 x rate) the ratio of the
 * measured power to the sum of 1/f over the same bins must be within
 * 0.5 dB of its mean over the bands. Statistics: the 40-80 Hz band of
 * 30 s holds about 40 Hz x 30 s = 1200 independent values, a standard
 * error of 3 % (0.13 dB), so 0.5 dB is four of them; higher bands are
 * far more precise. The design's own error is below 0.06 dB. The slope
 * fitted through the bands is -3.01 dB/octave within 0.1.
 *
 * RMS: -21.01 dB (the -18 dBFS sine's) within 0.2 dB. 10 s of pink
 * measure its power with a standard deviation of 0.05 dB (measured over
 * 200 successive 10 s windows at 48 kHz, the worst 0.15 dB off; over
 * hours the RMS is within 0.01 dB), so 0.2 dB is four of those.
 *
 * DC: the mean over 30 s below -60 dB re the RMS. The high-pass's double
 * zero makes the true DC zero; a finite mean still shows the noise's own
 * slowest wander, which falls as 1 / T: over 30 s windows it is typically
 * -78 dB, the worst of 60 windows -66 dB. Without the high-pass the
 * flat bottom octaves put it near -40 dB. */
static void check_pink(double rate)
{
	LatheOscillator o;
	start(&o, rate, LATHE_OSC_PINK, 1000.0f, -18.0f, 10.0f);
	int size = 1;
	while (rate / size > 1.5)
		size *= 2;
	int hop = size / 2, total = (int)(30.0 * rate) / hop * hop, ten = (int)(10.0 * rate);
	float *buf = malloc(sizeof(float) * (size_t)size), *r = malloc(sizeof(float) * (size_t)size);
	float *frame = fftwf_alloc_real((size_t)size);
	fftwf_complex *spec = fftwf_alloc_complex((size_t)size / 2 + 1);
	fftwf_plan plan = fftwf_plan_dft_r2c_1d(size, frame, spec, FFTW_ESTIMATE);
	double *power = calloc((size_t)size / 2 + 1, sizeof(double));
	double sum = 0.0, sq = 0.0, sq10 = 0.0;
	int frames = 0;
	for (int done = 0; done < total; done += hop) {
		/* The newest hop goes in the second half of the buffer. */
		memmove(buf, buf + hop, sizeof(float) * (size_t)hop);
		lathe_oscillator_process(&o, buf + hop, r, hop);
		assert_memory_equal(buf + hop, r, sizeof(float) * (size_t)hop);
		for (int i = 0; i < hop; i++) {
			double v = buf[hop + i];
			sum += v;
			sq += v * v;
			if (done + i < ten)
				sq10 += v * v;
		}
		if (done == 0)
			continue;
		for (int i = 0; i < size; i++)
			frame[i] = buf[i] * (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / size));
		fftwf_execute(plan);
		for (int k = 0; k <= size / 2; k++)
			power[k] += (double)spec[k][0] * spec[k][0] + (double)spec[k][1] * spec[k][1];
		frames++;
	}
	double rms = sqrt(sq10 / ten), want = amp_of(-18.0f) * M_SQRT1_2;
	double dc = db(fabs(sum / total) / sqrt(sq / total));

	/* Bands. */
	double top = fmin(20000.0, 0.45 * rate), df = rate / size;
	double level[12], centre[12], mean = 0.0;
	int nb = 0;
	for (double f1 = 40.0; f1 < top; f1 *= 2.0, nb++) {
		double f2 = fmin(2.0 * f1, top), p = 0.0, pink = 0.0;
		for (int k = (int)ceil(f1 / df); k * df < f2; k++) {
			p += power[k];
			pink += 1.0 / (k * df);
		}
		level[nb] = 10.0 * log10(p / pink);
		centre[nb] = log2(sqrt(f1 * f2));
		mean += level[nb];
	}
	mean /= nb;
	double worst = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0;
	for (int b = 0; b < nb; b++) {
		worst = fmax(worst, fabs(level[b] - mean));
		sx += centre[b];
		sy += level[b];
		sxx += centre[b] * centre[b];
		sxy += centre[b] * level[b];
	}
	/* Slope of P(f) = slope of P(f) f, minus 3.01 dB per octave. */
	double slope = (nb * sxy - sx * sy) / (nb * sxx - sx * sx) - 10.0 * log10(2.0);
	print_message("pink %6.0f Hz: RMS %.3f dB (want %.3f), DC %.1f dB re RMS, bands 40 Hz-%.0f Hz "
		      "within %.3f dB, slope %.3f dB/oct (%d frames)\n",
		      rate, db(rms), db(want), dc, top, worst, slope, frames);
	assert_true(fabs(db(rms) - db(want)) < 0.2);
	assert_true(dc < -60.0);
	assert_true(worst < 0.5);
	assert_true(fabs(slope + 10.0 * log10(2.0)) < 0.1);

	fftwf_destroy_plan(plan);
	fftwf_free(frame);
	fftwf_free(spec);
	free(power);
	free(buf);
	free(r);
}

static void test_pink(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++)
		check_pink(rates[k]);
}

/* ---- sweep ----------------------------------------------------------------- */

/* The sweep's frequency at sample time t (seconds) of a sweep of T
 * seconds from rest: 20 Hz x (top / 20 Hz)^(t/T), again from 20 Hz
 * every T. */
static double sweep_law(double t, double sweep, double top)
{
	double x = fmod(t / sweep, 1.0);
	return 20.0 * pow(top / 20.0, x);
}

/* Measured frequency around sample s: whole cycles between the upward
 * crossings (t, c of them) inside a window of w samples. Sets *mid to the
 * middle of the cycles used. */
static double frequency_around(const double *t, int c, double s, double w, double rate, double *mid)
{
	int first = -1, last = -1;
	for (int i = 0; i < c; i++) {
		if (t[i] >= s - w / 2 && first < 0)
			first = i;
		if (t[i] <= s + w / 2)
			last = i;
	}
	assert_true(first >= 0 && last > first);
	*mid = 0.5 * (t[first] + t[last]);
	return (last - first) * rate / (t[last] - t[first]);
}

/* The sweep's relative frequency error around sample s, measured over
 * 5 ms (at least two cycles) against the law at the window's middle.
 * Averaging an exponential over a window centred on t gives f(t) to
 * second order (here < 0.01 %); crossing interpolation errors (a fraction
 * of a sample) are spread over the window: below 0.3 % even at 17 kHz,
 * 2.8 samples a cycle at 48 kHz. */
static double sweep_error(const double *t, int c, double s, double rate, double sweep, double top)
{
	double mid, w = fmax(0.005 * rate, 2.0 * rate / sweep_law(s / rate, sweep, top));
	double f = frequency_around(t, c, s, w, rate, &mid);
	return f / sweep_law(mid / rate, sweep, top) - 1.0;
}

static void test_sweep(void **state)
{
	(void)state;
	const double sweep = 4.0;
	const double cases[] = { 48000.0, 44100.0 };
	for (int ci = 0; ci < 2; ci++) {
		double rate = cases[ci], top = fmin(20000.0, 0.45 * rate);
		int n = (int)(2.5 * sweep * rate);
		LatheOscillator o;
		start(&o, rate, LATHE_OSC_SWEEP, 1000.0f, -18.0f, (float)sweep);
		float *x = run(&o, n);
		double *t = malloc(sizeof(double) * (size_t)n);
		int c = crossings(x, n, t);
		/* Through the first sweep, near its top, and through the second
		 * (the restart: 23 Hz just after it). Within 1 %. */
		const double at[] = { 0.25, 0.5, 0.75, 0.98, 1.02, 1.25, 1.5 };
		double worst = 0.0;
		for (int k = 0; k < 7; k++) {
			double e = sweep_error(t, c, at[k] * sweep * rate, rate, sweep, top);
			worst = fmax(worst, fabs(e));
			assert_true(fabs(e) < 0.01);
		}
		/* Sample-exact against the header's definition, computed
		 * here with the phase unwrapped in long double: sample n of
		 * a sweep of N is at f(n) = 20 (top / 20)^(n / N) and the
		 * phase advances by f(n) / rate, through the restart too (a
		 * sweep restarted at another phase is off by up to 2 A).
		 * 2e-8: float rounding (7.5e-9 at 0.126) plus the two phase
		 * sums' rounding (below 1e-9 over 10 s). */
		int len = (int)lround(sweep * rate);
		long double ph = 0.0L;
		double a = amp_of(-18.0f), err = 0.0;
		for (int i = 0; i < n; i++) {
			double frac = (double)(ph - floorl(ph));
			err = fmax(err, fabs(x[i] - a * sin(2.0 * M_PI * frac)));
			ph += 20.0L * powl((long double)top / 20.0L, (long double)(i % len) / len) / rate;
		}
		assert_true(err < 2e-8);
		/* The restart: about one sample where the 20 kHz end meets
		 * 20 Hz. The phase runs on, so the step there is no larger
		 * than the sweep's own steps at the top, 2 A sin(pi top /
		 * rate); and the slow sine after it has the steps of 25 Hz
		 * (plus float rounding). */
		int restart = len;
		assert_true(max_step(x, restart - 4, restart + 4) <= 2.0 * a * sin(M_PI * top / rate) + 1e-6);
		assert_true(max_step(x, restart + 4, restart + (int)(0.01 * rate)) <=
			    2.0 * a * sin(M_PI * 25.0 / rate) + 1e-6);
		/* Level: the sine's peak, reached in the slow part, never
		 * exceeded. */
		double p = db(peak(x, (int)(0.5 * rate)));
		assert_true(fabs(p + 18.0) < 0.01);
		assert_true(peak(x, n) <= a);
		print_message("sweep %.0f Hz: law within %.3f %%, peak %.4f dBFS, worst sample %.1e off\n",
			      rate, 100.0 * worst, p, err);
		free(t);
		free(x);
	}
}

/* A new sweep time keeps the frequency and goes on at the new pace: a
 * 4 s sweep at 1 s (a quarter: 112.5 Hz) set to 8 s goes on from a
 * quarter at an eighth per second: 2 s later it is half way (632 Hz).
 * Measured over 40 ms on each side of the change and 2 s later, against
 * 20 Hz x 1000^position at the middle of the cycles measured, within 1 %
 * (a jump of the position would show as a factor 1000^jump). */
static void test_sweep_time_change(void **state)
{
	(void)state;
	const double rate = 48000.0, w = 1920.0;
	const int n1 = 48000, n = 48000 * 3 + 4800;
	LatheOscillator o;
	start(&o, rate, LATHE_OSC_SWEEP, 1000.0f, -18.0f, 4.0f);
	float *x = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
	lathe_oscillator_process(&o, x, r, n1);
	lathe_oscillator_set(&o, LATHE_OSC_SWEEP, NAN, NAN, 8.0f);
	lathe_oscillator_process(&o, x + n1, r, n - n1);
	double *t = malloc(sizeof(double) * n), mid;
	int c = crossings(x, n, t);
	const double at[] = { n1 - w / 2, n1 + w / 2, n1 + 2.0 * rate };
	for (int k = 0; k < 3; k++) {
		double f = frequency_around(t, c, at[k], w, rate, &mid);
		double secs = mid / rate, pos = k == 0 ? secs / 4.0 : 0.25 + (secs - 1.0) / 8.0;
		double want = 20.0 * pow(1000.0, pos);
		print_message("sweep time 4 -> 8 s at 1 s: at %.3f s %.2f Hz (law %.2f)\n", secs, f, want);
		assert_true(fabs(f / want - 1.0) < 0.01);
	}
	free(t);
	free(x);
	free(r);
}

/* ---- click-free changes -------------------------------------------------- */

/* A fade or glide multiplies the signal s (|s| <= 1 for tones) by a gain
 * that moves by at most D per sample. With y = G s:
 *   |y[i+1] - y[i]| <= G |s[i+1] - s[i]| + |G[i+1] - G[i]| |s[i]|
 *                   <= (signal's own largest step) + D.
 * A mode fade moves the gain by A / L per sample (L = LATHE_FADE_MS in
 * samples), a level glide by |A2 - A1| / L, so that is how much a change
 * may add to the largest step of the signals themselves. 1e-6 covers the
 * float rounding of the samples. A switch without the fade would step by
 * up to the full amplitude: 0.126 here, against a bound near 0.017. */

/* Run up to the next sample where |y| > 0.9 A (a crest: the worst place
 * for a switch), writing from x[*pos]. */
static void run_to_crest(LatheOscillator *o, float *x, int *pos, double a)
{
	float r;
	do {
		lathe_oscillator_process(o, x + *pos, &r, 1);
		(*pos)++;
	} while (fabs(x[*pos - 1]) <= 0.9 * a);
}

/* The dip of a mode change at sample c: the old signal (peak at most
 * `out`) fades over L samples to an exact 0 at c + L - 1, then the new one
 * (peak at most `in`) fades in from c + L. Gain at c + k: (L - 1 - k) / L,
 * then (k + 1) / L. 1e-6: float rounding. */
static void check_dip(const float *x, int c, int len, double out, double in)
{
	for (int k = 0; k < len; k++) {
		assert_true(fabs(x[c + k]) <= out * (len - 1 - k) / len + 1e-6);
		assert_true(fabs(x[c + len + k]) <= in * (k + 1) / len + 1e-6);
	}
	assert_true(x[c + len - 1] == 0.0f);
}

static void test_click_free_mode_change(void **state)
{
	(void)state;
	const double rate = 48000.0, a = amp_of(-18.0f);
	const int len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	static float x[48000], r[4800];
	double sine_step = 2.0 * a * sin(M_PI * 1000.0 / rate);
	LatheOscillator o;

	/* Sine -> off -> sine -> sweep, each at a crest. */
	start(&o, rate, LATHE_OSC_SINE, 1000.0f, -18.0f, 10.0f);
	int pos = 0, change[3];
	const LatheOscMode to[3] = { LATHE_OSC_OFF, LATHE_OSC_SINE, LATHE_OSC_SWEEP };
	for (int k = 0; k < 3; k++) {
		if (k != 1)
			run_to_crest(&o, x, &pos, a);
		change[k] = pos;
		lathe_oscillator_set(&o, to[k], NAN, NAN, NAN);
		lathe_oscillator_process(&o, x + pos, r, 4800);
		pos += 4800;
	}
	check_dip(x, change[0], len, a, 0.0);
	for (int i = change[0] + len; i < change[1]; i++)
		assert_true(x[i] == 0.0f);
	/* From off there is nothing to fade out: the fade in starts at once. */
	for (int k = 0; k < len; k++)
		assert_true(fabs(x[change[1] + k]) <= a * (k + 1) / len + 1e-6);
	check_dip(x, change[2], len, a, a);
	double step = max_step(x, 1, pos), bound = sine_step + a / len + 1e-6;
	print_message("mode change (tones): largest step %.6f, bound %.6f (sine's own %.6f)\n", step,
		      bound, sine_step);
	assert_true(step <= bound);

	/* Sine -> pink -> sine: pink's own largest step and peak are
	 * measured on 0.5 s of it after its fade-in, then bound the change. */
	start(&o, rate, LATHE_OSC_SINE, 1000.0f, -18.0f, 10.0f);
	pos = 0;
	run_to_crest(&o, x, &pos, a);
	int c1 = pos;
	lathe_oscillator_set(&o, LATHE_OSC_PINK, NAN, NAN, NAN);
	for (int k = 0; k < 5; k++, pos += 4800)
		lathe_oscillator_process(&o, x + pos, r, 4800);
	int c2 = pos;
	lathe_oscillator_set(&o, LATHE_OSC_SINE, NAN, NAN, NAN);
	lathe_oscillator_process(&o, x + pos, r, 4800);
	pos += 4800;
	double pink_step = max_step(x, c1 + 2 * len, c2);
	double pink_peak = peak(x + c1 + 2 * len, c2 - c1 - 2 * len);
	check_dip(x, c1, len, a, pink_peak);
	check_dip(x, c2, len, pink_peak, a);
	step = max_step(x, 1, pos);
	bound = fmax(sine_step, pink_step) + fmax(a, pink_peak) / len + 1e-6;
	print_message("mode change (pink): largest step %.6f, bound %.6f (pink's own %.6f)\n", step,
		      bound, pink_step);
	assert_true(step <= bound);
}

static void test_click_free_level_change(void **state)
{
	(void)state;
	const double rate = 48000.0, f = 1000.0;
	const int len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	static float x[20000];
	const float levels[][2] = { { -18.0f, 0.0f }, { 0.0f, -60.0f }, { -60.0f, -18.0f } };
	for (int k = 0; k < 3; k++) {
		double a1 = amp_of(levels[k][0]), a2 = amp_of(levels[k][1]);
		LatheOscillator o;
		start(&o, rate, LATHE_OSC_SINE, (float)f, levels[k][0], 10.0f);
		int pos = 0;
		run_to_crest(&o, x, &pos, a1);
		int change = pos;
		lathe_oscillator_set(&o, LATHE_OSC_SINE, NAN, levels[k][1], NAN);
		float r[9600];
		lathe_oscillator_process(&o, x + pos, r, 9600);
		pos += 9600;
		double bound = 2.0 * fmax(a1, a2) * sin(M_PI * f / rate) + fabs(a2 - a1) / len + 1e-6;
		double step = max_step(x, 1, pos);
		/* The glide is over after L samples: from then on the peak is
		 * the new level (0.01 dB). */
		double p = db(peak(x + change + len, pos - change - len));
		print_message("level %+.0f -> %+.0f dBFS: largest step %.6f, bound %.6f; then %.4f dBFS\n",
			      levels[k][0], levels[k][1], step, bound, p);
		assert_true(step <= bound);
		assert_true(fabs(p - levels[k][1]) < 0.01);
	}
}

/* A frequency change continues from the current phase: the step where it
 * happens is no larger than the faster tone's own largest step,
 * 2 A sin(pi f / rate). A restart from phase 0 at a crest would step by
 * about A, 4 to 50 times that here. */
static void test_click_free_frequency_change(void **state)
{
	(void)state;
	const double rate = 48000.0, a = amp_of(-18.0f);
	const float freqs[] = { 1000.0f, 1500.0f, 20.0f, 440.0f, 3000.0f, 1000.0f };
	static float x[48000];
	LatheOscillator o;
	start(&o, rate, LATHE_OSC_SINE, freqs[0], -18.0f, 10.0f);
	int pos = 0;
	for (int k = 1; k < 6; k++) {
		run_to_crest(&o, x, &pos, a);
		lathe_oscillator_set(&o, LATHE_OSC_SINE, freqs[k], NAN, NAN);
		float r[2400];
		lathe_oscillator_process(&o, x + pos, r, 2400);
		double bound = 2.0 * a * sin(M_PI * fmax(freqs[k - 1], freqs[k]) / rate) + 1e-6;
		double step = max_step(x, pos - 4, pos + 4);
		print_message("%.0f -> %.0f Hz: step %.6f, bound %.6f\n", freqs[k - 1], freqs[k], step, bound);
		assert_true(step <= bound);
		pos += 2400;
	}
}

/* ---- block size, channels, reset ------------------------------------------ */

/* A script of changes at fixed samples, including one during a fade. */
typedef struct {
	int at;
	LatheOscMode mode;
	float f, level, sweep;
} Change;

static const Change script[] = {
	{ 0, LATHE_OSC_SINE, 997.0f, -18.0f, 10.0f },
	{ 9000, LATHE_OSC_SINE, 5000.0f, -6.0f, NAN },
	{ 20000, LATHE_OSC_PINK, NAN, NAN, NAN },
	{ 20200, LATHE_OSC_SWEEP, NAN, -20.0f, 1.0f }, /* during pink's fade-out */
	{ 60000, LATHE_OSC_SWEEP, NAN, NAN, 2.0f },
	{ 70000, LATHE_OSC_OFF, NAN, NAN, NAN },
	{ 71000, LATHE_OSC_PINK, NAN, 0.0f, NAN },
	{ 90000, LATHE_OSC_SINE, 19000.0f, NAN, NAN },
};
#define SCRIPT_LEN 100000

/* The script's output, processed in calls of `block` frames (0: one call
 * per stretch between changes). */
static void run_script(double rate, int block, float *l, float *r)
{
	LatheOscillator o;
	lathe_oscillator_init(&o, rate);
	int pos = 0, nc = (int)(sizeof(script) / sizeof(script[0]));
	for (int c = 0; c <= nc; c++) {
		int end = c < nc ? script[c].at : SCRIPT_LEN;
		while (pos < end) {
			int n = block > 0 && end - pos > block ? block : end - pos;
			lathe_oscillator_process(&o, l + pos, r + pos, n);
			pos += n;
		}
		if (c < nc)
			lathe_oscillator_set(&o, script[c].mode, script[c].f, script[c].level,
					     script[c].sweep);
	}
}

static void test_block_size_invariance(void **state)
{
	(void)state;
	static float l0[SCRIPT_LEN], r0[SCRIPT_LEN], l1[SCRIPT_LEN], r1[SCRIPT_LEN];
	const int blocks[] = { 1, 7, 64, 4096 };
	for (int ri = 0; ri < 2; ri++) {
		double rate = ri ? 44100.0 : 96000.0;
		run_script(rate, 0, l0, r0);
		/* Every mode, and the channels bit-identical throughout. */
		assert_memory_equal(l0, r0, sizeof(l0));
		assert_true(peak(l0, SCRIPT_LEN) > 0.1);
		for (int b = 0; b < 4; b++) {
			run_script(rate, blocks[b], l1, r1);
			assert_memory_equal(l0, l1, sizeof(l0));
			assert_memory_equal(r0, r1, sizeof(r0));
		}
	}
}

/* reset() gives the same output again, in every mode, whatever happened
 * before, and the same as a fresh object's. */
static void test_reset_repeatable(void **state)
{
	(void)state;
	enum { N = 30000 };
	static float a[N], b[N], r[N];
	const LatheOscMode modes[] = { LATHE_OSC_SINE, LATHE_OSC_PINK, LATHE_OSC_SWEEP };
	for (int m = 0; m < 3; m++) {
		LatheOscillator o, fresh;
		start(&o, 48000.0, modes[m], 440.0f, -12.0f, 1.0f);
		lathe_oscillator_process(&o, a, r, N);
		/* Wander off: other settings, a fade in progress. */
		lathe_oscillator_set(&o, LATHE_OSC_PINK, 100.0f, -40.0f, 5.0f);
		lathe_oscillator_process(&o, b, r, 1234);
		lathe_oscillator_set(&o, modes[m], 440.0f, -12.0f, 1.0f);
		lathe_oscillator_process(&o, b, r, 100);
		lathe_oscillator_reset(&o);
		lathe_oscillator_process(&o, b, r, N);
		assert_memory_equal(a, b, sizeof(a));
		start(&fresh, 48000.0, modes[m], 440.0f, -12.0f, 1.0f);
		lathe_oscillator_process(&fresh, b, r, N);
		assert_memory_equal(a, b, sizeof(a));
		/* Not silence, and pink is not a repeating short cycle. */
		assert_true(peak(a, N) > 0.1);
	}
}

/* ---- validation ------------------------------------------------------------ */

static void test_set_validation(void **state)
{
	(void)state;
	LatheOscillator o;
	/* Frequency clamped to 20 Hz .. min(20 kHz, 0.45 x rate); infinity
	 * too. Each checked sample by sample against the expected 0 dBFS
	 * tone: 1e-6 is 16 times its float rounding, while a tone 0.1 Hz off
	 * is 0.01 off by the 1000th sample. */
	const struct {
		double rate;
		float f, want;
	} fc[] = {
		{ 48000, 5.0f, 20.0f },       { 48000, 1e6f, 20000.0f },  { 44100, 30000.0f, 19845.0f },
		{ 48000, -INFINITY, 20.0f },  { 48000, INFINITY, 20000.0f },
	};
	for (size_t k = 0; k < sizeof(fc) / sizeof(fc[0]); k++) {
		start(&o, fc[k].rate, LATHE_OSC_SINE, fc[k].f, 0.0f, 10.0f);
		float *x = run(&o, 1000);
		for (int i = 0; i < 1000; i++)
			assert_true(fabs(x[i] - sin(2.0 * M_PI * fmod((double)fc[k].want * i / fc[k].rate, 1.0))) <
				    1e-6);
		free(x);
	}
	/* Level clamped to -60 .. 0 dBFS. */
	const float lv[][2] = { { 12.0f, 0.0f }, { -200.0f, -60.0f }, { -INFINITY, -60.0f } };
	for (int k = 0; k < 3; k++) {
		start(&o, 48000.0, LATHE_OSC_SINE, 1000.0f, lv[k][0], 10.0f);
		float *x = run(&o, 4800);
		assert_true(fabs(db(peak(x, 4800)) - lv[k][1]) < 0.01);
		free(x);
	}
	/* Sweep time clamped to 1 .. 60 s: at a quarter of 1 s, and of 60 s,
	 * the law's frequency (within 1 %). */
	const float sw[][2] = { { 0.1f, 1.0f }, { 1000.0f, 60.0f } };
	for (int k = 0; k < 2; k++) {
		start(&o, 48000.0, LATHE_OSC_SWEEP, 1000.0f, -18.0f, sw[k][0]);
		int n = (int)(0.3 * sw[k][1] * 48000.0);
		float *x = run(&o, n);
		double *t = malloc(sizeof(double) * (size_t)n);
		int c = crossings(x, n, t);
		assert_true(fabs(sweep_error(t, c, 0.25 * sw[k][1] * 48000.0, 48000.0, sw[k][1], 20000.0)) <
			    0.01);
		free(t);
		free(x);
	}
	/* NaN keeps each setting, and a mode outside the enum keeps the
	 * mode: the output is that of the settings before. */
	LatheOscillator p;
	start(&o, 48000.0, LATHE_OSC_SINE, 440.0f, -10.0f, 10.0f);
	start(&p, 48000.0, LATHE_OSC_SINE, 440.0f, -10.0f, 10.0f);
	lathe_oscillator_set(&o, LATHE_OSC_SINE, NAN, NAN, NAN);
	lathe_oscillator_set(&o, (LatheOscMode)7, NAN, NAN, NAN);
	lathe_oscillator_set(&o, (LatheOscMode)-1, NAN, NAN, NAN);
	float *x = run(&o, 4800), *y = run(&p, 4800);
	assert_memory_equal(x, y, sizeof(float) * 4800);
	free(x);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_off_then_line_up_tone),
		cmocka_unit_test(test_sine_frequency_and_level),
		cmocka_unit_test(test_sine_phase_exact_after_10_minutes),
		cmocka_unit_test(test_pink),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_sweep_time_change),
		cmocka_unit_test(test_click_free_mode_change),
		cmocka_unit_test(test_click_free_level_change),
		cmocka_unit_test(test_click_free_frequency_change),
		cmocka_unit_test(test_block_size_invariance),
		cmocka_unit_test(test_reset_repeatable),
		cmocka_unit_test(test_set_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
