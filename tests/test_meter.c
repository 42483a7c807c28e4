/* lathe — tests of the meter (src/meter.c) against the standards' own test
 * signals and tolerances, generated here from their definitions:
 *
 *   EBU Tech 3341 v3 (2016), "Loudness Metering: 'EBU Mode' metering to
 *   supplement loudness normalisation", table 1: cases 1-5 (momentary,
 *   short-term, integrated: +-0.1 LU) and 15-19 (true peak: +0.2/-0.4 dB).
 *   Cases 15-19 are sines whose samples fall between the waveform's peaks:
 *     15  fs/4,  0.50 (-6.02 dBFS),  0 deg   -> -6.0 dBTP
 *     16  fs/4,  0.50,              45 deg   -> -6.0 dBTP
 *     17  fs/6,  0.50,              60 deg   -> -6.0 dBTP
 *     18  fs/8,  0.50,            67.5 deg   -> -6.0 dBTP
 *     19  fs/4,  1.41 (+3.01 dBFS), 45 deg   -> +3.0 dBTP (samples at +-1.0)
 *   EBU Tech 3342 v3 (2016), "Loudness Range", cases 1-4 (+-1 LU).
 *
 * "dBFS" of a sine is its peak amplitude; stereo signals carry the same
 * signal in both channels; everything runs at 48 kHz unless stated. Then
 * the console's own promises: peaks, holds, reset, correlation, spectrum,
 * non-finite input, chunking and mono. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"
#include "signals.h"

#define RATE 48000.0

/* ---- signal generation ---------------------------------------------------- */

/* A running tone generator feeding a meter: successive segments continue
 * the phase, as the EBU files do. */
typedef struct {
	LatheMeter *meter;
	int channels;
	double rate;
	long long n;   /* frames generated so far */
} Gen;

static Gen gen(LatheMeter *m, int channels, double rate)
{
	return (Gen){ .meter = m, .channels = channels, .rate = rate, .n = 0 };
}

static double amp(double dbfs) { return pow(10.0, dbfs / 20.0); }

/* `seconds` of a sine at peak level `dbfs`, the same in every channel. */
static void tone(Gen *g, double hz, double dbfs, double seconds)
{
	enum { BLOCK = 4800 };
	float buf[BLOCK * 2];
	long long total = llround(seconds * g->rate);
	double a = amp(dbfs);
	while (total > 0) {
		int n = total < BLOCK ? (int)total : BLOCK;
		for (int i = 0; i < n; i++) {
			float v = (float)(a * sin(2.0 * M_PI * hz * (double)(g->n + i) / g->rate));
			for (int c = 0; c < g->channels; c++)
				buf[i * g->channels + c] = v;
		}
		lathe_meter_feed(g->meter, buf, (size_t)n);
		g->n += n;
		total -= n;
	}
}

static void silence(Gen *g, double seconds)
{
	tone(g, 1000.0, -INFINITY, seconds);
}

static LatheMeterReading reading(LatheMeter *m)
{
	LatheMeterReading r;
	lathe_meter_read(m, &r);
	return r;
}

/* |got - want| within [-below, +above]; prints the deviation, so that a
 * run shows how close each case is. */
static void check_near(const char *what, double got, double want, double below, double above)
{
	print_message("%-34s %8.3f (want %6.1f, error %+.3f)\n", what, got, want, got - want);
	if (!(got >= want - below && got <= want + above))
		fail_msg("%s: %.3f outside %.1f -%.2f/+%.2f", what, got, want, below, above);
}

/* ---- EBU Tech 3341: loudness ------------------------------------------- */

static void test_3341_cases_1_2(void **state)
{
	(void)state;
	const double level[2] = { -23.0, -33.0 };
	for (int k = 0; k < 2; k++) {
		LatheMeter *m = lathe_meter_new(RATE, 2, false);
		assert_non_null(m);
		Gen g = gen(m, 2, RATE);
		tone(&g, 1000.0, level[k], 20.0);
		LatheMeterReading r = reading(m);
		char what[64];
		snprintf(what, sizeof(what), "3341-%d momentary", k + 1);
		check_near(what, r.momentary, level[k], 0.1, 0.1);
		snprintf(what, sizeof(what), "3341-%d short-term", k + 1);
		check_near(what, r.short_term, level[k], 0.1, 0.1);
		snprintf(what, sizeof(what), "3341-%d integrated", k + 1);
		check_near(what, r.integrated, level[k], 0.1, 0.1);
		/* A constant tone: the maxima are the tone too. */
		snprintf(what, sizeof(what), "3341-%d momentary max", k + 1);
		check_near(what, r.momentary_max, level[k], 0.1, 0.1);
		snprintf(what, sizeof(what), "3341-%d short-term max", k + 1);
		check_near(what, r.short_term_max, level[k], 0.1, 0.1);
		assert_float_equal(r.seconds, 20.0, 1e-9);
		lathe_meter_free(m);
	}
}

typedef struct {
	double dbfs, seconds;
} Segment;

static LatheMeterReading run_segments(const Segment *s, int count)
{
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	assert_non_null(m);
	Gen g = gen(m, 2, RATE);
	for (int i = 0; i < count; i++)
		tone(&g, 1000.0, s[i].dbfs, s[i].seconds);
	LatheMeterReading r = reading(m);
	lathe_meter_free(m);
	return r;
}

static void test_3341_cases_3_4_5(void **state)
{
	(void)state;
	/* 3: the relative gate removes the -36 dB parts. */
	const Segment c3[] = { { -36, 10 }, { -23, 60 }, { -36, 10 } };
	check_near("3341-3 integrated", run_segments(c3, 3).integrated, -23.0, 0.1, 0.1);
	/* 4: the absolute gate removes -72, the relative gate -36. */
	const Segment c4[] = { { -72, 10 }, { -36, 10 }, { -23, 60 }, { -36, 10 }, { -72, 10 } };
	check_near("3341-4 integrated", run_segments(c4, 5).integrated, -23.0, 0.1, 0.1);
	/* 5: nothing gated: the energy mean of -26 and -20. */
	const Segment c5[] = { { -26, 20 }, { -20, 20.1 }, { -26, 20 } };
	check_near("3341-5 integrated", run_segments(c5, 3).integrated, -23.0, 0.1, 0.1);
}

/* ---- EBU Tech 3341: true peak ------------------------------------------ */

/* A stereo sine at rate/divisor, starting at `phase_deg`, of peak level
 * `dbfs`, 2 s. The definitions describe steady sines; a sine switched on
 * at a non-zero phase is a step, which rings in any interpolator (Gibbs,
 * ~0.7 dB at fs/8) and is not what the case measures. So each end fades
 * over 20 ms (raised cosine), well below the tone's own frequency. */
static double true_peak_case(double divisor, double phase_deg, double dbfs)
{
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	assert_non_null(m);
	const int frames = 2 * (int)RATE, fade = (int)(0.020 * RATE);
	float *buf = malloc(sizeof(float) * 2 * frames);
	double a = amp(dbfs), ph = phase_deg * M_PI / 180.0;
	for (int i = 0; i < frames; i++) {
		double env = 1.0;
		int edge = i < frames - 1 - i ? i : frames - 1 - i;
		if (edge < fade)
			env = 0.5 - 0.5 * cos(M_PI * edge / fade);
		buf[2 * i] = buf[2 * i + 1] = (float)(env * a * sin(2.0 * M_PI * i / divisor + ph));
	}
	lathe_meter_feed(m, buf, (size_t)frames);
	LatheMeterReading r = reading(m);
	/* The samples themselves stay below the true peak (except case 15,
	 * whose samples hit the crests). */
	assert_true(r.sample_peak_max <= r.true_peak_max + 1e-4);
	free(buf);
	lathe_meter_free(m);
	return r.true_peak_max;
}

static void test_3341_true_peak(void **state)
{
	(void)state;
	check_near("3341-15 true peak (fs/4, 0)", true_peak_case(4, 0, -6.0206), -6.0, 0.4, 0.2);
	check_near("3341-16 true peak (fs/4, 45)", true_peak_case(4, 45, -6.0206), -6.0, 0.4, 0.2);
	check_near("3341-17 true peak (fs/6, 60)", true_peak_case(6, 60, -6.0206), -6.0, 0.4, 0.2);
	check_near("3341-18 true peak (fs/8, 67.5)", true_peak_case(8, 67.5, -6.0206), -6.0, 0.4, 0.2);
	check_near("3341-19 true peak (fs/4, 45, +3)", true_peak_case(4, 45, 3.0103), 3.0, 0.4, 0.2);
}

/* ---- EBU Tech 3342: loudness range -------------------------------------- */

static void test_3342_lra(void **state)
{
	(void)state;
	const Segment c1[] = { { -20, 20 }, { -30, 20 } };
	const Segment c2[] = { { -20, 20 }, { -15, 20 } };
	const Segment c3[] = { { -40, 20 }, { -20, 20 } };
	const Segment c4[] = { { -50, 20 }, { -35, 20 }, { -20, 20 }, { -35, 20 }, { -50, 20 } };
	check_near("3342-1 LRA", run_segments(c1, 2).lra, 10.0, 1.0, 1.0);
	check_near("3342-2 LRA", run_segments(c2, 2).lra, 5.0, 1.0, 1.0);
	check_near("3342-3 LRA", run_segments(c3, 2).lra, 20.0, 1.0, 1.0);
	check_near("3342-4 LRA", run_segments(c4, 5).lra, 15.0, 1.0, 1.0);
}

/* ---- peaks, holds, reset ------------------------------------------------- */

/* One frame: `spike` (linear) on the left, silence on the right. */
static void spike(Gen *g, float v)
{
	float f[2] = { v, 0.0f };
	lathe_meter_feed(g->meter, f, 1);
	g->n++;
}

static void test_peaks_and_holds(void **state)
{
	(void)state;
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	Gen g = gen(m, 2, RATE);
	/* A quiet tone (-40 dBFS), a -6.02 dBFS spike on the left, more tone. */
	tone(&g, 1000.0, -40.0, 1.0);
	spike(&g, 0.5f);
	tone(&g, 1000.0, -40.0, 0.1);
	LatheMeterReading r = reading(m);
	assert_float_equal(r.sample_peak[0], -6.0206, 0.001);
	assert_float_equal(r.sample_peak[1], -40.0, 0.01);
	assert_float_equal(r.sample_peak_max, -6.0206, 0.001);
	assert_true(r.true_peak[0] >= r.sample_peak[0]);
	assert_true(r.true_peak[0] < -5.0);

	/* The next read covers only what came since: the tone. */
	tone(&g, 1000.0, -40.0, 0.4);
	r = reading(m);
	assert_float_equal(r.sample_peak[0], -40.0, 0.01);
	assert_float_equal(r.true_peak[0], -40.0, 0.05);
	/* The holds still show the spike... */
	assert_float_equal(r.sample_peak_hold[0], -6.0206, 0.001);
	assert_float_equal(r.sample_peak_hold[1], -40.0, 0.01);
	assert_true(r.true_peak_hold[0] >= -6.03f);
	/* ...until LATHE_METER_HOLD_S has passed (0.1 s before: held)... */
	tone(&g, 1000.0, -40.0, LATHE_METER_HOLD_S - 0.1 - 0.5);
	r = reading(m);
	assert_float_equal(r.sample_peak_hold[0], -6.0206, 0.001);
	/* ...then they fall to the current value (0.2 s after). */
	tone(&g, 1000.0, -40.0, 0.3);
	r = reading(m);
	assert_float_equal(r.sample_peak_hold[0], -40.0, 0.01);
	assert_float_equal(r.true_peak_hold[0], -40.0, 0.05);
	/* The maximum since reset stays. */
	assert_float_equal(r.sample_peak_max, -6.0206, 0.001);
	assert_true(r.true_peak_max >= -6.03f);

	/* A read with nothing fed since: nothing to measure. */
	r = reading(m);
	assert_true(isinf(r.sample_peak[0]) && r.sample_peak[0] < 0);
	assert_true(isinf(r.true_peak[1]) && r.true_peak[1] < 0);
	lathe_meter_free(m);
}

static void test_reset(void **state)
{
	(void)state;
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	Gen g = gen(m, 2, RATE);
	tone(&g, 1000.0, -23.0, 10.0);
	LatheMeterReading r = reading(m);
	assert_float_equal(r.integrated, -23.0, 0.1);
	assert_true(isfinite(r.lra) && isfinite(r.plr));

	lathe_meter_reset(m);
	r = reading(m);
	/* Everything "since reset" starts again... */
	assert_true(isinf(r.integrated) && r.integrated < 0);
	assert_true(isinf(r.lra) && r.lra < 0);
	assert_true(isinf(r.momentary_max) && r.momentary_max < 0);
	assert_true(isinf(r.short_term_max) && r.short_term_max < 0);
	assert_true(isinf(r.sample_peak_max) && r.sample_peak_max < 0);
	assert_true(isinf(r.true_peak_max) && r.true_peak_max < 0);
	assert_true(isinf(r.plr) && r.plr < 0);
	assert_float_equal(r.seconds, 0.0, 1e-12);
	/* ...but the windows run on. */
	assert_float_equal(r.momentary, -23.0, 0.1);
	assert_float_equal(r.short_term, -23.0, 0.1);
	assert_float_equal(r.correlation, 1.0, 1e-6);

	/* Integration restarts: only what follows the reset counts. */
	tone(&g, 1000.0, -33.0, 10.0);
	r = reading(m);
	check_near("integrated after reset", r.integrated, -33.0, 0.1, 0.1);
	/* The maxima are of what followed the reset, though the windows and
	 * the true-peak interpolator reached back before it. */
	assert_float_equal(r.sample_peak_max, -33.0, 0.01);
	assert_float_equal(r.true_peak_max, -33.0, 0.05);
	assert_float_equal(r.momentary_max, -33.0, 0.1);
	assert_float_equal(r.short_term_max, -33.0, 0.1);
	assert_float_equal(r.seconds, 10.0, 1e-9);
	/* A constant tone: PSR and PLR are its crest against its loudness,
	 * 0 dB for a 1 kHz sine (K-weighting is +0.69 dB there, offset by
	 * BS.1770's -0.691). */
	check_near("PLR of a sine", r.plr, 0.0, 0.2, 0.2);
	check_near("PSR of a sine", r.psr, 0.0, 0.2, 0.2);
	lathe_meter_free(m);
}

/* ---- correlation --------------------------------------------------------- */

static double correlation_of(float (*make)(uint32_t *, uint32_t *, float *), double seconds)
{
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	int frames = (int)(seconds * RATE);
	float *buf = malloc(sizeof(float) * 2 * frames);
	uint32_t s1 = 1, s2 = 99;
	for (int i = 0; i < frames; i++)
		buf[2 * i] = make(&s1, &s2, &buf[2 * i + 1]);
	lathe_meter_feed(m, buf, (size_t)frames);
	LatheMeterReading r = reading(m);
	free(buf);
	lathe_meter_free(m);
	return r.correlation;
}

static float same(uint32_t *a, uint32_t *b, float *r) { (void)b; float v = 0.3f * test_noise(a); *r = v; return v; }
static float inverted(uint32_t *a, uint32_t *b, float *r) { (void)b; float v = 0.3f * test_noise(a); *r = -v; return v; }
static float independent(uint32_t *a, uint32_t *b, float *r) { *r = 0.3f * test_noise(b); return 0.3f * test_noise(a); }
static float nothing(uint32_t *a, uint32_t *b, float *r) { (void)a, (void)b; *r = 0.0f; return 0.0f; }
static float one_sided(uint32_t *a, uint32_t *b, float *r) { (void)b; *r = 0.0f; return 0.3f * test_noise(a); }

static void test_correlation(void **state)
{
	(void)state;
	assert_float_equal(correlation_of(same, 1.0), 1.0, 1e-6);
	assert_float_equal(correlation_of(inverted, 1.0), -1.0, 1e-6);
	double c = correlation_of(independent, 1.0);
	print_message("independent noise correlation %+.4f\n", c);
	assert_true(fabs(c) < 0.1);
	assert_float_equal(correlation_of(nothing, 1.0), 0.0, 0.0);
	assert_float_equal(correlation_of(one_sided, 1.0), 0.0, 0.0);

	/* The window is 300 ms: 0.4 s after the channels turn inverted, the
	 * reading says so fully. */
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	uint32_t seed = 5;
	float f[2];
	for (int i = 0; i < (int)RATE; i++) {
		f[0] = f[1] = 0.3f * test_noise(&seed);
		lathe_meter_feed(m, f, 1);
	}
	for (int i = 0; i < (int)(0.4 * RATE); i++) {
		f[0] = 0.3f * test_noise(&seed);
		f[1] = -f[0];
		lathe_meter_feed(m, f, 1);
	}
	assert_float_equal(reading(m).correlation, -1.0, 1e-6);
	lathe_meter_free(m);

	/* A mono meter: its one channel against itself. */
	m = lathe_meter_new(RATE, 1, false);
	Gen g = gen(m, 1, RATE);
	tone(&g, 440.0, -20.0, 1.0);
	assert_float_equal(reading(m).correlation, 1.0, 1e-6);
	silence(&g, 1.0);
	assert_float_equal(reading(m).correlation, 0.0, 0.0);
	lathe_meter_free(m);
}

/* ---- spectrum ------------------------------------------------------------ */

static int nearest_point(double hz)
{
	return (int)lround(24.0 * log2(hz / 20.0));
}

static int highest_point(const float *db)
{
	int best = 0;
	for (int i = 1; i < LATHE_SPECTRUM_POINTS; i++)
		if (db[i] > db[best])
			best = i;
	return best;
}

static void test_spectrum_points(void **state)
{
	(void)state;
	assert_float_equal(lathe_meter_spectrum_freq(0), 20.0, 1e-9);
	assert_float_equal(lathe_meter_spectrum_freq(24), 40.0, 1e-9);
	assert_true(lathe_meter_spectrum_freq(LATHE_SPECTRUM_POINTS - 1) <= 20000.0);

	float db[LATHE_SPECTRUM_POINTS];
	LatheMeter *m = lathe_meter_new(RATE, 2, false);
	assert_false(lathe_meter_spectrum(m, db));
	lathe_meter_free(m);

	/* Silence: the floor everywhere. */
	m = lathe_meter_new(RATE, 2, true);
	assert_non_null(m);
	Gen g = gen(m, 2, RATE);
	silence(&g, 2.0);
	assert_true(lathe_meter_spectrum(m, db));
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		assert_float_equal(db[i], -140.0, 0.0);
	lathe_meter_free(m);
}

/* A full-scale sine reads 0 dB at its point, stereo and mono, at 48 and
 * 44.1 kHz. */
static void test_spectrum_full_scale(void **state)
{
	(void)state;
	const double rates[2] = { 48000.0, 44100.0 };
	for (int k = 0; k < 2; k++)
		for (int ch = 1; ch <= 2; ch++) {
			LatheMeter *m = lathe_meter_new(rates[k], ch, true);
			assert_non_null(m);
			Gen g = gen(m, ch, rates[k]);
			tone(&g, 1000.0, 0.0, 3.0);
			float db[LATHE_SPECTRUM_POINTS];
			assert_true(lathe_meter_spectrum(m, db));
			char what[64];
			snprintf(what, sizeof(what), "spectrum 1 kHz 0 dBFS, %g Hz, %d ch", rates[k], ch);
			check_near(what, db[nearest_point(1000.0)], 0.0, 0.5, 0.5);
			assert_int_equal(highest_point(db), nearest_point(1000.0));
			/* Far from the tone: the window's side lobes, deep down. */
			assert_true(db[nearest_point(250.0)] < -80.0);
			assert_true(db[nearest_point(4000.0)] < -80.0);
			lathe_meter_free(m);
		}
}

static void test_spectrum_bass_notes(void **state)
{
	(void)state;
	const double notes[3] = { 41.20, 55.0, 73.42 }; /* E1, A1, D2 */
	for (int k = 0; k < 3; k++) {
		LatheMeter *m = lathe_meter_new(RATE, 2, true);
		Gen g = gen(m, 2, RATE);
		tone(&g, notes[k], -6.0, 3.0);
		float db[LATHE_SPECTRUM_POINTS];
		lathe_meter_spectrum(m, db);
		int top = highest_point(db);
		double semitones = 12.0 * log2(lathe_meter_spectrum_freq(top) / notes[k]);
		print_message("%.2f Hz: highest point %.2f Hz (%+.3f semitones), %.2f dB\n",
			      notes[k], lathe_meter_spectrum_freq(top), semitones, db[top]);
		assert_true(fabs(semitones) <= 0.25);
		/* It reads the note's level too (-6 dBFS). */
		assert_float_equal(db[top], -6.0, 0.5);
		lathe_meter_free(m);
	}
}

/* A1 and A#1 together, equal level: two maxima with a dip of >= 3 dB
 * between them, at every moment (the two notes beat at 3.3 Hz; the reading
 * is checked every 50 ms over two seconds). */
static void test_spectrum_semitones_resolved(void **state)
{
	(void)state;
	const double a = 55.0, b = 58.27;
	LatheMeter *m = lathe_meter_new(RATE, 2, true);
	const int frames = (int)(0.05 * RATE);
	float buf[2 * 2400];
	long long n = 0;
	double worst = INFINITY;
	for (int step = 0; step < 100; step++) {
		for (int i = 0; i < frames; i++, n++) {
			double t = (double)n / RATE;
			buf[2 * i] = buf[2 * i + 1] =
				(float)(0.25 * sin(2 * M_PI * a * t) + 0.25 * sin(2 * M_PI * b * t + 1.0));
		}
		lathe_meter_feed(m, buf, (size_t)frames);
		if (step < 60) /* 3 s: the frame (0.68 s) and the average fill */
			continue;
		float db[LATHE_SPECTRUM_POINTS];
		lathe_meter_spectrum(m, db);
		int pa = nearest_point(a), pb = nearest_point(b);
		/* Each note's maximum is at (or next to) its own point... */
		assert_true(db[pa] >= db[pa - 1] && db[pa] >= db[pa + 1]);
		assert_true(db[pb] >= db[pb - 1] && db[pb] >= db[pb + 1]);
		/* ...and between them the reading dips. */
		double low = INFINITY;
		for (int i = pa + 1; i < pb; i++)
			low = fmin(low, db[i]);
		double dip = fmin(db[pa], db[pb]) - low;
		worst = fmin(worst, dip);
	}
	print_message("A1 + A#1: worst dip between the maxima %.2f dB\n", worst);
	assert_true(worst >= 3.0);
	lathe_meter_free(m);
}

/* Paused, a spectrum does not change (no frame is analysed, which is its
 * cost); resumed, it starts from the floor and, once its 4-frame average
 * has filled (341 ms at 48 kHz; checked after 0.5 s), reads what a meter
 * that never paused reads (the same frames: float rounding apart), with
 * nothing left of the signal from before the pause. */
static void test_spectrum_pause(void **state)
{
	(void)state;
	LatheMeter *m = lathe_meter_new(RATE, 2, true), *ref = lathe_meter_new(RATE, 2, true);
	Gen g = gen(m, 2, RATE), gr = gen(ref, 2, RATE);
	tone(&g, 1000.0, -6.0, 2.0);
	tone(&gr, 1000.0, -6.0, 2.0);
	float before[LATHE_SPECTRUM_POINTS], db[LATHE_SPECTRUM_POINTS], want[LATHE_SPECTRUM_POINTS];
	lathe_meter_spectrum(m, before);
	lathe_meter_spectrum_pause(m, true);
	tone(&g, 100.0, -6.0, 2.0);
	tone(&gr, 100.0, -6.0, 2.0);
	lathe_meter_spectrum(m, db);
	assert_memory_equal(db, before, sizeof(db));
	lathe_meter_spectrum_pause(m, false);
	lathe_meter_spectrum(m, db);
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		assert_float_equal(db[i], -140.0, 0.0);
	tone(&g, 100.0, -6.0, 0.5);
	tone(&gr, 100.0, -6.0, 0.5);
	lathe_meter_spectrum(m, db);
	lathe_meter_spectrum(ref, want);
	int p = nearest_point(100.0);
	assert_int_equal(highest_point(db), p);
	for (int i = p - 3; i <= p + 3; i++)
		assert_float_equal(db[i], want[i], 1e-3);
	/* The never-paused meter still shows 1 kHz falling at 20 dB/s; the
	 * resumed one has none of it. */
	assert_true(db[nearest_point(1000.0)] < -80.0);
	lathe_meter_free(m);
	lathe_meter_free(ref);
}

/* ---- robustness ---------------------------------------------------------- */

static void assert_no_nan(const LatheMeterReading *r)
{
	const float *f = (const float *)r;
	/* Every field before `seconds` is a float. */
	for (size_t i = 0; i < offsetof(LatheMeterReading, seconds) / sizeof(float); i++)
		if (isnan(f[i]))
			fail_msg("reading field %zu is NaN", i);
	assert_false(isnan(r->seconds));
}

static void test_non_finite_input(void **state)
{
	(void)state;
	/* A tone with NaN and infinities sprinkled in, and the same tone with
	 * zeros in their place: the readings are identical. */
	const int frames = 5 * (int)RATE;
	float *bad = malloc(sizeof(float) * 2 * frames);
	float *zero = malloc(sizeof(float) * 2 * frames);
	uint32_t seed = 7;
	for (int i = 0; i < 2 * frames; i++) {
		float v = (float)(0.3 * sin(2 * M_PI * 1000.0 * (i / 2) / RATE));
		bad[i] = zero[i] = v;
		uint32_t pick = (uint32_t)(test_noise(&seed) * 1000.0f + 1000.0f);
		if (pick < 20) {
			bad[i] = pick < 7 ? NAN : pick < 14 ? INFINITY : -INFINITY;
			zero[i] = 0.0f;
		}
	}
	LatheMeter *a = lathe_meter_new(RATE, 2, true), *b = lathe_meter_new(RATE, 2, true);
	lathe_meter_feed(a, bad, (size_t)frames);
	lathe_meter_feed(b, zero, (size_t)frames);
	LatheMeterReading ra = reading(a), rb = reading(b);
	assert_no_nan(&ra);
	assert_memory_equal(&ra, &rb, sizeof(ra));
	float da[LATHE_SPECTRUM_POINTS], dz[LATHE_SPECTRUM_POINTS];
	lathe_meter_spectrum(a, da);
	lathe_meter_spectrum(b, dz);
	assert_memory_equal(da, dz, sizeof(da));

	/* Only non-finite samples: silence, every level -inf, no NaN. */
	for (int i = 0; i < 2 * frames; i++)
		bad[i] = (i & 1) ? NAN : INFINITY;
	LatheMeter *c = lathe_meter_new(RATE, 2, true);
	lathe_meter_feed(c, bad, (size_t)frames);
	LatheMeterReading rc = reading(c);
	assert_no_nan(&rc);
	assert_true(isinf(rc.integrated) && isinf(rc.momentary) && isinf(rc.true_peak_max));
	assert_true(isinf(rc.psr) && isinf(rc.plr) && isinf(rc.lra));
	assert_float_equal(rc.correlation, 0.0, 0.0);
	lathe_meter_spectrum(c, da);
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		assert_float_equal(da[i], -140.0, 0.0);

	/* A fresh meter read at once: nothing to measure, still no NaN. */
	LatheMeter *d = lathe_meter_new(RATE, 2, false);
	LatheMeterReading rd = reading(d);
	assert_no_nan(&rd);
	assert_true(isinf(rd.momentary) && isinf(rd.short_term) && isinf(rd.psr));

	free(bad);
	free(zero);
	lathe_meter_free(a);
	lathe_meter_free(b);
	lathe_meter_free(c);
	lathe_meter_free(d);
}

/* The same programme (pink noise and a tone, with a level change) fed in
 * chunks of 1, 7 and 4096 frames and in one piece reads the same. */
static void test_chunk_sizes(void **state)
{
	(void)state;
	const int frames = 12 * (int)RATE;
	float *buf = malloc(sizeof(float) * 2 * frames);
	TestPink p[2] = { { .seed = 1 }, { .seed = 2 } };
	for (int i = 0; i < frames; i++) {
		float gain = i < frames / 2 ? 1.0f : 0.3f;
		float t = (float)(0.2 * sin(2 * M_PI * 220.0 * i / RATE));
		buf[2 * i] = gain * (test_pink(&p[0]) + t);
		buf[2 * i + 1] = gain * (test_pink(&p[1]) + t);
	}
	LatheMeter *whole = lathe_meter_new(RATE, 2, false);
	lathe_meter_feed(whole, buf, (size_t)frames);
	LatheMeterReading ref = reading(whole);
	assert_true(isfinite(ref.integrated));
	const size_t chunks[3] = { 1, 7, 4096 };
	for (int k = 0; k < 3; k++) {
		LatheMeter *m = lathe_meter_new(RATE, 2, false);
		for (size_t at = 0; at < (size_t)frames; at += chunks[k]) {
			size_t n = (size_t)frames - at < chunks[k] ? (size_t)frames - at : chunks[k];
			lathe_meter_feed(m, buf + 2 * at, n);
		}
		LatheMeterReading r = reading(m);
		print_message("chunks of %4zu: integrated %+.4f LU, LRA %+.4f LU, true peak %+.4f dB off\n",
			      chunks[k], r.integrated - ref.integrated, r.lra - ref.lra,
			      r.true_peak_max - ref.true_peak_max);
		assert_float_equal(r.integrated, ref.integrated, 0.01);
		assert_float_equal(r.lra, ref.lra, 0.01);
		assert_float_equal(r.momentary_max, ref.momentary_max, 0.01);
		assert_float_equal(r.short_term_max, ref.short_term_max, 0.01);
		assert_float_equal(r.true_peak_max, ref.true_peak_max, 0.01);
		assert_float_equal(r.sample_peak_max, ref.sample_peak_max, 0.0);
		lathe_meter_free(m);
	}
	lathe_meter_free(whole);
	free(buf);
}

/* BS.1770 sums channels: one channel of a -23 dBFS tone is 3 dB below two. */
static void test_mono(void **state)
{
	(void)state;
	LatheMeter *m = lathe_meter_new(RATE, 1, false);
	assert_non_null(m);
	Gen g = gen(m, 1, RATE);
	tone(&g, 1000.0, -23.0, 20.0);
	LatheMeterReading r = reading(m);
	check_near("mono -23 dBFS integrated", r.integrated, -26.0, 0.1, 0.1);
	check_near("mono -23 dBFS momentary", r.momentary, -26.0, 0.1, 0.1);
	check_near("mono -23 dBFS short-term", r.short_term, -26.0, 0.1, 0.1);
	assert_float_equal(r.sample_peak[0], -23.0, 0.01);
	assert_float_equal(r.sample_peak[0], r.sample_peak[1], 0.0);
	assert_float_equal(r.true_peak[0], r.true_peak[1], 0.0);
	assert_float_equal(r.sample_peak_hold[0], r.sample_peak_hold[1], 0.0);
	assert_float_equal(r.true_peak_hold[0], r.true_peak_hold[1], 0.0);
	lathe_meter_free(m);
}

static void test_new_rejects(void **state)
{
	(void)state;
	assert_null(lathe_meter_new(48000.0, 3, false));
	assert_null(lathe_meter_new(48000.0, 0, false));
	assert_null(lathe_meter_new(0.0, 2, false));
	assert_null(lathe_meter_new(NAN, 2, false));
	assert_null(lathe_meter_new(44100.5, 2, false));
	lathe_meter_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3341_cases_1_2),
		cmocka_unit_test(test_3341_cases_3_4_5),
		cmocka_unit_test(test_3341_true_peak),
		cmocka_unit_test(test_3342_lra),
		cmocka_unit_test(test_peaks_and_holds),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_correlation),
		cmocka_unit_test(test_spectrum_points),
		cmocka_unit_test(test_spectrum_full_scale),
		cmocka_unit_test(test_spectrum_bass_notes),
		cmocka_unit_test(test_spectrum_semitones_resolved),
		cmocka_unit_test(test_spectrum_pause),
		cmocka_unit_test(test_non_finite_input),
		cmocka_unit_test(test_chunk_sizes),
		cmocka_unit_test(test_mono),
		cmocka_unit_test(test_new_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
