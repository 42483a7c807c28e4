/* lathe — a whole chain's settings as a plain value: every registry
 * parameter and the module order. Copyable (snapshots, A/B copy), and what
 * session files store. No threads involved: it is data. */
#ifndef LATHE_SETTINGS_H
#define LATHE_SETTINGS_H

#include <stdbool.h>

#include "params.h"

typedef struct {
	float value[LATHE_CHAIN_PARAM_COUNT];          /* indexed by registry id, always valid */
	LatheModuleId order[LATHE_MODULE_COUNT]; /* processing order, a permutation */
} LatheSettings;

/* Every parameter at its registry default, modules in the default order
 * (input, eq, comp, multiband, deesser, saturate, imager, limiter, dither). */
void lathe_settings_default(LatheSettings *s);

/* True when order[] names every module exactly once. */
bool lathe_order_valid(const LatheModuleId order[LATHE_MODULE_COUNT]);

#endif
