/* lathe — the parameter registry: one static table that declares every
 * control of every module. DSP set-up, session files, --set, and later OSC
 * and the GTK widgets all read it; nothing else keeps a range or a default.
 *
 * All functions are pure lookups or conversions on constant data: any thread
 * may call them. lathe_param_find is a linear search (non-RT use only).
 */
#ifndef LATHE_PARAMS_H
#define LATHE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "dsp/module.h"
#include "dsp/input.h"
#include "dsp/eq.h"
#include "dsp/comp.h"
#include "dsp/multiband.h"
#include "dsp/deesser.h"
#include "dsp/saturate.h"
#include "dsp/imager.h"
#include "dsp/limiter.h"
#include "dsp/dither.h"

typedef enum {
	LATHE_TAPER_LINEAR, /* value proportional to the control's travel */
	LATHE_TAPER_LOG,    /* log(value) proportional to travel: Hz, ms, Q, ratio */
	LATHE_TAPER_DB,     /* a level in dB, linear in dB */
	LATHE_TAPER_TOGGLE, /* 0 or 1 */
	LATHE_TAPER_ENUM    /* 0..count-1, each with a name */
} LatheTaper;

typedef struct {
	const char *path;          /* stable name: "/eq/3/gain" */
	const char *label;         /* short human label: "Band 3 gain" */
	const char *unit;          /* "dB", "Hz", "ms", "%", "" */
	const char *help;          /* one sentence for docs and tooltips */
	float min, max, def;
	float step;                /* 0 = continuous; 1 for integer values */
	LatheTaper taper;
	const char *const *names;  /* LATHE_TAPER_ENUM: NULL-terminated value names */
	float smooth_ms;           /* glide time of a change; 0 = a step */
	LatheModuleId module;
	int index;                 /* the module's own parameter number */
} LatheParam;

/* The number of parameters, a compile-time constant so that settings can
 * be plain arrays; params.c checks that the table has exactly this many. */
#define LATHE_PARAM_COUNT (LATHE_INPUT_PARAM_COUNT + LATHE_EQ_PARAM_COUNT + \
	LATHE_COMP_PARAM_COUNT + LATHE_MB_PARAM_COUNT + LATHE_DEESSER_PARAM_COUNT + \
	LATHE_SATURATE_PARAM_COUNT + LATHE_IMAGER_PARAM_COUNT + \
	LATHE_LIMITER_PARAM_COUNT + LATHE_DITHER_PARAM_COUNT)

/* Ordered by module, and inside a module by index, so that the parameters of
 * module m are lathe_params[lathe_module_first_param(m) + index]. */
extern const LatheParam lathe_params[LATHE_PARAM_COUNT];

/* Id (index into lathe_params) of a module's first parameter. */
int lathe_module_first_param(LatheModuleId module);
/* Module id by name ("eq"), or -1. */
int lathe_module_find(const char *name);

/* Id of a path, or -1. */
int lathe_param_find(const char *path);
/* The valid path nearest to a misspelt one (edit distance), for messages. */
const char *lathe_param_closest(const char *path);

/* Number of names of an enum parameter (0 for others). */
int lathe_param_enum_count(const LatheParam *p);

typedef enum {
	LATHE_VALUE_OK,
	LATHE_VALUE_CLAMPED,  /* out of range or between steps: *out is the nearest valid value */
	LATHE_VALUE_INVALID   /* not a number or name this parameter takes (NaN, "abc") */
} LatheValueStatus;

/* Nearest valid value: clamped to [min, max], snapped to steps, toggles and
 * enums to whole numbers. NaN is invalid (never clamped into range). */
LatheValueStatus lathe_param_validate(const LatheParam *p, double value, float *out);
/* Parse text: a number, an enum name ("linear-phase"), or on/off/true/false
 * for toggles; then validate. */
LatheValueStatus lathe_param_parse(const LatheParam *p, const char *text, float *out);
/* Text that lathe_param_parse reads back to the same value: the enum name,
 * on/off for toggles, or the shortest decimal that round-trips the float. */
void lathe_param_format(const LatheParam *p, float value, char *buf, size_t size);

/* The control's travel 0..1 on its taper, and back (validated). */
double lathe_param_to_norm(const LatheParam *p, float value);
float lathe_param_from_norm(const LatheParam *p, double norm);

#endif
