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
	LatheModuleId module;      /* LATHE_CONSOLE for console controls */
	int index;                 /* the module's own parameter number (or LatheConsoleParam) */
} LatheParam;

/* Console controls belong to no chain: source selection, the monitor
 * section, loudness match. Their LatheParam.module is LATHE_CONSOLE. */
#define LATHE_CONSOLE LATHE_MODULE_COUNT

typedef enum {
	LATHE_CONSOLE_CHAIN,        /* a|b: the chain on the print output, edited by plain paths */
	LATHE_CONSOLE_SOURCE,       /* a|b|input|reference: what the monitor output plays */
	LATHE_CONSOLE_MATCH,        /* loudness match on the monitor output */
	LATHE_CONSOLE_MATCH_WINDOW, /* s, the loudness window of the match */
	LATHE_CONSOLE_DELTA,        /* monitor the selected chain minus the aligned input */
	LATHE_CONSOLE_BAND,         /* off|1..5: monitor one multiband band */
	LATHE_CONSOLE_SWAP,
	LATHE_CONSOLE_MONO,
	LATHE_CONSOLE_SIDE,
	LATHE_CONSOLE_POLARITY,
	LATHE_CONSOLE_LEFT,         /* left channel only (the right speaker is muted) */
	LATHE_CONSOLE_RIGHT,
	LATHE_CONSOLE_DIM,
	LATHE_CONSOLE_DIM_LEVEL,    /* dB */
	LATHE_CONSOLE_MUTE,
	LATHE_CONSOLE_LEVEL,        /* dB, monitor level */
	LATHE_CONSOLE_OSC_MODE,     /* off|sine|pink|sweep: the line-up oscillator replaces the input */
	LATHE_CONSOLE_OSC_FREQUENCY, /* Hz, of the sine */
	LATHE_CONSOLE_OSC_LEVEL,    /* dBFS (a full-scale sine is 0 dBFS) */
	LATHE_CONSOLE_OSC_SWEEP_TIME, /* s, 20 Hz to 20 kHz */
	LATHE_CONSOLE_PARAM_COUNT
} LatheConsoleParam;

/* Sources (values of LATHE_CONSOLE_SOURCE) and chains (LATHE_CONSOLE_CHAIN). */
typedef enum { LATHE_SOURCE_A, LATHE_SOURCE_B, LATHE_SOURCE_INPUT, LATHE_SOURCE_REFERENCE,
	       LATHE_SOURCE_COUNT } LatheSource;
typedef enum { LATHE_CHAIN_A, LATHE_CHAIN_B } LatheChainId;

/* Parameters of one chain, a compile-time constant so that chain settings
 * can be plain arrays; params.c checks that the table matches. */
#define LATHE_CHAIN_PARAM_COUNT (LATHE_INPUT_PARAM_COUNT + LATHE_EQ_PARAM_COUNT + \
	LATHE_COMP_PARAM_COUNT + LATHE_MB_PARAM_COUNT + LATHE_DEESSER_PARAM_COUNT + \
	LATHE_SATURATE_PARAM_COUNT + LATHE_IMAGER_PARAM_COUNT + \
	LATHE_LIMITER_PARAM_COUNT + LATHE_DITHER_PARAM_COUNT)
/* Every parameter: a chain's, then the console's. */
#define LATHE_PARAM_COUNT (LATHE_CHAIN_PARAM_COUNT + LATHE_CONSOLE_PARAM_COUNT)
/* Registry id of a console control. */
#define LATHE_CONSOLE_ID(param) (LATHE_CHAIN_PARAM_COUNT + (param))

/* Ordered by module, and inside a module by index, so that the parameters of
 * module m are lathe_params[lathe_module_first_param(m) + index]; the
 * console's controls come last, in LatheConsoleParam order. */
extern const LatheParam lathe_params[LATHE_PARAM_COUNT];

/* The console's JACK ports, in this order: program and reference in, print
 * and monitor out. Sessions name them in "connect" lines. */
typedef enum {
	LATHE_PORT_IN_L, LATHE_PORT_IN_R, LATHE_PORT_REF_L, LATHE_PORT_REF_R,
	LATHE_PORT_OUT_L, LATHE_PORT_OUT_R, LATHE_PORT_MON_L, LATHE_PORT_MON_R,
	LATHE_PORT_COUNT
} LathePortId;

extern const char *const lathe_port_names[LATHE_PORT_COUNT];
/* True for in_L..ref_R. */
static inline bool lathe_port_is_input(int port) { return port < LATHE_PORT_OUT_L; }
/* Port id by name ("in_L"), or -1. */
int lathe_port_find(const char *name);

/* RT-safe. Set a console control (already validated) in an array of them,
 * with the console's one coupling: selecting the other chain while the
 * monitor plays the selected one takes the monitor along, so the A/B toggle
 * is heard. The engine and the canonical state both follow this rule. */
void lathe_console_set(float console[LATHE_CONSOLE_PARAM_COUNT], int param, float value);

/* True for a chain parameter, false for a console control. */
static inline bool lathe_param_in_chain(int id) { return id >= 0 && id < LATHE_CHAIN_PARAM_COUNT; }

/* Id (index into lathe_params) of a module's first parameter
 * (LATHE_CONSOLE: of the first console control). */
int lathe_module_first_param(LatheModuleId module);
/* The group a parameter belongs to: its module's name, or "console". */
const char *lathe_param_group(const LatheParam *p);

/* Module id by name ("eq"), or -1. */
int lathe_module_find(const char *name);

/* Id of a path, or -1. */
int lathe_param_find(const char *path);
/* The valid path nearest to a misspelt one (edit distance), for messages. */
const char *lathe_param_closest(const char *path);

/* The taper's name as listings give it: linear, log, db, toggle, enum. */
const char *lathe_taper_name(LatheTaper taper);

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
