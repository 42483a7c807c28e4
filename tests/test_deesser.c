/* lathe — tests of the split-band de-esser (src/dsp/deesser.c): a tone at
 * the frequency is turned down by the range, lower content is left alone,
 * no reduction is exact transparency, listen, block-split invariance and
 * recovery from non-finite input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"
#include "dsp/deesser.h"
#include "dsp/dsp.h"
#include "module_rig.h"

#define SB LATHE_SUBBLOCK

static const LatheModuleClass *const K = &lathe_deesser_class;

/* De-essers are made (rig_make_at_rest) with the registry's defaults
 * (6.5 kHz, Q 1.5, -30 dB, 6 dB) and then the given settings, at rest. */

/* Level change (dB) of a tone at f and db dBFS, both channels, after 0.5 s. */
static double tone_gain(void *d, double rate, double f, double db)
{
	int n = (int)rate, from = n / 2;
	float *l = calloc((size_t)n, sizeof *l), *r = calloc((size_t)n, sizeof *r);
	rig_add_tone(l, n, f, db, rate);
	memcpy(r, l, (size_t)n * sizeof *r);
	rig_run(K, d, l, r, n, SB, NULL);
	double g = rig_tone_db(l, from, n - from, f, rate) - db;
	free(l);
	free(r);
	return g;
}

/* A tone at the frequency, 20 dB over the threshold, is turned down by the
 * range; one two octaves below at the same level is left alone; at several
 * frequencies, ranges and rates. */
static void test_reduction(void **state)
{
	(void)state;
	static const double rates[] = { 44100.0, 48000.0, 96000.0 };
	static const double freqs[] = { 2000.0, 6500.0, 9000.0 };
	static const double ranges[] = { 3.0, 6.0, 12.0 };
	for (int ri = 0; ri < 3; ri++)
		for (int fi = 0; fi < 3; fi++)
			for (int gi = 0; gi < 3; gi++) {
				double rate = rates[ri], f = freqs[fi], range = ranges[gi];
				void *d = rig_make_at_rest(K, rate, LATHE_DEESSER_FREQ, f,
							   LATHE_DEESSER_RANGE, range, -1);
				double at = tone_gain(d, rate, f, -10.0);
				float gr;
				assert_int_equal(K->gain_reduction(d, &gr), 1);
				K->reset(d);
				double below = tone_gain(d, rate, f / 4.0, -10.0);
				print_message("%.0f Hz at %.0f Hz, range %g: %+.3f dB at f, %+.4f dB two "
					      "octaves below\n",
					      f, rate, range, at, below);
				/* At the centre the band is the whole tone (0 dB, zero
				 * phase): out = g x. The reduction is capped at the
				 * range, so it does not ripple; 0.05 dB covers the
				 * residual ripple of the band's envelope at 2 kHz. */
				assert_true(fabs(at + range) < 0.05);
				assert_true(fabs(gr - range) < 0.05);
				/* Two octaves below, the band is 30 dB down (two
				 * sections): -40 dBFS in the detector, under the
				 * knee, no reduction at all (0.1 dB is the brief's
				 * bound; the result is exact). */
				assert_true(fabs(below) < 0.1);
				K->destroy(d);
			}
}

/* Below threshold the output is the input, bit for bit. */
static void test_transparent(void **state)
{
	(void)state;
	const double rate = 48000.0;
	enum { N = 48000 };
	float *l = calloc(N, sizeof *l), *r = calloc(N, sizeof *r);
	float *il = calloc(N, sizeof *il), *ir = calloc(N, sizeof *ir);
	rig_add_tone(il, N, 6500.0, -45.0, rate); /* band at -45 dB: under the knee */
	rig_add_tone(il, N, 200.0, -6.0, rate);   /* -6 dBFS, 30 dB down in the band */
	rig_add_tone(ir, N, 7000.0, -40.0, rate);
	memcpy(l, il, N * sizeof *l);
	memcpy(r, ir, N * sizeof *r);
	void *d = rig_make_at_rest(K, rate, -1);
	unsigned seed = 1;
	rig_run(K, d, l, r, N, 0, &seed);
	assert_memory_equal(l, il, N * sizeof *l);
	assert_memory_equal(r, ir, N * sizeof *r);
	float gr;
	K->gain_reduction(d, &gr);
	assert_true(gr == 0.0f);
	K->destroy(d);
	free(l);
	free(r);
	free(il);
	free(ir);
}

/* Listen: the output is the detector band (a tone at the frequency passes
 * at 0 dB, one two octaves down is 30 dB down), reached by a fade. */
static void test_listen(void **state)
{
	(void)state;
	const double rate = 48000.0;
	enum { N = 48000, AT = 9600 };
	float *l[2], *r[2];
	for (int k = 0; k < 2; k++) {
		l[k] = calloc(N, sizeof *l[k]);
		r[k] = calloc(N, sizeof *r[k]);
		rig_add_tone(l[k], N, 6500.0, -50.0, rate); /* under threshold: no reduction */
		rig_add_tone(l[k], N, 1625.0, -20.0, rate);
		memcpy(r[k], l[k], N * sizeof *r[k]);
		void *d = rig_make_at_rest(K, rate, -1);
		rig_run(K, d, l[k], r[k], AT, SB, NULL);
		if (k)
			K->set(d, LATHE_DEESSER_LISTEN, 1.0f);
		rig_run(K, d, l[k] + AT, r[k] + AT, N - AT, SB, NULL);
		K->destroy(d);
	}
	double hi = rig_tone_db(l[1], N / 2, N / 2, 6500.0, rate) + 50.0;
	double lo = rig_tone_db(l[1], N / 2, N / 2, 1625.0, rate) + 20.0;
	print_message("listen: %+.3f dB at 6.5 kHz, %+.2f dB at 1625 Hz\n", hi, lo);
	/* 0.01 dB: the correlation's leak from the other tone over 0.5 s. */
	assert_true(fabs(hi) < 0.01);
	/* Two band-pass sections (Q 1.5) two octaves off, from their analytic
	 * response (about -31 dB); 0.1 dB for the correlation's leak from the
	 * 6.5 kHz tone, 30 dB louder here. */
	LatheBiquad bp = lathe_biquad_bandpass(6500.0, 1.5, rate);
	double want = 40.0 * log10(lathe_biquad_magnitude(&bp, 1625.0, rate));
	assert_true(fabs(lo - want) < 0.1);
	/* The fade: in its first ms the output has moved less than a quarter
	 * of the way (a linear 10 ms fade: a tenth). */
	double first = 0.0, last = 0.0;
	for (int i = AT; i < AT + 48; i++)
		first = fmax(first, fabs(l[1][i] - l[0][i]));
	for (int i = AT + 480; i < AT + 960; i++)
		last = fmax(last, fabs(l[1][i] - l[0][i]));
	assert_true(first < 0.25 * last);
	for (int k = 0; k < 2; k++) {
		free(l[k]);
		free(r[k]);
	}
}

/* ---- invariance and robustness -------------------------------------------- */

static void program(float *l, float *r, int n, double rate)
{
	unsigned seed = 11;
	for (int i = 0; i < n; i++) {
		/* Bursts of noise (sibilance-like) over a steady tone. */
		double env = (i / 2000) % 3 == 0 ? 0.5 : 0.02;
		double noise = (double)rand_r(&seed) / RAND_MAX * 2.0 - 1.0;
		l[i] = (float)(env * noise + 0.3 * sin(2.0 * M_PI * 300.0 * i / rate));
		r[i] = (float)(0.7 * env * noise + 0.3 * sin(2.0 * M_PI * 450.0 * i / rate));
	}
}

static const RigChange changes[] = {
	{ 0, LATHE_DEESSER_THRESHOLD, -40.0f },   { 64, LATHE_DEESSER_THRESHOLD, -41.0f },
	{ 96, LATHE_DEESSER_RANGE, 9.0f },        { 3200, LATHE_DEESSER_FREQ, 5000.0f },
	{ 3232, LATHE_DEESSER_FREQ, 5100.0f },    { 6400, LATHE_DEESSER_Q, 3.0f },
	{ 9600, LATHE_DEESSER_LISTEN, 1.0f },     { 12800, LATHE_DEESSER_LISTEN, 0.0f },
	{ 12832, LATHE_DEESSER_LISTEN, 1.0f },    { 12864, LATHE_DEESSER_LISTEN, 0.0f },
	{ 16000, LATHE_DEESSER_RANGE, 0.0f },
};

/* De-essers at the registry's defaults, at rest, through the program. */
static const RigProgram prog = { &lathe_deesser_class, true, program, changes,
				 sizeof changes / sizeof changes[0] };

static void test_block_split_invariance(void **state)
{
	(void)state;
	rig_program_split_invariance(&prog);
}

/* NaN, Inf and fault-sized samples act exactly like silence. */
static void test_non_finite(void **state)
{
	(void)state;
	rig_program_non_finite(&prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reduction),
		cmocka_unit_test(test_transparent),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_block_split_invariance),
		cmocka_unit_test(test_non_finite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
