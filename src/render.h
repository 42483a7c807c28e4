/* lathe — offline render: the same chain code over a file (libsndfile).
 * Non-RT. */
#ifndef LATHE_RENDER_H
#define LATHE_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

typedef struct {
	const char *input;
	const char *output;
	const LatheSettings *settings;
	int block;          /* frames per chain call; the output does not depend on it */
	int format;         /* libsndfile SF_FORMAT_* (major | subtype); 0 = as the input */
	bool progress;      /* show a progress line on stderr */
} LatheRenderJob;

/* Render input to output, time-aligned and of the same length: the chain's
 * latency is removed and its tail flushed. Mono is processed as dual mono
 * (the left output is written). The output appears atomically (written
 * beside it, then renamed), so a failed render leaves no partial file and
 * never touches the input. On failure, err says why. */
bool lathe_render(const LatheRenderJob *job, char *err, size_t err_size);

#endif
