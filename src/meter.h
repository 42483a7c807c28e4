/* lathe — the meter of one stereo tap: peaks, true peak, loudness
 * (EBU R128 / ITU-R BS.1770 through libebur128), loudness range, PLR, PSR,
 * correlation and a display spectrum (FFTW3).
 *
 * The console runs one meter per tap (input, A, B, reference, monitor) on the
 * main loop, fed with the audio the engine hands out through its meter ring;
 * `lathe analyze` runs the same meter over whole files.
 *
 * Threads. Not real-time: lathe_meter_new plans FFTs and libebur128 may
 * allocate. A meter belongs to one thread at a time. FFTW's planner is not
 * thread-safe: create meters on one thread.
 *
 * Levels are in dB; a level with nothing to measure yet (silence, or less
 * audio than the measurement's window) is -INFINITY, never NaN.
 */
#ifndef LATHE_METER_H
#define LATHE_METER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct LatheMeter LatheMeter;

/* Peak holds last this long, then fall to the current value. */
#define LATHE_METER_HOLD_S 2.0

/* Display spectrum: points at 1/24 octave from 20 Hz to 20 kHz. */
#define LATHE_SPECTRUM_POINTS 240

typedef struct {
	float sample_peak[2];      /* dBFS per channel, since the previous read */
	float sample_peak_hold[2]; /* dBFS, the highest of the last LATHE_METER_HOLD_S */
	float sample_peak_max;     /* dBFS, highest of both channels since reset */
	float true_peak[2];        /* dBTP per channel, since the previous read */
	float true_peak_hold[2];   /* dBTP, held as sample_peak_hold */
	float true_peak_max;       /* dBTP, highest of both channels since reset */
	float momentary;           /* LUFS, 400 ms window */
	float short_term;          /* LUFS, 3 s window */
	float integrated;          /* LUFS, gated, since reset */
	float momentary_max;       /* LUFS, since reset */
	float short_term_max;      /* LUFS, since reset */
	float lra;                 /* LU, loudness range (EBU Tech 3342), since reset */
	float plr;                 /* dB, true_peak_max - integrated */
	float psr;                 /* dB, highest true peak of the last 3 s - short_term */
	float correlation;         /* -1..1 over the last 300 ms; 0 for silence */
	double seconds;            /* audio measured since reset */
} LatheMeterReading;

/* Non-RT. A meter at the rate for 1 or 2 channels (console taps are
 * stereo; a mono file is measured as one channel, as BS.1770 defines, and
 * its readings show channel 0 in both slots). with_spectrum plans its FFT
 * (off the audio thread, once). NULL when out of memory or unsupported. */
LatheMeter *lathe_meter_new(double rate, int channels, bool with_spectrum);
/* Non-RT. NULL-safe. */
void lathe_meter_free(LatheMeter *meter);

/* Measure frames of interleaved samples (L R L R ... for stereo).
 * Non-finite samples count as silence. */
void lathe_meter_feed(LatheMeter *meter, const float *samples, size_t frames);

/* The current values; starts a new "since the previous read" interval. */
void lathe_meter_read(LatheMeter *meter, LatheMeterReading *out);

/* Start integrated loudness, LRA and every maximum afresh (the momentary,
 * short-term and correlation windows and the spectrum keep running). */
void lathe_meter_reset(LatheMeter *meter);

/* Display spectrum in dB (a full-scale sine reads 0 dB at its point),
 * smoothed for display, at the frequencies of lathe_meter_spectrum_freq.
 * Writes LATHE_SPECTRUM_POINTS values; false without a spectrum. */
bool lathe_meter_spectrum(const LatheMeter *meter, float db[LATHE_SPECTRUM_POINTS]);
/* The frequency in Hz of display point i. */
double lathe_meter_spectrum_freq(int i);

#endif
