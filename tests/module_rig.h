/* lathe tests — scaffolding shared by the per-module test programs: a
 * module built from (param, value) pairs, run in sub-block-aligned pieces
 * as the chain runs it, noise, test tones and a tone meter, a reference
 * biquad step, and the bodies of the split-invariance and non-finite
 * tests. Header-only, like signals.h (whose noise and dB it uses).
 *
 * It includes <complex.h>: a program that wants fftw3.h's own
 * fftwf_complex (float[2]) includes fftw3.h before this header. */
#ifndef LATHE_TEST_MODULE_RIG_H
#define LATHE_TEST_MODULE_RIG_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"
#include "dsp/dsp.h"
#include "dsp/module.h"
#include "signals.h"

/* ---- building and running a module --------------------------------------- */

/* A module with the registry's defaults and then (param, value) pairs, the
 * values as doubles, ended by -1. */
static inline void *rig_make(const LatheModuleClass *k, double rate, ...)
{
	void *m = k->create(rate);
	assert_non_null(m);
	va_list ap;
	va_start(ap, rate);
	for (int p = va_arg(ap, int); p >= 0; p = va_arg(ap, int))
		k->set(m, p, (float)va_arg(ap, double));
	va_end(ap);
	return m;
}

/* Module m after reset: at rest with every setting in place. */
static inline void *rig_at_rest(const LatheModuleClass *k, void *m)
{
	k->reset(m);
	return m;
}

/* rig_make, then reset. */
#define rig_make_at_rest(k, ...) rig_at_rest((k), rig_make((k), __VA_ARGS__))

/* A piece of at most len frames from frame i of n that does not cross a
 * sub-block boundary (nor the end). */
static inline int rig_piece(int i, int n, int len)
{
	int room = LATHE_SUBBLOCK - i % LATHE_SUBBLOCK;
	if (len > room)
		len = room;
	if (len > n - i)
		len = n - i;
	return len;
}

/* Process in sub-block-aligned pieces, as the chain does: whole sub-blocks
 * (split 32), single frames (split 1), or random pieces (split 0, lengths
 * 1..32 from rand_r(seed); seed may be NULL for split > 0). */
static inline void rig_run(const LatheModuleClass *k, void *m, float *l, float *r, int n, int split,
			   unsigned *seed)
{
	for (int i = 0; i < n;) {
		int len = split > 0 ? split : 1 + (int)(rand_r(seed) % LATHE_SUBBLOCK);
		len = rig_piece(i, n, len);
		k->process(m, l + i, r + i, len);
		i += len;
	}
}

/* The same with the random lengths from a 32-bit LCG (its top five bits),
 * the sequence the limiter and dither tests were written with. */
static inline void rig_run_lcg(const LatheModuleClass *k, void *m, float *l, float *r, int n,
			       int split, uint32_t *seed)
{
	for (int i = 0; i < n;) {
		int len = split;
		if (split <= 0) {
			*seed = *seed * 1664525u + 1013904223u;
			len = 1 + (int)(*seed >> 27);
		}
		len = rig_piece(i, n, len);
		k->process(m, l + i, r + i, len);
		i += len;
	}
}

/* Whole sub-blocks (the last one may be short). */
static inline void rig_run_whole(const LatheModuleClass *k, void *m, float *l, float *r, int n)
{
	rig_run(k, m, l, r, n, LATHE_SUBBLOCK, NULL);
}

/* ---- signals and measurements -------------------------------------------- */

/* test_noise's sequence in double, for tests that scale it before rounding
 * to float. */
static inline double rig_noise_d(uint32_t *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return (double)(int32_t)*seed / 2147483648.0;
}

/* amp times test_noise into l and its copy l2, then r and r2, sample by
 * sample (l first). */
static inline void rig_fill_noise(float *l, float *l2, float *r, float *r2, int n, float amp,
				  uint32_t *seed)
{
	for (int i = 0; i < n; i++) {
		l[i] = l2[i] = amp * test_noise(seed);
		r[i] = r2[i] = amp * test_noise(seed);
	}
}

/* Adds a sine at f Hz and db dBFS peak to x[0..n-1]. */
static inline void rig_add_tone(float *x, int n, double f, double db, double rate)
{
	double a = pow(10.0, db / 20.0);
	for (int i = 0; i < n; i++)
		x[i] += (float)(a * sin(2.0 * M_PI * f * i / rate));
}

/* Level in dB of the component at f (a sine of peak A reads 20 log10 A),
 * by correlation over [from, from + len), len a whole number of periods or
 * long enough that the leak of other tones is negligible. */
static inline double rig_tone_db(const float *x, int from, int len, double f, double rate)
{
	double complex acc = 0.0;
	for (int i = from; i < from + len; i++)
		acc += x[i] * cexp(-I * 2.0 * M_PI * f * i / rate);
	return 20.0 * log10(2.0 * cabs(acc) / len + 1e-30);
}

/* One direct form I step in the order the input and imager modules use:
 * the previous output enters last. */
static inline double rig_ref_tick(const LatheBiquad *c, LatheBiquadState *st, double x)
{
	double y = (c->b0 * x + c->b1 * st->x1 + c->b2 * st->x2 - c->a2 * st->y2) - c->a1 * st->y1;
	st->x2 = st->x1;
	st->x1 = x;
	st->y2 = st->y1;
	st->y1 = y;
	return y;
}

/* The output of a run given non-finite samples (al, ar) is finite and, bit
 * for bit, that of the same run given zeros in their place (bl, br). */
static inline void rig_assert_as_silence(const float *al, const float *ar, const float *bl,
					 const float *br, int n)
{
	for (int i = 0; i < n; i++)
		assert_true(isfinite(al[i]) && isfinite(ar[i]));
	assert_memory_equal(al, bl, (size_t)n * sizeof *al);
	assert_memory_equal(ar, br, (size_t)n * sizeof *ar);
}

/* Whole sub-blocks, single frames and random pieces (rig_run_lcg, each
 * from seed) give the same bits. m[0..2] are fresh modules set up alike;
 * each processes a copy of in_l/in_r (n frames, whole sub-blocks), sub-block
 * by sub-block, with hook(m, b) (if not NULL) before sub-block b, and is
 * destroyed. */
static inline void rig_lcg_split_invariance(const LatheModuleClass *k, void *m[3],
					    const float *in_l, const float *in_r, int n,
					    uint32_t seed, void (*hook)(void *m, int b))
{
	static const int sizes[3] = { LATHE_SUBBLOCK, 1, 0 };
	float *out[3][2];
	for (int s = 0; s < 3; s++) {
		out[s][0] = malloc((size_t)n * sizeof(float));
		out[s][1] = malloc((size_t)n * sizeof(float));
		assert_true(out[s][0] && out[s][1]);
		memcpy(out[s][0], in_l, (size_t)n * sizeof(float));
		memcpy(out[s][1], in_r, (size_t)n * sizeof(float));
		uint32_t rs = seed;
		for (int b = 0; b < n / LATHE_SUBBLOCK; b++) {
			if (hook)
				hook(m[s], b);
			int at = b * LATHE_SUBBLOCK;
			rig_run_lcg(k, m[s], out[s][0] + at, out[s][1] + at, LATHE_SUBBLOCK,
				    sizes[s], &rs);
		}
		k->destroy(m[s]);
	}
	for (int s = 1; s < 3; s++) {
		assert_memory_equal(out[0][0], out[s][0], (size_t)n * sizeof(float));
		assert_memory_equal(out[0][1], out[s][1], (size_t)n * sizeof(float));
	}
	for (int s = 0; s < 3; s++) {
		free(out[s][0]);
		free(out[s][1]);
	}
}

/* Non-finite samples in frames 100..199 of (l0, r0) and zeros there in its
 * copy (l1, r1), n frames: a on the first and b (set up alike) on the copy,
 * in whole sub-blocks, give finite output and the same bits. Destroys a
 * and b. */
static inline void rig_burst_as_silence(const LatheModuleClass *k, void *a, void *b, float *l0,
					float *r0, float *l1, float *r1, int n)
{
	for (int i = 100; i < 200; i++) {
		l0[i] = (i & 1) ? NAN : INFINITY;
		r0[i] = -INFINITY;
		l1[i] = r1[i] = 0.0f;
	}
	rig_run_whole(k, a, l0, r0, n);
	rig_run_whole(k, b, l1, r1, n);
	rig_assert_as_silence(l0, r0, l1, r1, n);
	k->destroy(a);
	k->destroy(b);
}

/* ---- a test program with parameter changes (comp, de-esser, multiband) --- */

typedef struct {
	int at, param; /* at: a multiple of LATHE_SUBBLOCK */
	float v;
} RigChange;

/* A module's test program: its input signal and its parameter changes. */
typedef struct {
	const LatheModuleClass *k;
	bool at_rest; /* reset the module after create(), as rig_make_at_rest */
	void (*signal)(float *l, float *r, int n, double rate);
	const RigChange *changes;
	size_t n_changes;
} RigProgram;

/* Noise and two tones (f_l on the left, f_r on the right) in level jumps
 * every 3000 frames (0.9, 0.02, 0.3). */
static inline void rig_bursts(float *l, float *r, int n, double rate, double f_l, double f_r)
{
	unsigned seed = 11;
	for (int i = 0; i < n; i++) {
		double env = (i / 3000) % 3 == 0 ? 0.9 : (i / 3000) % 3 == 1 ? 0.02 : 0.3;
		double noise = (double)rand_r(&seed) / RAND_MAX * 2.0 - 1.0;
		l[i] = (float)(env * (0.5 * noise + 0.5 * sin(2.0 * M_PI * f_l * i / rate)));
		r[i] = (float)(env * (0.3 * noise + 0.6 * sin(2.0 * M_PI * f_r * i / rate)));
	}
}

static inline void *rig_program_module(const RigProgram *p, double rate)
{
	void *m = p->k->create(rate);
	assert_non_null(m);
	if (p->at_rest)
		p->k->reset(m);
	return m;
}

/* Process with the program's changes at their frames, in pieces of split. */
static inline void rig_run_program(const RigProgram *p, void *m, float *l, float *r, int n,
				   int split, unsigned *seed)
{
	size_t next = 0;
	for (int at = 0; at < n; at += LATHE_SUBBLOCK) {
		while (next < p->n_changes && p->changes[next].at == at) {
			p->k->set(m, p->changes[next].param, p->changes[next].v);
			next++;
		}
		rig_run(p->k, m, l + at, r + at, n - at < LATHE_SUBBLOCK ? n - at : LATHE_SUBBLOCK,
			split, seed);
	}
}

/* Whole sub-blocks, single frames and random pieces give the same bits, at
 * 44.1 and 96 kHz. */
static inline void rig_program_split_invariance(const RigProgram *p)
{
	static const double rates[] = { 44100.0, 96000.0 };
	enum { N = 24000 };
	float *l[3], *r[3];
	for (int k = 0; k < 3; k++) {
		l[k] = malloc(N * sizeof *l[k]);
		r[k] = malloc(N * sizeof *r[k]);
	}
	for (int ri = 0; ri < 2; ri++) {
		unsigned seed = 3;
		static const int splits[3] = { LATHE_SUBBLOCK, 1, 0 };
		for (int k = 0; k < 3; k++) {
			void *m = rig_program_module(p, rates[ri]);
			p->signal(l[k], r[k], N, rates[ri]);
			rig_run_program(p, m, l[k], r[k], N, splits[k], &seed);
			p->k->destroy(m);
		}
		/* Bit-identical: the brief's rule. */
		for (int k = 1; k < 3; k++) {
			assert_memory_equal(l[0], l[k], N * sizeof *l[0]);
			assert_memory_equal(r[0], r[k], N * sizeof *r[0]);
		}
	}
	for (int k = 0; k < 3; k++) {
		free(l[k]);
		free(r[k]);
	}
}

/* NaN, Inf and fault-sized samples in the program act exactly like
 * silence (at 48 kHz, in random pieces). */
static inline void rig_program_non_finite(const RigProgram *p)
{
	const double rate = 48000.0;
	enum { N = 24000 };
	float *l[2], *r[2];
	for (int k = 0; k < 2; k++) {
		l[k] = malloc(N * sizeof *l[k]);
		r[k] = malloc(N * sizeof *r[k]);
		p->signal(l[k], r[k], N, rate);
	}
	static const int at[] = { 100, 101, 5000, 5001, 5002, 9000, 12345 };
	const float bad[] = { NAN, INFINITY, -INFINITY, 1e30f, NAN, -NAN, INFINITY };
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		l[0][at[i]] = bad[i];
		r[0][at[i] + (i % 2)] = bad[(i + 1) % 7];
		l[1][at[i]] = 0.0f;
		r[1][at[i] + (i % 2)] = 0.0f;
	}
	for (int k = 0; k < 2; k++) {
		void *m = rig_program_module(p, rate);
		unsigned seed = 5;
		rig_run_program(p, m, l[k], r[k], N, 0, &seed);
		p->k->destroy(m);
	}
	rig_assert_as_silence(l[0], r[0], l[1], r[1], N);
	for (int k = 0; k < 2; k++) {
		free(l[k]);
		free(r[k]);
	}
}

/* ---- a render with events (input, imager, saturate) ------------------------ */

/* A module run with event(m, 0), event(m, 1), ... at frames 0, every,
 * 2 every, ... (every a multiple of the sub-block). */
typedef struct {
	const LatheModuleClass *k;
	double rate;           /* the module: create(rate) ... */
	void *(*make)(void);   /* ... or make(), if not NULL */
	uint32_t split_seed;   /* start of the LCG that draws mode 2's pieces */
	int every;
	void (*event)(void *m, int ev);
} RigRender;

/* Renders n frames in place through a fresh module, in calls by mode:
 * 0 = 32 frames, 1 = single frames, 2 = pseudo-random 1..32. Never crosses
 * the next event: set() must land at the same frame. */
static inline void rig_render(const RigRender *p, int mode, float *l, float *r, int n)
{
	void *m = p->make ? p->make() : p->k->create(p->rate);
	uint32_t seed = p->split_seed;
	int i = 0, next = 0, ev = 0;
	while (i < n) {
		if (i == next) {
			p->event(m, ev);
			ev++;
			next += p->every;
		}
		int len = mode == 0 ? 32 : 1;
		if (mode == 2) {
			seed = seed * 1664525u + 1013904223u;
			len = 1 + (int)((seed >> 16) % 32);
		}
		if (len > next - i)
			len = next - i;
		if (len > n - i)
			len = n - i;
		p->k->process(m, l + i, r + i, len);
		i += len;
	}
	p->k->destroy(m);
}

/* The three modes on the same n frames of amp times test_noise from seed
 * (l then r, sample by sample) give the same bits. */
static inline void rig_render_split_invariance(const RigRender *p, int n, uint32_t seed, float amp)
{
	float *l[3], *r[3];
	for (int m = 0; m < 3; m++) {
		l[m] = malloc(n * sizeof(float));
		r[m] = malloc(n * sizeof(float));
		uint32_t s = seed;
		for (int i = 0; i < n; i++) {
			l[m][i] = amp * test_noise(&s);
			r[m][i] = amp * test_noise(&s);
		}
		rig_render(p, m, l[m], r[m], n);
	}
	for (int m = 1; m < 3; m++) {
		assert_memory_equal(l[0], l[m], n * sizeof(float));
		assert_memory_equal(r[0], r[m], n * sizeof(float));
	}
	for (int m = 0; m < 3; m++) {
		free(l[m]);
		free(r[m]);
	}
}

#endif
