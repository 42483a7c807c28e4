/* lathe — `lathe analyze`: loudness and peaks of whole files, measured by
 * the console's own meter (LatheMeter), read with libsndfile in blocks
 * (memory does not grow with the file).
 *
 * Threads. Non-RT; one thread at a time (LatheMeter's FFT planning is
 * not involved: no spectrum here).
 */
#ifndef LATHE_ANALYZE_H
#define LATHE_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What one file measures. -INFINITY where there is nothing to measure
 * (silence, or shorter than the measurement's window). */
typedef struct {
	double integrated;     /* LUFS, gated (BS.1770-4) */
	double lra;            /* LU (EBU Tech 3342) */
	double momentary_max;  /* LUFS */
	double short_term_max; /* LUFS */
	double true_peak;      /* dBTP, highest of the channels */
	double sample_peak;    /* dBFS, highest of the channels */
	double plr;            /* dB, true_peak - integrated */
	double seconds;        /* duration read */
} LatheAnalysis;

/* Measure one mono or stereo file. False with a message in err (without
 * the file name) when it cannot be opened, is not mono or stereo, or is
 * damaged: a read error or a file shorter than its header says is a
 * failure, never measured as if the missing audio were silence. */
bool lathe_analyze_file(const char *path, LatheAnalysis *out, char *err, size_t err_size);

/* Measure every file, in order, and report each on `out`: one line per
 * file (text), or a JSON array of one object per file (json; a failed
 * file is an object with "file" and "error"). In text mode failures go to
 * `errors` as "lathe analyze: FILE: message". Every file is reported even
 * after a failure. Returns true when every file was measured (and the
 * report was written). */
bool lathe_analyze_files(const char *const *files, int count, bool json, FILE *out,
			 FILE *errors);

#endif
