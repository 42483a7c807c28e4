/* lathe — the meter of one stereo tap: peaks, true peak, loudness
 * (EBU R128 / ITU-R BS.1770 through libebur128), loudness range, PLR, PSR,
 * correlation and a display spectrum (FFTW3).
 *
 * The console runs one meter per tap (input, A, B, reference, monitor) on the
 * main loop, fed with the audio the engine hands out through its meter ring;
 * `lathe analyze` runs the same meter over whole files.
 *
 * Threads. A meter belongs to one thread at a time. lathe_meter_new and
 * lathe_meter_reset allocate; FFTW's planner and libebur128's set-up write
 * shared tables, so create and reset meters on one thread. feed, read and
 * spectrum do not allocate (fixed buffers; libebur128 runs in its
 * histogram mode) but are not meant for the audio thread: each spectrum
 * frame is a 65536-point FFT at 48 kHz (about half a millisecond).
 *
 * Levels are in dB; a level with nothing to measure yet (silence, or less
 * audio than the measurement's window) is -INFINITY, never NaN.
 *
 * Windows. Audio is measured in blocks of 100 ms; momentary (400 ms),
 * short-term (3 s), correlation (300 ms) and PSR (3 s) are over the last
 * complete blocks, so they update at 10 Hz, and stay -INFINITY until their
 * window has been filled once. Integrated loudness and LRA come from
 * libebur128's histogram mode (bounded memory; readings within 0.05 LU of
 * the exact ones).
 */
#ifndef LATHE_METER_H
#define LATHE_METER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct LatheMeter LatheMeter;

/* A hold shows the highest peak of the last LATHE_METER_HOLD_S seconds
 * (to a block more), then drops to the highest of what is left: the
 * current level, for a steady signal. */
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
	float momentary_max;       /* LUFS, of windows wholly after the reset */
	float short_term_max;      /* LUFS, likewise */
	float lra;                 /* LU, loudness range (EBU Tech 3342), since
				    * reset; -INFINITY before 3 s of audio */
	float plr;                 /* dB, true_peak_max - integrated */
	float psr;                 /* dB, highest true peak of the last 3 s - short_term */
	float correlation;         /* -1..1 over the last 300 ms: sum LR /
				    * sqrt(sum L^2 sum R^2); 0 when either
				    * channel is silent; a mono meter reads 1 */
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

/* Non-RT (allocates a fresh libebur128 state; cheap enough for a main
 * loop). Start integrated loudness, LRA, seconds and every maximum afresh;
 * the momentary, short-term and correlation windows, the holds and the
 * spectrum keep running. Out of memory, integration goes on unreset. */
void lathe_meter_reset(LatheMeter *meter);

/* Display spectrum in dB (a full-scale sine reads 0 dB at its point),
 * smoothed for display, at the frequencies of lathe_meter_spectrum_freq.
 * Writes LATHE_SPECTRUM_POINTS values; false without a spectrum.
 *
 * Frames of N samples, N the smallest power of two with rate/N <= 1.5 Hz
 * (32768 at 44.1 and 48 kHz: semitones of a bass line fall into separate
 * bins), Hann window, a new frame every N/8 samples, zero-padded to 2N.
 * Stereo reads the mean of the two channels' power spectra. Each point is
 * the power of the bins in its 1/24-octave band, or, where that band is
 * narrower than the window's main lobe, the spectrum interpolated at the
 * point's frequency (whichever is larger). Smoothing: the power of the
 * last 4 frames is averaged (341 ms at 48 kHz; it cancels the beating of
 * close notes), the display rises with it at once and falls at most
 * 20 dB/s. Points below -140 dB read -140. */
bool lathe_meter_spectrum(const LatheMeter *meter, float db[LATHE_SPECTRUM_POINTS]);
/* A spectrum nobody looks at costs an FFT per frame for nothing: paused,
 * the audio still goes into its rings but no frame is analysed. Resumed,
 * it starts from the floor (the average holds only new frames, so the
 * first reading is fully current after 4 frames, 341 ms at 48 kHz). */
void lathe_meter_spectrum_pause(LatheMeter *meter, bool paused);
/* The frequency in Hz of display point i. */
double lathe_meter_spectrum_freq(int i);

#endif
