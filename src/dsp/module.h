/* lathe — the interface every chain module implements.
 *
 * A module is pure DSP: stereo float, processed in place, any sample rate
 * from 44.1 to 192 kHz. It knows nothing of the registry's paths, of JACK or
 * of GLib. Its parameters are numbered by its own enum (in its header), in
 * native units (dB, Hz, ms, %, enum index, 0/1), always already validated
 * and clamped by the registry (src/params.h) before they arrive.
 *
 * Division of labour with the chain (src/chain.c):
 *  - the chain glides every continuous parameter (registry smoothing time)
 *    and calls set() with the new value at most once per sub-block of
 *    LATHE_SUBBLOCK frames; inside the sub-block a module ramps its own gains
 *    if a step would be audible;
 *  - the chain handles the module's enable (parameter 0) with a crossfade
 *    against a dry path delayed by latency(); set() never sees parameter 0;
 *  - discrete parameters (enums, toggles) arrive as steps: a module fades
 *    across such a change itself, so that nothing clicks.
 *
 * Threads: create/destroy/maintain run off the audio thread (they may
 * allocate or plan FFTs); set/reset/process/latency/gain_reduction are
 * real-time safe: no allocation, locks, I/O or syscalls.
 */
#ifndef LATHE_MODULE_H
#define LATHE_MODULE_H

typedef enum {
	LATHE_MODULE_INPUT,
	LATHE_MODULE_EQ,
	LATHE_MODULE_COMP,
	LATHE_MODULE_MULTIBAND,
	LATHE_MODULE_DEESSER,
	LATHE_MODULE_SATURATE,
	LATHE_MODULE_IMAGER,
	LATHE_MODULE_LIMITER,
	LATHE_MODULE_DITHER,
	LATHE_MODULE_COUNT
} LatheModuleId;

/* Parameter 0 of every module: its enable, handled by the chain. */
#define LATHE_MODULE_ENABLE 0

/* Most gain-reduction values a module reports (multiband: one per band). */
#define LATHE_MAX_GR 5

typedef struct LatheModuleClass {
	const char *name;   /* the registry's first path element: "eq" */
	int n_params;       /* including LATHE_MODULE_ENABLE */

	/* Non-RT. Returns NULL when out of memory. State starts reset, every
	 * parameter at the registry default (the chain sets them all after). */
	void *(*create)(double rate);
	/* Non-RT. NULL-safe. */
	void (*destroy)(void *self);

	/* RT-safe. param in 1..n_params-1. */
	void (*set)(void *self, int param, float value);
	/* RT-safe. Clears all signal state (filters, envelopes, delay lines);
	 * parameter values are kept and any fade in progress completes. */
	void (*reset)(void *self);
	/* RT-safe. In place, 1 <= n <= LATHE_SUBBLOCK. Non-finite input must
	 * never reach the output, and the module recovers from it. */
	void (*process)(void *self, float *left, float *right, int n);
	/* RT-safe. Delay in samples between input and output (exact). */
	int (*latency)(const void *self);

	/* Optional (NULL if absent). RT-safe. Writes current gain reduction in dB
	 * (>= 0) to gr[0..LATHE_MAX_GR-1] and returns how many it wrote. */
	int (*gain_reduction)(const void *self, float *gr);
	/* Optional. Non-RT, on the thread that owns the settings: work too heavy
	 * for the audio thread (linear-phase kernels), from the canonical values
	 * of this module's parameters (values[0..n_params-1]). Hands its result
	 * to process() without locks. */
	void (*maintain)(void *self, const float *values);
} LatheModuleClass;

extern const LatheModuleClass lathe_input_class;
extern const LatheModuleClass lathe_eq_class;
extern const LatheModuleClass lathe_comp_class;
extern const LatheModuleClass lathe_multiband_class;
extern const LatheModuleClass lathe_deesser_class;
extern const LatheModuleClass lathe_saturate_class;
extern const LatheModuleClass lathe_imager_class;
extern const LatheModuleClass lathe_limiter_class;
extern const LatheModuleClass lathe_dither_class;

/* Indexed by LatheModuleId. */
extern const LatheModuleClass *const lathe_module_classes[LATHE_MODULE_COUNT];

#endif
