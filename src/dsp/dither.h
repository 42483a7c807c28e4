/* lathe — TPDF dither to 16, 20 or 24 bits, optional noise shaping.
 * Deterministic noise (fixed seed) so that renders are reproducible. */
#ifndef LATHE_DITHER_H
#define LATHE_DITHER_H
#include "module.h"

enum {
	LATHE_DITHER_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_DITHER_BITS,    /* enum: 0 = 16, 1 = 20, 2 = 24 bits */
	LATHE_DITHER_SHAPING, /* enum: 0 = flat TPDF, 1 = noise shaped */
	LATHE_DITHER_PARAM_COUNT
};
#endif
