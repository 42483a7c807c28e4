/* lathe — the parameter registry (see params.h). */
#include "params.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Glide times. Levels: 30 ms hides a 48 dB jump without sounding slow.
 * Frequencies and Q glide a little longer (50 ms) because a filter swept
 * fast is heard as a "whoosh". Time constants glide too, so that a jump in
 * attack cannot make a gain step. Discrete values are steps (0): the module
 * fades across them. */
#define LEVEL_MS 30.0f
#define FREQ_MS 50.0f
#define TIME_MS 20.0f

static const char *const eq_modes[] = { "zero-latency", "linear-phase", NULL };
static const char *const eq_types[] = { "bell", "low-shelf", "high-shelf", "high-pass",
					"low-pass", "notch", "tilt", NULL };
static const char *const eq_slopes[] = { "6", "12", "18", "24", "36", "48", NULL };
static const char *const eq_channels[] = { "stereo", "left", "right", "mid", "side", NULL };
static const char *const hpf_slopes[] = { "12", "24", "48", NULL };
static const char *const stereo_modes[] = { "lr", "ms", NULL };
static const char *const detectors[] = { "peak", "rms", NULL };
static const char *const saturate_types[] = { "tape", "tube", "soft-clip", NULL };
static const char *const oversample_factors[] = { "2x", "4x", "8x", NULL };
static const char *const dither_bits[] = { "16", "20", "24", NULL };
static const char *const dither_shapes[] = { "flat", "shaped", NULL };
static const char *const chains[] = { "a", "b", NULL };
static const char *const sources[] = { "a", "b", "input", "reference", NULL };
static const char *const bands[] = { "off", "1", "2", "3", "4", "5", NULL };
static const char *const osc_modes[] = { "off", "sine", "pink", "sweep", NULL };

/* Declaration helpers: one line per parameter below. */
#define LATHE_MODULE_CONSOLE LATHE_CONSOLE
#define P(mod, idx, p, lab, u, lo, hi, d, tap, ms, h) \
	{ .path = (p), .label = (lab), .unit = (u), .help = (h), .min = (lo), .max = (hi), \
	  .def = (d), .taper = LATHE_TAPER_##tap, .smooth_ms = (ms), \
	  .module = LATHE_MODULE_##mod, .index = (idx) }
#define TOGGLE(mod, idx, p, lab, d, h) \
	{ .path = (p), .label = (lab), .unit = "", .help = (h), .min = 0, .max = 1, .def = (d), \
	  .step = 1, .taper = LATHE_TAPER_TOGGLE, .module = LATHE_MODULE_##mod, .index = (idx) }
#define ENUM(mod, idx, p, lab, nm, d, h) \
	{ .path = (p), .label = (lab), .unit = "", .help = (h), .min = 0, \
	  .max = sizeof(nm) / sizeof(nm[0]) - 2, .def = (d), .step = 1, \
	  .taper = LATHE_TAPER_ENUM, .names = (nm), .module = LATHE_MODULE_##mod, .index = (idx) }
#define ENABLE(mod, name) \
	TOGGLE(mod, LATHE_MODULE_ENABLE, "/" name "/enable", name " on", 0, \
	       "Switch the module in (crossfaded; latency stays the same when off).")

/* One EQ band: n is the 1-based band number as written in paths. */
#define EQ_BAND(n, type, freq) \
	TOGGLE(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_ENABLE), "/eq/" #n "/enable", \
	       "Band " #n " on", 0, "Switch the band in (crossfaded)."), \
	ENUM(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_TYPE), "/eq/" #n "/type", \
	     "Band " #n " type", eq_types, type, "Filter shape of the band."), \
	P(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_FREQ), "/eq/" #n "/freq", "Band " #n " freq", \
	  "Hz", 10, 22000, freq, LOG, FREQ_MS, "Centre, corner or pivot frequency."), \
	P(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_GAIN), "/eq/" #n "/gain", "Band " #n " gain", \
	  "dB", -18, 18, 0, DB, LEVEL_MS, "Boost or cut of bell, shelf and tilt."), \
	P(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_Q), "/eq/" #n "/q", "Band " #n " Q", \
	  "", 0.1f, 18, 0.707f, LOG, FREQ_MS, "Bandwidth of bells and notches; resonance of shelves and passes."), \
	ENUM(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_SLOPE), "/eq/" #n "/slope", \
	     "Band " #n " slope", eq_slopes, 1, "Steepness of high and low pass in dB/octave."), \
	ENUM(EQ, LATHE_EQ_BAND_PARAM(n - 1, LATHE_EQ_BAND_CHANNELS), "/eq/" #n "/channels", \
	     "Band " #n " channels", eq_channels, 0, "Which part of the stereo image the band acts on.")

/* One multiband band: n is the 1-based band number. */
#define MB_BAND(n) \
	P(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_THRESHOLD), "/multiband/" #n "/threshold", \
	  "Band " #n " threshold", "dB", -60, 0, -20, DB, LEVEL_MS, "Level above which the band is compressed."), \
	P(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_RATIO), "/multiband/" #n "/ratio", \
	  "Band " #n " ratio", ":1", 1, 20, 1, LOG, LEVEL_MS, "Compression ratio; 1 leaves the band untouched."), \
	P(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_ATTACK), "/multiband/" #n "/attack", \
	  "Band " #n " attack", "ms", 0.1f, 200, 10, LOG, TIME_MS, "Time to reach 63 % of a gain reduction."), \
	P(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_RELEASE), "/multiband/" #n "/release", \
	  "Band " #n " release", "ms", 5, 2000, 150, LOG, TIME_MS, "Time to recover 63 % of a gain reduction."), \
	P(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_MAKEUP), "/multiband/" #n "/makeup", \
	  "Band " #n " makeup", "dB", -12, 12, 0, DB, LEVEL_MS, "Gain after compression."), \
	P(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_WIDTH), "/multiband/" #n "/width", \
	  "Band " #n " width", "%", 0, 200, 100, LINEAR, LEVEL_MS, "Stereo width of the band; 100 % unchanged."), \
	TOGGLE(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_SOLO), "/multiband/" #n "/solo", \
	       "Band " #n " solo", 0, "Hear only the soloed bands."), \
	TOGGLE(MULTIBAND, LATHE_MB_BAND_PARAM(n - 1, LATHE_MB_BAND_BYPASS), "/multiband/" #n "/bypass", \
	       "Band " #n " bypass", 0, "Pass the band without compression.")

const LatheParam lathe_params[LATHE_PARAM_COUNT] = {
	/* input */
	ENABLE(INPUT, "input"),
	P(INPUT, LATHE_INPUT_TRIM, "/input/trim", "Trim", "dB", -24, 24, 0, DB, LEVEL_MS,
	  "Gain at the input of the chain."),
	P(INPUT, LATHE_INPUT_BALANCE, "/input/balance", "Balance", "dB", -6, 6, 0, DB, LEVEL_MS,
	  "Positive raises the right side and lowers the left by half each."),
	TOGGLE(INPUT, LATHE_INPUT_POLARITY_L, "/input/polarity_l", "Invert left", 0,
	       "Invert the polarity of the left input."),
	TOGGLE(INPUT, LATHE_INPUT_POLARITY_R, "/input/polarity_r", "Invert right", 0,
	       "Invert the polarity of the right input."),
	TOGGLE(INPUT, LATHE_INPUT_SWAP, "/input/swap", "Swap L/R", 0, "Exchange left and right."),
	P(INPUT, LATHE_INPUT_MS_BALANCE, "/input/ms_balance", "M/S balance", "dB", -6, 6, 0, DB,
	  LEVEL_MS, "Positive raises the mid and lowers the side by half each."),
	TOGGLE(INPUT, LATHE_INPUT_HPF, "/input/hpf", "High-pass", 0,
	       "DC and subsonic high-pass filter."),
	P(INPUT, LATHE_INPUT_HPF_FREQ, "/input/hpf_freq", "High-pass freq", "Hz", 5, 150, 20, LOG,
	  FREQ_MS, "Corner of the high-pass filter."),
	ENUM(INPUT, LATHE_INPUT_HPF_SLOPE, "/input/hpf_slope", "High-pass slope", hpf_slopes, 1,
	     "Steepness of the high-pass filter in dB/octave."),

	/* eq */
	ENABLE(EQ, "eq"),
	ENUM(EQ, LATHE_EQ_MODE, "/eq/mode", "EQ mode", eq_modes, 0,
	     "Zero latency (analog-matched) or linear phase (adds latency, no phase shift)."),
	EQ_BAND(1, LATHE_EQ_HIGH_PASS, 20),
	EQ_BAND(2, LATHE_EQ_LOW_SHELF, 80),
	EQ_BAND(3, LATHE_EQ_BELL, 200),
	EQ_BAND(4, LATHE_EQ_BELL, 500),
	EQ_BAND(5, LATHE_EQ_BELL, 1200),
	EQ_BAND(6, LATHE_EQ_BELL, 3000),
	EQ_BAND(7, LATHE_EQ_HIGH_SHELF, 8000),
	EQ_BAND(8, LATHE_EQ_LOW_PASS, 20000),

	/* comp */
	ENABLE(COMP, "comp"),
	P(COMP, LATHE_COMP_THRESHOLD, "/comp/threshold", "Threshold", "dB", -60, 0, -18, DB,
	  LEVEL_MS, "Level above which the compressor acts."),
	P(COMP, LATHE_COMP_RATIO, "/comp/ratio", "Ratio", ":1", 1, 20, 2, LOG, LEVEL_MS,
	  "Compression ratio above the knee."),
	P(COMP, LATHE_COMP_KNEE, "/comp/knee", "Knee", "dB", 0, 24, 6, DB, LEVEL_MS,
	  "Width of the soft knee around the threshold."),
	P(COMP, LATHE_COMP_ATTACK, "/comp/attack", "Attack", "ms", 0.1f, 200, 10, LOG, TIME_MS,
	  "Time to reach 63 % of a gain reduction."),
	P(COMP, LATHE_COMP_RELEASE, "/comp/release", "Release", "ms", 5, 2000, 150, LOG, TIME_MS,
	  "Time to recover 63 % of a gain reduction."),
	TOGGLE(COMP, LATHE_COMP_AUTO_RELEASE, "/comp/auto_release", "Auto release", 0,
	       "Release adapts to the program: fast after transients, slow on sustained levels."),
	P(COMP, LATHE_COMP_MAKEUP, "/comp/makeup", "Makeup", "dB", -12, 24, 0, DB, LEVEL_MS,
	  "Gain after compression."),
	P(COMP, LATHE_COMP_MIX, "/comp/mix", "Mix", "%", 0, 100, 100, LINEAR, LEVEL_MS,
	  "Share of compressed signal; below 100 % is parallel compression."),
	P(COMP, LATHE_COMP_SC_HPF, "/comp/sc_hpf", "Side-chain HPF", "Hz", 20, 500, 20, LOG, FREQ_MS,
	  "High-pass on the detector so that bass does not pump the mix."),
	P(COMP, LATHE_COMP_LINK, "/comp/link", "Stereo link", "%", 0, 100, 100, LINEAR, LEVEL_MS,
	  "How much the two sides share one gain (L/R mode)."),
	ENUM(COMP, LATHE_COMP_STEREO_MODE, "/comp/stereo_mode", "Stereo mode", stereo_modes, 0,
	     "Compress left/right, or mid/side independently."),
	ENUM(COMP, LATHE_COMP_DETECTOR, "/comp/detector", "Detector", detectors, 0,
	     "Peak or RMS level detection."),

	/* multiband */
	ENABLE(MULTIBAND, "multiband"),
	{ .path = "/multiband/bands", .label = "Bands", .unit = "", .min = 2, .max = 5, .def = 4,
	  .step = 1, .taper = LATHE_TAPER_LINEAR, .module = LATHE_MODULE_MULTIBAND,
	  .index = LATHE_MB_BANDS, .help = "Number of bands, 2 to 5." },
	P(MULTIBAND, LATHE_MB_XOVER1, "/multiband/xover1", "Crossover 1", "Hz", 30, 16000, 120, LOG,
	  FREQ_MS, "Crossover between bands 1 and 2."),
	P(MULTIBAND, LATHE_MB_XOVER2, "/multiband/xover2", "Crossover 2", "Hz", 30, 16000, 800, LOG,
	  FREQ_MS, "Crossover between bands 2 and 3."),
	P(MULTIBAND, LATHE_MB_XOVER3, "/multiband/xover3", "Crossover 3", "Hz", 30, 16000, 5000, LOG,
	  FREQ_MS, "Crossover between bands 3 and 4."),
	P(MULTIBAND, LATHE_MB_XOVER4, "/multiband/xover4", "Crossover 4", "Hz", 30, 16000, 12000, LOG,
	  FREQ_MS, "Crossover between bands 4 and 5."),
	MB_BAND(1), MB_BAND(2), MB_BAND(3), MB_BAND(4), MB_BAND(5),

	/* deesser */
	ENABLE(DEESSER, "deesser"),
	P(DEESSER, LATHE_DEESSER_FREQ, "/deesser/freq", "Frequency", "Hz", 2000, 16000, 6500, LOG,
	  FREQ_MS, "Centre of the sibilant band."),
	P(DEESSER, LATHE_DEESSER_Q, "/deesser/q", "Q", "", 0.5f, 8, 1.5f, LOG, FREQ_MS,
	  "Bandwidth of the sibilant band."),
	P(DEESSER, LATHE_DEESSER_THRESHOLD, "/deesser/threshold", "Threshold", "dB", -60, 0, -30, DB,
	  LEVEL_MS, "Band level where reduction starts."),
	P(DEESSER, LATHE_DEESSER_RANGE, "/deesser/range", "Range", "dB", 0, 24, 6, DB, LEVEL_MS,
	  "Most reduction applied to the band."),
	TOGGLE(DEESSER, LATHE_DEESSER_LISTEN, "/deesser/listen", "Listen", 0,
	       "Hear the detector band alone."),

	/* saturate */
	ENABLE(SATURATE, "saturate"),
	ENUM(SATURATE, LATHE_SATURATE_TYPE, "/saturate/type", "Type", saturate_types, 0,
	     "Character: tape (odd, soft), tube (even and odd), soft clip."),
	P(SATURATE, LATHE_SATURATE_DRIVE, "/saturate/drive", "Drive", "dB", 0, 24, 0, DB, LEVEL_MS,
	  "Level into the nonlinearity."),
	P(SATURATE, LATHE_SATURATE_MIX, "/saturate/mix", "Mix", "%", 0, 100, 100, LINEAR, LEVEL_MS,
	  "Share of saturated signal."),
	P(SATURATE, LATHE_SATURATE_OUTPUT, "/saturate/output", "Output", "dB", -24, 6, 0, DB, LEVEL_MS,
	  "Level after the nonlinearity."),
	ENUM(SATURATE, LATHE_SATURATE_OVERSAMPLE, "/saturate/oversample", "Oversampling",
	     oversample_factors, 1, "Oversampling factor against aliasing."),

	/* imager */
	ENABLE(IMAGER, "imager"),
	P(IMAGER, LATHE_IMAGER_WIDTH, "/imager/width", "Width", "%", 0, 200, 100, LINEAR, LEVEL_MS,
	  "Side level: 0 % mono, 100 % unchanged, 200 % wide."),
	TOGGLE(IMAGER, LATHE_IMAGER_BASS_MONO, "/imager/bass_mono", "Bass mono", 0,
	       "Remove the side below the bass-mono frequency (vinyl-safe low end)."),
	P(IMAGER, LATHE_IMAGER_BASS_MONO_FREQ, "/imager/bass_mono_freq", "Bass mono freq", "Hz", 40,
	  300, 120, LOG, FREQ_MS, "Below this frequency the low end is mono."),

	/* limiter */
	ENABLE(LIMITER, "limiter"),
	P(LIMITER, LATHE_LIMITER_INPUT_GAIN, "/limiter/input_gain", "Input gain", "dB", 0, 24, 0, DB,
	  LEVEL_MS, "Drive into the limiter."),
	P(LIMITER, LATHE_LIMITER_CEILING, "/limiter/ceiling", "Ceiling", "dBTP", -12, 0, -1, DB,
	  LEVEL_MS, "Highest output level (true peak in true-peak mode)."),
	P(LIMITER, LATHE_LIMITER_RELEASE, "/limiter/release", "Release", "ms", 1, 1000, 100, LOG,
	  TIME_MS, "Time to recover 63 % of a gain reduction."),
	TOGGLE(LIMITER, LATHE_LIMITER_AUTO_RELEASE, "/limiter/auto_release", "Auto release", 0,
	       "Release adapts to the program."),
	TOGGLE(LIMITER, LATHE_LIMITER_TRUE_PEAK, "/limiter/true_peak", "True peak", 1,
	       "Detect inter-sample peaks (oversampled), so the ceiling holds in dBTP."),

	/* dither */
	ENABLE(DITHER, "dither"),
	ENUM(DITHER, LATHE_DITHER_BITS, "/dither/bits", "Bits", dither_bits, 0,
	     "Word length of the delivery format."),
	ENUM(DITHER, LATHE_DITHER_SHAPING, "/dither/shaping", "Noise shaping", dither_shapes, 0,
	     "Flat TPDF, or noise shaped away from the ear's most sensitive band."),

	/* console: print selection and the monitor section (never on the print) */
	ENUM(CONSOLE, LATHE_CONSOLE_CHAIN, "/chain", "A/B", chains, 0,
	     "The chain on the print output, and the one plain paths edit (/a/... and /b/... address one)."),
	ENUM(CONSOLE, LATHE_CONSOLE_SOURCE, "/source", "Source", sources, 0,
	     "What the monitor plays (never changes the print)."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_MATCH, "/monitor/match", "Loudness match", 0,
	       "Play every source at the loudness of the selected chain."),
	P(CONSOLE, LATHE_CONSOLE_MATCH_WINDOW, "/monitor/match_window", "Match window", "s", 1, 20, 3,
	  LOG, TIME_MS, "Gated loudness over this many seconds sets each source's match offset."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_DELTA, "/monitor/delta", "Delta", 0,
	       "Hear what the selected chain changes: its output minus the aligned input."),
	ENUM(CONSOLE, LATHE_CONSOLE_BAND, "/monitor/band", "Band listen", bands, 0,
	     "Hear one band of the selected chain's multiband crossover."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_SWAP, "/monitor/swap", "Swap", 0, "Left and right exchanged."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_MONO, "/monitor/mono", "Mono", 0, "The mid, (L+R)/2, on both speakers."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_SIDE, "/monitor/side", "Side", 0,
	       "The side, (L-R)/2, on both speakers (takes precedence over mono)."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_POLARITY, "/monitor/polarity", "Polarity", 0,
	       "Both channels inverted, to judge absolute polarity."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_LEFT, "/monitor/left", "Left only", 0, "The right speaker muted."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_RIGHT, "/monitor/right", "Right only", 0, "The left speaker muted."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_DIM, "/monitor/dim", "Dim", 0, "Monitor lowered by the dim level."),
	P(CONSOLE, LATHE_CONSOLE_DIM_LEVEL, "/monitor/dim_level", "Dim level", "dB", -40, 0, -20, DB,
	  LEVEL_MS, "How far dim lowers the monitor."),
	TOGGLE(CONSOLE, LATHE_CONSOLE_MUTE, "/monitor/mute", "Mute", 0, "Monitor silent (faded)."),
	P(CONSOLE, LATHE_CONSOLE_LEVEL, "/monitor/level", "Monitor level", "dB", -60, 12, 0, DB,
	  LEVEL_MS, "Level of the monitor output."),
	ENUM(CONSOLE, LATHE_CONSOLE_OSC_MODE, "/oscillator/mode", "Oscillator", osc_modes, 0,
	     "Line-up oscillator in place of the program input (both chains, input and print)."),
	P(CONSOLE, LATHE_CONSOLE_OSC_FREQUENCY, "/oscillator/frequency", "Tone frequency", "Hz", 20,
	  20000, 1000, LOG, LEVEL_MS, "Frequency of the sine."),
	P(CONSOLE, LATHE_CONSOLE_OSC_LEVEL, "/oscillator/level", "Tone level", "dBFS", -60, 0, -18, DB,
	  LEVEL_MS, "Sine and sweep peak (AES17: a full-scale sine is 0 dBFS); pink noise has the sine's RMS."),
	P(CONSOLE, LATHE_CONSOLE_OSC_SWEEP_TIME, "/oscillator/sweep_time", "Sweep time", "s", 1, 60, 10,
	  LOG, LEVEL_MS, "Duration of one logarithmic sweep from 20 Hz to 20 kHz."),
};

const char *const lathe_port_names[LATHE_PORT_COUNT] = {
	"in_L", "in_R", "ref_L", "ref_R", "out_L", "out_R", "mon_L", "mon_R",
};

int lathe_port_find(const char *name)
{
	for (int i = 0; i < LATHE_PORT_COUNT; i++)
		if (strcmp(name, lathe_port_names[i]) == 0)
			return i;
	return -1;
}

void lathe_console_set(float console[LATHE_CONSOLE_PARAM_COUNT], int param, float value)
{
	if (param == LATHE_CONSOLE_CHAIN && console[LATHE_CONSOLE_SOURCE] == console[LATHE_CONSOLE_CHAIN])
		console[LATHE_CONSOLE_SOURCE] = value;
	console[param] = value;
}

int lathe_module_first_param(LatheModuleId module)
{
	/* The table is ordered by module: count the parameters before it. */
	int first = 0;
	for (int m = 0; m < (int)module && m < LATHE_MODULE_COUNT; m++)
		first += lathe_module_classes[m]->n_params;
	return first;
}

const char *lathe_param_group(const LatheParam *p)
{
	return p->module == LATHE_CONSOLE ? "console" : lathe_module_classes[p->module]->name;
}

int lathe_module_find(const char *name)
{
	for (int m = 0; m < LATHE_MODULE_COUNT; m++)
		if (strcmp(lathe_module_classes[m]->name, name) == 0)
			return m;
	return -1;
}

int lathe_param_find(const char *path)
{
	for (int i = 0; i < LATHE_PARAM_COUNT; i++)
		if (strcmp(lathe_params[i].path, path) == 0)
			return i;
	return -1;
}

/* Levenshtein distance, for "did you mean". Paths are short (< 64). */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 127 || lb > 127)
		return (int)(la > lb ? la : lb);
	int row[128];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int sub = diag + (a[i - 1] != b[j - 1]);
			int del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			diag = up;
		}
	}
	return row[lb];
}

const char *lathe_param_closest(const char *path)
{
	int best = 0, best_d = edit_distance(path, lathe_params[0].path);
	for (int i = 1; i < LATHE_PARAM_COUNT; i++) {
		int d = edit_distance(path, lathe_params[i].path);
		if (d < best_d) {
			best = i;
			best_d = d;
		}
	}
	return lathe_params[best].path;
}

const char *lathe_taper_name(LatheTaper taper)
{
	static const char *const names[] = { "linear", "log", "db", "toggle", "enum" };
	return names[taper];
}

int lathe_param_enum_count(const LatheParam *p)
{
	int n = 0;
	if (p->taper == LATHE_TAPER_ENUM)
		while (p->names[n])
			n++;
	return n;
}

LatheValueStatus lathe_param_validate(const LatheParam *p, double value, float *out)
{
	if (isnan(value))
		return LATHE_VALUE_INVALID;
	double v = value < p->min ? p->min : value > p->max ? p->max : value;
	if (p->step > 0)
		v = p->min + round((v - p->min) / p->step) * p->step;
	*out = (float)v;
	/* Compare in float: a double that rounds to the same float is exact. */
	return (float)value == *out ? LATHE_VALUE_OK : LATHE_VALUE_CLAMPED;
}

LatheValueStatus lathe_param_parse(const LatheParam *p, const char *text, float *out)
{
	while (isspace((unsigned char)*text))
		text++;
	if (p->taper == LATHE_TAPER_ENUM)
		for (int i = 0; p->names[i]; i++)
			if (strcasecmp(text, p->names[i]) == 0) {
				*out = (float)i;
				return LATHE_VALUE_OK;
			}
	if (p->taper == LATHE_TAPER_TOGGLE) {
		if (!strcasecmp(text, "on") || !strcasecmp(text, "true"))
			return lathe_param_validate(p, 1.0, out);
		if (!strcasecmp(text, "off") || !strcasecmp(text, "false"))
			return lathe_param_validate(p, 0.0, out);
	}
	/* Enum names that are numbers ("16" bits) were matched above; any other
	 * number given to an enum is its index. */
	char *end;
	double v = strtod(text, &end);
	if (end == text)
		return LATHE_VALUE_INVALID;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0' || !isfinite(v))
		return LATHE_VALUE_INVALID;
	return lathe_param_validate(p, v, out);
}

void lathe_param_format(const LatheParam *p, float value, char *buf, size_t size)
{
	int i = (int)lrintf(value);
	if (p->taper == LATHE_TAPER_TOGGLE) {
		snprintf(buf, size, "%s", i ? "on" : "off");
		return;
	}
	if (p->taper == LATHE_TAPER_ENUM && i >= 0 && i < lathe_param_enum_count(p)) {
		snprintf(buf, size, "%s", p->names[i]);
		return;
	}
	/* Shortest %g that reads back to the same float: 0.707 stays 0.707. */
	for (int digits = 6; digits <= 9; digits++) {
		snprintf(buf, size, "%.*g", digits, (double)value);
		if (strtof(buf, NULL) == value)
			return;
	}
}

double lathe_param_to_norm(const LatheParam *p, float value)
{
	if (p->max <= p->min)
		return 0.0;
	double n;
	if (p->taper == LATHE_TAPER_LOG)
		n = log((double)value / p->min) / log((double)p->max / p->min);
	else
		n = ((double)value - p->min) / ((double)p->max - p->min);
	return n < 0.0 ? 0.0 : n > 1.0 ? 1.0 : n;
}

float lathe_param_from_norm(const LatheParam *p, double norm)
{
	double n = norm < 0.0 ? 0.0 : norm > 1.0 ? 1.0 : norm;
	double v;
	if (p->taper == LATHE_TAPER_LOG)
		v = p->min * pow((double)p->max / p->min, n);
	else
		v = p->min + n * ((double)p->max - p->min);
	float out = p->min;
	lathe_param_validate(p, v, &out);
	return out;
}
