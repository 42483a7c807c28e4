/* lathe — lookahead brick-wall limiter with true-peak (oversampled)
 * detection: nothing leaves above the ceiling. */
#ifndef LATHE_LIMITER_H
#define LATHE_LIMITER_H
#include "module.h"

enum {
	LATHE_LIMITER_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_LIMITER_INPUT_GAIN,   /* dB, drive into the limiter */
	LATHE_LIMITER_CEILING,      /* dBTP in true-peak mode, dBFS otherwise */
	LATHE_LIMITER_RELEASE,      /* ms */
	LATHE_LIMITER_AUTO_RELEASE, /* 0/1: release adapts to the program */
	LATHE_LIMITER_TRUE_PEAK,    /* 0/1: oversampled detection of inter-sample peaks */
	LATHE_LIMITER_PARAM_COUNT
};
#endif
