/* lathe — split-band de-esser: only the sibilant band is turned down. */
#ifndef LATHE_DEESSER_H
#define LATHE_DEESSER_H
#include "module.h"

enum {
	LATHE_DEESSER_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_DEESSER_FREQ,      /* Hz, centre of the sibilant band */
	LATHE_DEESSER_Q,         /* bandwidth of the band */
	LATHE_DEESSER_THRESHOLD, /* dB, band level where reduction starts */
	LATHE_DEESSER_RANGE,     /* dB, most reduction applied */
	LATHE_DEESSER_LISTEN,    /* 0/1: hear the detector band alone */
	LATHE_DEESSER_PARAM_COUNT
};
#endif
