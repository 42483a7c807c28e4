/* lathe — promises every module keeps, checked on all nine through the
 * module interface: no allocation or lock on the real-time calls, output
 * independent of how the signal is split into calls, and recovery from
 * NaN/Inf. The real-time calls of the chain and the engine are checked
 * here too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "session.h"
#include "signals.h"

/* --- allocation and lock counting -----------------------------------------
 * This program replaces the allocator's entry points (and pthread's mutex
 * lock) with counting wrappers around glibc's own, so any call made while
 * `counting` is set is seen, wherever it comes from (our code, libm, FFTW).
 *
 * Not under AddressSanitizer (make check-sanitize): ASan must own the
 * allocator, and wrapping glibc's would pair ASan's memalign with glibc's
 * free. The plain build (make check) runs this check. */
#ifndef __SANITIZE_ADDRESS__
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static int (*real_mutex_lock)(pthread_mutex_t *);

static volatile int counting;
static volatile long forbidden_calls;

void *malloc(size_t n)
{
	forbidden_calls += counting;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
	forbidden_calls += counting;
	return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
	forbidden_calls += counting;
	return __libc_realloc(p, n);
}
void free(void *p)
{
	forbidden_calls += counting && p;
	__libc_free(p);
}
int posix_memalign(void **out, size_t align, size_t n)
{
	forbidden_calls += counting;
	*out = __libc_memalign(align, n);
	return *out ? 0 : 12; /* ENOMEM */
}
void *aligned_alloc(size_t align, size_t n)
{
	forbidden_calls += counting;
	return __libc_memalign(align, n);
}
void *memalign(size_t align, size_t n)
{
	forbidden_calls += counting;
	return __libc_memalign(align, n);
}
int pthread_mutex_lock(pthread_mutex_t *m)
{
	forbidden_calls += counting;
	return real_mutex_lock(m);
}
#endif

/* --- modules in an active state -------------------------------------------
 * Each module with settings that make it do real work (defaults often make
 * a module neutral), from the registry's paths. */
static const char *const active[] = {
	"/input/trim 3", "/input/balance 1", "/input/ms_balance -1", "/input/hpf on",
	"/eq/1/enable on", "/eq/2/enable on", "/eq/2/gain 4", "/eq/3/enable on", "/eq/3/gain -6",
	"/eq/4/enable on", "/eq/4/gain 3", "/eq/4/channels mid", "/eq/5/enable on",
	"/eq/5/gain 2", "/eq/5/channels side", "/eq/6/enable on", "/eq/6/type notch",
	"/eq/7/enable on", "/eq/7/gain 3", "/eq/8/enable on", "/eq/8/freq 15000",
	"/comp/threshold -30", "/comp/ratio 4",
	"/multiband/1/ratio 3", "/multiband/2/ratio 2", "/multiband/3/ratio 2",
	"/multiband/4/ratio 4", "/multiband/4/threshold -40",
	"/deesser/threshold -50", "/deesser/range 9",
	"/saturate/drive 12", "/saturate/mix 70", "/saturate/type tube",
	"/imager/width 150", "/imager/bass_mono on",
	"/limiter/input_gain 12", "/limiter/ceiling -1",
	"/dither/shaping shaped",
};

static void *active_module(LatheModuleId m, double rate)
{
	const LatheModuleClass *cls = lathe_module_classes[m];
	void *dsp = cls->create(rate);
	assert_non_null(dsp);
	LatheSettings s;
	lathe_settings_default(&s);
	for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++) {
		char path[64], value[32], err[256];
		bool clamped;
		assert_int_equal(sscanf(active[i], "%63s %31s", path, value), 2);
		if (!lathe_settings_assign(&s, path, value, &clamped, err, sizeof(err)))
			fail_msg("%s", err);
	}
	int first = lathe_module_first_param(m);
	for (int k = 1; k < cls->n_params; k++)
		cls->set(dsp, k, s.value[first + k]);
	if (cls->maintain) {
		s.value[first] = 1.0f;
		cls->maintain(dsp, s.value + first);
	}
	cls->reset(dsp);
	return dsp;
}

/* Run a module over l/r in calls of the lengths given by `split`. */
static void run_module(const LatheModuleClass *cls, void *dsp, float *l, float *r, int n,
		       uint32_t split)
{
	uint32_t seed = split;
	for (int i = 0; i < n;) {
		int len = LATHE_SUBBLOCK;
		if (split == 1)
			len = 1;
		else if (split > 1)
			len = 1 + (int)((seed = seed * 1664525u + 1013904223u) >> 27); /* 1..32 */
		if (len > n - i)
			len = n - i;
		cls->process(dsp, l + i, r + i, len);
		i += len;
	}
}

static void noise(float *l, float *r, int n)
{
	TestPink a = { .seed = 7 }, b = { .seed = 8 };
	for (int i = 0; i < n; i++) {
		l[i] = 2.0f * test_pink(&a);
		r[i] = 2.0f * test_pink(&b);
	}
}

static void test_split_invariance(void **state)
{
	(void)state;
	const int n = 48000;
	float *l[3], *r[3];
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		const LatheModuleClass *cls = lathe_module_classes[m];
		const uint32_t splits[3] = { 0, 1, 99 }; /* whole sub-blocks, single frames, random */
		for (int k = 0; k < 3; k++) {
			l[k] = malloc(n * sizeof(float));
			r[k] = malloc(n * sizeof(float));
			noise(l[k], r[k], n);
			void *dsp = active_module((LatheModuleId)m, 48000.0);
			run_module(cls, dsp, l[k], r[k], n, splits[k]);
			cls->destroy(dsp);
		}
		for (int k = 1; k < 3; k++) {
			if (memcmp(l[0], l[k], n * sizeof(float)) || memcmp(r[0], r[k], n * sizeof(float)))
				fail_msg("%s: output depends on the call lengths", cls->name);
		}
		for (int k = 0; k < 3; k++)
			free(l[k]), free(r[k]);
	}
}

/* NaN and Inf straight into each module: never in the output, and one
 * second later the module is where it would be had they been silence.
 * Bound 1e-4 (-80 dBFS): a module that resets its state on bad input
 * recovers through its own time constants (at most a few hundred ms
 * here), which leaves less than that after one second. */
static void test_nan_recovery(void **state)
{
	(void)state;
	const double rate = 48000.0;
	const int n = 3 * 48000, bad_from = 4800, bad_to = 5280;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	float *zl = malloc(n * sizeof(float)), *zr = malloc(n * sizeof(float));
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		const LatheModuleClass *cls = lathe_module_classes[m];
		noise(l, r, n);
		memcpy(zl, l, n * sizeof(float));
		memcpy(zr, r, n * sizeof(float));
		for (int i = bad_from; i < bad_to; i++) {
			l[i] = (i & 1) ? NAN : INFINITY;
			r[i] = (i & 2) ? -INFINITY : NAN;
			zl[i] = zr[i] = 0.0f;
		}
		void *dsp = active_module((LatheModuleId)m, rate), *ref = active_module((LatheModuleId)m, rate);
		run_module(cls, dsp, l, r, n, 0);
		run_module(cls, ref, zl, zr, n, 0);
		for (int i = 0; i < n; i++)
			if (!isfinite(l[i]) || !isfinite(r[i]))
				fail_msg("%s: non-finite output at frame %d", cls->name, i);
		int from = bad_to + (int)rate + cls->latency(dsp);
		double d = fmax(test_peak_diff(l + from, zl + from, n - from),
				test_peak_diff(r + from, zr + from, n - from));
		if (d > 1e-4)
			fail_msg("%s: %.1f dBFS away from normal one second after NaN", cls->name,
				 test_db(d));
		cls->destroy(dsp);
		cls->destroy(ref);
	}
	free(l), free(r), free(zl), free(zr);
}

#ifndef __SANITIZE_ADDRESS__
/* Every real-time call of every module, and of the chain, with parameters
 * moving all the time: not one allocation or mutex lock. */
static void test_realtime_calls_do_not_allocate(void **state)
{
	(void)state;
	enum { N = 256 };
	float l[N], r[N];
	noise(l, r, N);
	/* The hooks are live: an allocation made while counting is seen. */
	counting = 1;
	void *volatile probe = malloc(16);
	free(probe);
	counting = 0;
	assert_int_equal(forbidden_calls, 2);
	forbidden_calls = 0;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		const LatheModuleClass *cls = lathe_module_classes[m];
		void *dsp = active_module((LatheModuleId)m, 48000.0);
		int first = lathe_module_first_param((LatheModuleId)m);
		float gr[LATHE_MAX_GR];
		counting = 1;
		for (int round = 0; round < 40; round++) {
			for (int k = 1; k < cls->n_params; k++) {
				const LatheParam *p = &lathe_params[first + k];
				cls->set(dsp, k, lathe_param_from_norm(p, (round % 5) / 4.0));
			}
			run_module(cls, dsp, l, r, N, 0);
			cls->latency(dsp);
			if (cls->gain_reduction)
				cls->gain_reduction(dsp, gr);
			if (round == 20)
				cls->reset(dsp);
		}
		counting = 0;
		if (forbidden_calls)
			fail_msg("%s: %ld allocations or locks on the audio thread", cls->name,
				 forbidden_calls);
		cls->destroy(dsp);
	}

	LatheSettings s;
	char err[256];
	if (!lathe_preset_load("share/presets/full.preset", &s, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	LatheChain *c = lathe_chain_new(48000.0);
	lathe_chain_apply(c, &s);
	lathe_chain_maintain(c, s.value);
	lathe_chain_snap(c);
	LatheModuleId reversed[LATHE_MODULE_COUNT];
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		reversed[k] = (LatheModuleId)(LATHE_MODULE_COUNT - 1 - k);
	counting = 1;
	for (int round = 0; round < 200; round++) {
		int id = (round * 37) % LATHE_CHAIN_PARAM_COUNT;
		lathe_chain_set(c, id, lathe_param_from_norm(&lathe_params[id], (round % 3) / 2.0));
		lathe_chain_process(c, l, r, l, r, N);
		lathe_chain_latency(c);
		float gr[LATHE_MAX_GR];
		lathe_chain_gain_reduction(c, LATHE_MODULE_MULTIBAND, gr);
		if (round == 100)
			lathe_chain_set_order(c, reversed);
		if (round == 150)
			lathe_chain_apply(c, &s);
	}
	counting = 0;
	assert_int_equal(forbidden_calls, 0);
	lathe_chain_free(c);

	/* The engine: two full chains, every console control moving, both
	 * chains edited and reordered, the meter ring filling up unread. */
	LatheEngine *e = lathe_engine_new(48000.0);
	for (int k = 0; k < 2; k++) {
		lathe_engine_apply(e, (LatheChainId)k, &s);
		lathe_engine_maintain(e, (LatheChainId)k, s.value);
	}
	lathe_engine_snap(e);
	float ml[N], mr[N], ol[N], or[N];
	LatheEngineStatus st;
	counting = 1;
	for (int round = 0; round < 400; round++) {
		int k = round % LATHE_CONSOLE_PARAM_COUNT;
		const LatheParam *p = &lathe_params[LATHE_CONSOLE_ID(k)];
		lathe_engine_set_console(e, k, lathe_param_from_norm(p, (round % 3) / 2.0));
		int id = (round * 37) % LATHE_CHAIN_PARAM_COUNT;
		lathe_engine_set_chain(e, (LatheChainId)(round % 2), id,
				       lathe_param_from_norm(&lathe_params[id], (round % 3) / 2.0));
		lathe_engine_process(e, l, r, r, l, ol, or, ml, mr, N);
		lathe_engine_latency(e);
		lathe_engine_status(e, &st);
		if (round == 200)
			lathe_engine_set_order(e, LATHE_CHAIN_B, reversed);
		if (round == 300)
			lathe_engine_apply(e, LATHE_CHAIN_A, &s);
	}
	counting = 0;
	assert_true(st.dropped > 0); /* the ring did fill */
	assert_int_equal(forbidden_calls, 0);
	lathe_engine_free(e);
}
#endif

int main(void)
{
#ifndef __SANITIZE_ADDRESS__
	real_mutex_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
	if (!real_mutex_lock)
		return 1;
#else
	printf("allocation counting is not built under AddressSanitizer: make check runs it\n");
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_nan_recovery),
#ifndef __SANITIZE_ADDRESS__
		cmocka_unit_test(test_realtime_calls_do_not_allocate),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
