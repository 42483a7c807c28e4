/* lathe — harmonic saturation (tape, tube, soft clip), oversampled so that
 * its harmonics do not alias. Latency is the same at every oversampling
 * factor, so changing the factor never shifts time. */
#ifndef LATHE_SATURATE_H
#define LATHE_SATURATE_H
#include "module.h"

enum {
	LATHE_SATURATE_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_SATURATE_TYPE,       /* enum: 0 = tape, 1 = tube, 2 = soft clip */
	LATHE_SATURATE_DRIVE,      /* dB into the nonlinearity */
	LATHE_SATURATE_MIX,        /* %, wet share */
	LATHE_SATURATE_OUTPUT,     /* dB after the nonlinearity */
	LATHE_SATURATE_OVERSAMPLE, /* enum: 0 = 2x, 1 = 4x, 2 = 8x */
	LATHE_SATURATE_PARAM_COUNT
};
#endif
