/* lathe — stereo width and bass-mono (vinyl-safe low end). */
#ifndef LATHE_IMAGER_H
#define LATHE_IMAGER_H
#include "module.h"

enum {
	LATHE_IMAGER_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_IMAGER_WIDTH,          /* %, side gain: 0 = mono, 100 = unchanged, 200 = wide */
	LATHE_IMAGER_BASS_MONO,      /* 0/1 */
	LATHE_IMAGER_BASS_MONO_FREQ, /* Hz, below it the side is removed (LR4) */
	LATHE_IMAGER_PARAM_COUNT
};
#endif
