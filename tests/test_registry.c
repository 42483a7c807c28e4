/* lathe — the parameter registry is consistent and its conversions exact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "params.h"

/* Every entry sits where the module numbering says, once, with sane data. */
static void test_table_consistent(void **state)
{
	(void)state;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		const LatheModuleClass *cls = lathe_module_classes[m];
		int first = lathe_module_first_param((LatheModuleId)m);
		for (int k = 0; k < cls->n_params; k++) {
			const LatheParam *p = &lathe_params[first + k];
			assert_non_null(p->path);
			assert_int_equal(p->module, m);
			assert_int_equal(p->index, k);
			/* The path starts with the module's name: /eq/... */
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "/%s/", cls->name);
			assert_true(strncmp(p->path, prefix, strlen(prefix)) == 0);
		}
	}
	assert_int_equal(lathe_module_first_param(LATHE_MODULE_COUNT), LATHE_CHAIN_PARAM_COUNT);
	/* The console's controls follow, in LatheConsoleParam order. */
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++) {
		const LatheParam *p = &lathe_params[LATHE_CONSOLE_ID(k)];
		assert_non_null(p->path);
		assert_int_equal(p->module, LATHE_CONSOLE);
		assert_int_equal(p->index, k);
		assert_false(lathe_param_in_chain(LATHE_CONSOLE_ID(k)));
	}
	for (int i = 0; i < LATHE_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		assert_non_null(p->label);
		assert_non_null(p->unit);
		assert_non_null(p->help);
		assert_true(p->min < p->max);
		assert_true(p->def >= p->min && p->def <= p->max);
		if (p->taper == LATHE_TAPER_LOG)
			assert_true(p->min > 0.0f);
		if (p->taper == LATHE_TAPER_ENUM)
			assert_int_equal(lathe_param_enum_count(p), (int)p->max + 1);
		if (p->taper == LATHE_TAPER_TOGGLE || p->taper == LATHE_TAPER_ENUM)
			assert_true(p->smooth_ms == 0.0f); /* steps: modules fade across them */
		else
			assert_true(p->step > 0.0f || p->smooth_ms > 0.0f); /* continuous values glide */
		/* Paths are unique. */
		assert_int_equal(lathe_param_find(p->path), i);
	}
}

static void test_validate_and_parse(void **state)
{
	(void)state;
	const LatheParam *gain = &lathe_params[lathe_param_find("/eq/3/gain")];
	float v;
	assert_int_equal(lathe_param_validate(gain, 1.5, &v), LATHE_VALUE_OK);
	assert_true(v == 1.5f);
	assert_int_equal(lathe_param_validate(gain, 99.0, &v), LATHE_VALUE_CLAMPED);
	assert_true(v == gain->max);
	assert_int_equal(lathe_param_validate(gain, NAN, &v), LATHE_VALUE_INVALID);
	assert_int_equal(lathe_param_parse(gain, "inf", &v), LATHE_VALUE_INVALID);
	assert_int_equal(lathe_param_parse(gain, "1.5dB", &v), LATHE_VALUE_INVALID);
	assert_int_equal(lathe_param_parse(gain, " -3 ", &v), LATHE_VALUE_OK);
	assert_true(v == -3.0f);

	const LatheParam *mode = &lathe_params[lathe_param_find("/eq/mode")];
	assert_int_equal(lathe_param_parse(mode, "linear-phase", &v), LATHE_VALUE_OK);
	assert_true(v == 1.0f);
	assert_int_equal(lathe_param_parse(mode, "1", &v), LATHE_VALUE_OK);
	assert_int_equal(lathe_param_parse(mode, "7", &v), LATHE_VALUE_CLAMPED);
	assert_int_equal(lathe_param_parse(mode, "sideways", &v), LATHE_VALUE_INVALID);

	/* Enum names that look like numbers are names first: "16" bits is index 0. */
	const LatheParam *bits = &lathe_params[lathe_param_find("/dither/bits")];
	assert_int_equal(lathe_param_parse(bits, "16", &v), LATHE_VALUE_OK);
	assert_true(v == 0.0f);

	const LatheParam *on = &lathe_params[lathe_param_find("/limiter/enable")];
	assert_int_equal(lathe_param_parse(on, "on", &v), LATHE_VALUE_OK);
	assert_true(v == 1.0f);
	assert_int_equal(lathe_param_parse(on, "0.7", &v), LATHE_VALUE_CLAMPED);
	assert_true(v == 1.0f);

	const LatheParam *bands = &lathe_params[lathe_param_find("/multiband/bands")];
	assert_int_equal(lathe_param_parse(bands, "3.4", &v), LATHE_VALUE_CLAMPED);
	assert_true(v == 3.0f);
}

/* format() then parse() gives back the very same float, for every default
 * and for awkward values. */
static void test_format_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < LATHE_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		float samples[] = { p->def, p->min, p->max, p->min + (p->max - p->min) / 3.0f };
		for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
			float v, back;
			lathe_param_validate(p, samples[k], &v);
			char text[32];
			lathe_param_format(p, v, text, sizeof(text));
			assert_int_equal(lathe_param_parse(p, text, &back), LATHE_VALUE_OK);
			assert_true(back == v);
		}
	}
}

/* The 0..1 twin: ends map to ends, the mapping inverts, log tapers put the
 * geometric middle at 0.5. */
static void test_norm(void **state)
{
	(void)state;
	for (int i = 0; i < LATHE_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		assert_true(lathe_param_from_norm(p, 0.0) == p->min);
		assert_true(lathe_param_from_norm(p, 1.0) == p->max);
		assert_true(lathe_param_from_norm(p, -5.0) == p->min);
		if (p->step == 0.0f) {
			/* 1e-4 relative: float precision of the value through log/exp in double. */
			double n = 0.37;
			float v = lathe_param_from_norm(p, n);
			assert_true(fabs(lathe_param_to_norm(p, v) - n) < 1e-4);
		}
	}
	const LatheParam *freq = &lathe_params[lathe_param_find("/eq/1/freq")];
	double mid = sqrt((double)freq->min * freq->max);
	/* 1e-5 relative: float rounding of the result. */
	assert_true(fabs(lathe_param_from_norm(freq, 0.5) / mid - 1.0) < 1e-5);
}

static void test_closest(void **state)
{
	(void)state;
	assert_string_equal(lathe_param_closest("/eq/3/gian"), "/eq/3/gain");
	assert_string_equal(lathe_param_closest("/limiter/celing"), "/limiter/ceiling");
	assert_int_equal(lathe_param_find("/eq/9/gain"), -1);
	assert_int_equal(lathe_module_find("eq"), LATHE_MODULE_EQ);
	assert_int_equal(lathe_module_find("reverb"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_validate_and_parse),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_norm),
		cmocka_unit_test(test_closest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
