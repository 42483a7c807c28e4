/* lathe — the meter of one tap (see meter.h).
 *
 * Two libebur128 states measure the audio:
 *
 *   window   M | S | TRUE_PEAK, never reset: the 100 ms block energies
 *            behind momentary and short-term loudness, and the true peak.
 *            Kept across lathe_meter_reset so that the windows keep running
 *            and the true-peak interpolator never restarts from zero (a
 *            restart is a step, and a step rings above the wave it starts).
 *   program  I | LRA | HISTOGRAM, replaced by a fresh state on reset:
 *            integrated loudness and LRA. The histogram mode keeps its
 *            memory bounded (two 1000-bin histograms, 0.1 LU wide) however
 *            long the session; its readings are quantised to the bin
 *            centres, within 0.05 LU.
 *
 * Both see the same audio, so the K-weighting runs twice: two small
 * filters per sample, cheap next to the true-peak interpolator.
 *
 * Audio is fed in chunks that never cross a 100 ms block boundary (nor a
 * spectrum hop). At each boundary the block closes: its K-weighted energy
 * (libebur128's 100 ms window), its sample and true peaks and its
 * correlation sums go into rings of the last 3 s. Momentary is the mean of
 * the last 4 block energies, short-term of the last 30: exactly
 * BS.1770's 400 ms and 3 s windows, updated at 10 Hz as Tech 3341 asks,
 * without summing 3 s of audio at every update.
 *
 * The spectrum: frames of N samples (N the smallest power of two with
 * rate/N <= 1.5 Hz, 32768 at 48 kHz: 1.46 Hz apart, so that the semitones
 * of a bass line fall into different bins), Hann window, hop N/8. Each
 * frame is zero-padded to 2N, which samples its spectrum every half bin:
 * the display points between bins then read the spectrum where they are,
 * not where the nearest bin happens to be (see spectrum_hop). Left
 * and right share one complex FFT (L + iR), whose bins k and 2N-k give
 * the mean of the two channels' power spectra directly.
 *
 * Glossary: sp sample peak, tp true peak, ll/rr/lr correlation sums, blk
 * the 100 ms block in progress, ring slots hold complete blocks.
 */
#include "meter.h"

#include <ebur128.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Frames handed to libebur128 at once: the fixed scratch buffer. */
#define CHUNK 1024
/* Blocks of 100 ms kept: 3 s, the short-term window and PSR's reach. */
#define RING 30
/* A hold covers this many complete blocks and the one in progress:
 * LATHE_METER_HOLD_S to LATHE_METER_HOLD_S + 0.1 s. */
#define HOLD_BLOCKS ((int)(LATHE_METER_HOLD_S * 10.0 + 0.5))
_Static_assert(HOLD_BLOCKS >= 1 && HOLD_BLOCKS <= RING, "the hold must fit the 3 s ring");
/* Correlation window: 3 blocks, 300 ms. */
#define CORR_BLOCKS 3
/* Spectrum frames averaged (power, per bin): 4 hops, N/2 samples (341 ms
 * at 48 kHz). Two notes a semitone apart beat (3.3 Hz at A1); a single
 * frame shows their beating, which fills the dip between them. Averaging
 * four frames cancels most of it; fewer does not, more adds only lag. */
#define SPEC_AVG 4
/* Display fall, dB per second: the display rises with the average at once
 * and falls no faster than this. */
#define SPEC_FALL_DB_S 20.0
#define SPEC_FLOOR_DB (-140.0)
/* libebur128's true-peak interpolator (49 taps) spans 13 input frames at
 * 4x (below 96 kHz), 25 at 2x: for that long after a reset its output
 * still shows audio from before. */
#define TP_SETTLE 25

typedef struct {
	int size;               /* N, frame length */
	int fft_size;           /* 2N: zero-padded */
	int hop, hop_pos;       /* frames between FFTs, frames since the last */
	int write;              /* next write index in the rings */
	float *window;          /* N, Hann */
	float *ring[2];         /* the last N frames per channel */
	fftwf_complex *in, *out;
	fftwf_plan plan;
	float *power[SPEC_AVG]; /* the last frames' power, bins 0..N */
	int slot;               /* next power[] to overwrite */
	bool paused;            /* rings kept, no FFT (nobody is looking) */
	double peak_norm;       /* bin power of a full-scale sine on a bin */
	double band_norm;       /* summed bin power of a full-scale sine */
	double fall;            /* dB per hop */
	/* Per display point: the bins [lo, hi) whose centres lie in its band,
	 * and its frequency in bins. */
	int lo[LATHE_SPECTRUM_POINTS], hi[LATHE_SPECTRUM_POINTS];
	double at[LATHE_SPECTRUM_POINTS];
	float db[LATHE_SPECTRUM_POINTS];
} LatheSpectrum;

struct LatheMeter {
	double rate;
	int channels;
	ebur128_state *window;
	ebur128_state *program;
	float scratch[CHUNK * 2];

	/* Block in progress. */
	int blk_frames, blk_pos;
	double blk_sp[2], blk_tp[2];
	double blk_ll, blk_rr, blk_lr;

	/* Rings of complete blocks; `head` is the next slot to write. */
	int head, blocks;       /* blocks: complete blocks so far, up to RING */
	double energy[RING];    /* K-weighted mean square, BS.1770 weighted */
	double ring_sp[RING][2], ring_tp[RING][2];
	double ring_ll[RING], ring_rr[RING], ring_lr[RING];

	double momentary, short_term; /* LUFS, at the last block boundary */

	/* Since the previous read (linear). */
	double read_sp[2], read_tp[2];
	/* Since reset. */
	double max_sp, max_tp;  /* linear */
	double max_m, max_s;    /* LUFS, of windows wholly after the reset */
	double frames;          /* since reset */
	int fresh_blocks;       /* blocks begun and ended since reset */
	int tp_settle;          /* frames until true peaks are the reset's own */

	LatheSpectrum *spec;
};

static double to_db(double x)
{
	return x > 0.0 ? 20.0 * log10(x) : -INFINITY;
}

/* BS.1770: L = -0.691 + 10 log10(weighted mean square). */
static double energy_to_lufs(double e)
{
	return e > 0.0 ? -0.691 + 10.0 * log10(e) : -INFINITY;
}

/* A reading never carries NaN: non-finite input is silenced before it is
 * measured, but a difference of two infinities would still make one. */
static float clean(double x)
{
	return isnan(x) ? -INFINITY : (float)x;
}

static ebur128_state *program_new(const LatheMeter *m)
{
	return ebur128_init((unsigned)m->channels, (unsigned long)m->rate,
			    EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM);
}

/* ---- spectrum ---------------------------------------------------------- */

double lathe_meter_spectrum_freq(int i)
{
	return 20.0 * pow(2.0, i / 24.0);
}

static void spectrum_free(LatheSpectrum *s)
{
	if (!s)
		return;
	if (s->plan)
		fftwf_destroy_plan(s->plan);
	fftwf_free(s->in);
	fftwf_free(s->out);
	free(s->window);
	free(s->ring[0]);
	free(s->ring[1]);
	for (int k = 0; k < SPEC_AVG; k++)
		free(s->power[k]);
	free(s);
}

static LatheSpectrum *spectrum_new(double rate)
{
	LatheSpectrum *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	int n = 1;
	while (rate / n > 1.5)
		n *= 2;
	s->size = n;
	s->fft_size = 2 * n;
	s->hop = n / 8;
	s->window = malloc(sizeof(float) * n);
	s->ring[0] = calloc(n, sizeof(float));
	s->ring[1] = calloc(n, sizeof(float));
	s->in = fftwf_malloc(sizeof(fftwf_complex) * s->fft_size);
	s->out = fftwf_malloc(sizeof(fftwf_complex) * s->fft_size);
	bool ok = s->window && s->ring[0] && s->ring[1] && s->in && s->out;
	for (int k = 0; k < SPEC_AVG; k++) {
		s->power[k] = calloc(n + 1, sizeof(float));
		ok = ok && s->power[k];
	}
	if (ok) {
		/* The zero padding is written once: an out-of-place complex
		 * transform leaves its input alone. */
		memset(s->in, 0, sizeof(fftwf_complex) * s->fft_size);
		s->plan = fftwf_plan_dft_1d(s->fft_size, s->in, s->out, FFTW_FORWARD,
					    FFTW_ESTIMATE);
	}
	if (!ok || !s->plan) {
		spectrum_free(s);
		return NULL;
	}

	/* Periodic Hann. A full-scale sine on a bin reads (sum w / 2)^2 there;
	 * its power summed over the positive bins is 2N sum(w^2) / 4
	 * (Parseval over 2N bins, half of it on the positive side). */
	double sw = 0.0, sw2 = 0.0;
	for (int i = 0; i < n; i++) {
		double w = 0.5 - 0.5 * cos(2.0 * M_PI * i / n);
		s->window[i] = (float)w;
		sw += w;
		sw2 += w * w;
	}
	s->peak_norm = sw * sw / 4.0;
	s->band_norm = s->fft_size * sw2 / 4.0;
	s->fall = SPEC_FALL_DB_S * s->hop / rate;

	double bin_hz = rate / s->fft_size;
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++) {
		double f = lathe_meter_spectrum_freq(i);
		double lo = ceil(f * pow(2.0, -1.0 / 48.0) / bin_hz);
		double hi = ceil(f * pow(2.0, 1.0 / 48.0) / bin_hz);
		s->lo[i] = (int)fmin(lo, n + 1);
		s->hi[i] = (int)fmin(hi, n + 1);
		s->at[i] = f / bin_hz;
		s->db[i] = (float)SPEC_FLOOR_DB;
	}
	return s;
}

/* The averaged power at fractional bin x: a parabola through the log power
 * of the three nearest bins. Hann's main lobe is close to a Gaussian, a
 * parabola in the log domain, so a sine between bins reads its own level
 * (within 0.05 dB at half-bin spacing). The result is capped a little
 * above the largest of the three (0.4 dB: the most a peak can sit above
 * its nearest half-bin), so that a deep null beside a bin cannot throw the
 * parabola upwards. */
static double interpolate(const float *p, int bins, double x)
{
	int c = (int)lround(x);
	if (c < 1 || c >= bins - 1)
		return 0.0;
	double u = x - c;
	double pm = p[c - 1], p0 = p[c], pp = p[c + 1];
	double top = fmax(p0, fmax(pm, pp));
	if (top <= 0.0)
		return 0.0;
	double ym = log(pm + 1e-30 * top), y0 = log(p0 + 1e-30 * top), yp = log(pp + 1e-30 * top);
	double v = exp(y0 + 0.5 * u * (yp - ym) + 0.5 * u * u * (yp + ym - 2.0 * y0));
	return fmin(v, 1.1 * top);
}

/* One frame: FFT of the last N frames, power into the average, display
 * points from the average.
 *
 * Each point reads the larger of two measures, both scaled so that a
 * full-scale sine reads 0 dB:
 *   - the power of the bins in its 1/24-octave band (a band analyser: what
 *     the point shows wherever the band spans several bins);
 *   - the spectrum interpolated at the point's own frequency (where the
 *     band is narrower than the window's main lobe, below ~75 Hz at 44.1
 *     and 48 kHz, the band holds a bin or two or none; the interpolation
 *     is what lets each point read its note).
 * For noise the two meet where the band is 1.5 frame bins wide (the Hann
 * window's noise bandwidth; 3 bins of the padded FFT), so the floor has
 * no step there. */
static void spectrum_hop(LatheSpectrum *s)
{
	const int n = s->size, m = s->fft_size, bins = n + 1;
	for (int i = 0; i < n; i++) {
		int j = (s->write + i) & (n - 1); /* oldest first */
		s->in[i][0] = s->window[i] * s->ring[0][j];
		s->in[i][1] = s->window[i] * s->ring[1][j];
	}
	fftwf_execute(s->plan);

	/* Z = FFT(L + iR): |L_k|^2 + |R_k|^2 = (|Z_k|^2 + |Z_(m-k)|^2) / 2. */
	float *p = s->power[s->slot];
	s->slot = (s->slot + 1) % SPEC_AVG;
	for (int k = 0; k < bins; k++) {
		const float *a = s->out[k], *b = s->out[(m - k) & (m - 1)];
		p[k] = 0.25f * (a[0] * a[0] + a[1] * a[1] + b[0] * b[0] + b[1] * b[1]);
	}
	/* The average goes into the FFT output's memory, unused until the
	 * next hop (the slots must stay single frames). */
	float *avg = (float *)s->out;
	for (int k = 0; k < bins; k++) {
		float sum = 0.0f;
		for (int j = 0; j < SPEC_AVG; j++)
			sum += s->power[j][k];
		avg[k] = sum * (1.0f / SPEC_AVG);
	}

	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++) {
		double band = 0.0;
		for (int k = s->lo[i]; k < s->hi[i]; k++)
			band += avg[k];
		double v = fmax(band / s->band_norm, interpolate(avg, bins, s->at[i]) / s->peak_norm);
		double db = v > 0.0 ? 10.0 * log10(v) : SPEC_FLOOR_DB;
		if (db < SPEC_FLOOR_DB)
			db = SPEC_FLOOR_DB;
		double fallen = s->db[i] - s->fall;
		s->db[i] = (float)(db > fallen ? db : fallen);
	}
}

/* Interleaved frames (already cleaned) into the rings; never crosses a hop. */
static void spectrum_push(LatheSpectrum *s, const float *x, int channels, int frames)
{
	for (int i = 0; i < frames; i++) {
		s->ring[0][s->write] = x[i * channels];
		s->ring[1][s->write] = x[i * channels + channels - 1];
		s->write = (s->write + 1) & (s->size - 1);
	}
	s->hop_pos += frames;
	if (s->hop_pos == s->hop) {
		s->hop_pos = 0;
		if (!s->paused)
			spectrum_hop(s);
	}
}

bool lathe_meter_spectrum(const LatheMeter *meter, float db[LATHE_SPECTRUM_POINTS])
{
	if (!meter->spec)
		return false;
	memcpy(db, meter->spec->db, sizeof(meter->spec->db));
	return true;
}

void lathe_meter_spectrum_pause(LatheMeter *meter, bool paused)
{
	LatheSpectrum *s = meter->spec;
	if (!s || s->paused == paused)
		return;
	s->paused = paused;
	if (paused)
		return;
	/* What it showed is from before the pause: start from the floor, and
	 * average only frames from now on (the rings are current). */
	for (int k = 0; k < SPEC_AVG; k++)
		memset(s->power[k], 0, sizeof(float) * (size_t)(s->size + 1));
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		s->db[i] = (float)SPEC_FLOOR_DB;
}

/* ---- meter ------------------------------------------------------------- */

static void clear_maxima(LatheMeter *m)
{
	m->max_sp = m->max_tp = 0.0;
	m->max_m = m->max_s = -INFINITY;
	m->frames = 0.0;
	/* The block in progress began before: it does not count. */
	m->fresh_blocks = m->blk_pos == 0 ? 0 : -1;
}

LatheMeter *lathe_meter_new(double rate, int channels, bool with_spectrum)
{
	/* libebur128 takes whole rates from 16 Hz up. */
	if (!(rate >= 16.0 && rate <= 2822400.0) || rate != floor(rate) ||
	    (channels != 1 && channels != 2))
		return NULL;
	LatheMeter *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->rate = rate;
	m->channels = channels;
	/* The default map puts channel 0 left, 1 right: weight 1 each. A mono
	 * meter is one channel, not dual mono: -3 dB against the same signal
	 * in both channels of a stereo meter, as BS.1770 sums channels. */
	m->window = ebur128_init((unsigned)channels, (unsigned long)rate,
				 EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK);
	m->program = program_new(m);
	if (with_spectrum)
		m->spec = spectrum_new(rate);
	if (!m->window || !m->program || (with_spectrum && !m->spec)) {
		lathe_meter_free(m);
		return NULL;
	}
	/* libebur128's own 100 ms window: the same frame count as its query. */
	m->blk_frames = (int)((unsigned long)rate * 100 / 1000);
	m->momentary = m->short_term = -INFINITY;
	clear_maxima(m);
	return m;
}

void lathe_meter_free(LatheMeter *meter)
{
	if (!meter)
		return;
	if (meter->window)
		ebur128_destroy(&meter->window);
	if (meter->program)
		ebur128_destroy(&meter->program);
	spectrum_free(meter->spec);
	free(meter);
}

/* Mean of the last `count` block energies, as LUFS; -inf until the window
 * is full. */
static double window_lufs(const LatheMeter *m, int count)
{
	if (m->blocks < count)
		return -INFINITY;
	double sum = 0.0;
	for (int k = 1; k <= count; k++)
		sum += m->energy[(m->head - k + RING) % RING];
	return energy_to_lufs(sum / count);
}

static void close_block(LatheMeter *m)
{
	double lufs;
	if (ebur128_loudness_window(m->window, 100, &lufs) != EBUR128_SUCCESS)
		lufs = -INFINITY;
	int h = m->head;
	m->energy[h] = isfinite(lufs) ? pow(10.0, (lufs + 0.691) / 10.0) : 0.0;
	for (int c = 0; c < 2; c++) {
		m->ring_sp[h][c] = m->blk_sp[c];
		m->ring_tp[h][c] = m->blk_tp[c];
		m->blk_sp[c] = m->blk_tp[c] = 0.0;
	}
	m->ring_ll[h] = m->blk_ll;
	m->ring_rr[h] = m->blk_rr;
	m->ring_lr[h] = m->blk_lr;
	m->blk_ll = m->blk_rr = m->blk_lr = 0.0;
	m->head = (h + 1) % RING;
	if (m->blocks < RING)
		m->blocks++;
	m->blk_pos = 0;

	m->momentary = window_lufs(m, 4);
	m->short_term = window_lufs(m, RING);
	/* A maximum since reset is of windows that lie after the reset. */
	if (m->fresh_blocks < RING)
		m->fresh_blocks++;
	if (m->fresh_blocks >= 4 && m->momentary > m->max_m)
		m->max_m = m->momentary;
	if (m->fresh_blocks >= RING && m->short_term > m->max_s)
		m->max_s = m->short_term;
}

void lathe_meter_feed(LatheMeter *meter, const float *samples, size_t frames)
{
	LatheMeter *m = meter;
	const int ch = m->channels;
	while (frames > 0) {
		int n = frames < CHUNK ? (int)frames : CHUNK;
		if (n > m->blk_frames - m->blk_pos)
			n = m->blk_frames - m->blk_pos;
		if (m->spec && n > m->spec->hop - m->spec->hop_pos)
			n = m->spec->hop - m->spec->hop_pos;
		if (m->tp_settle > 0 && n > m->tp_settle)
			n = m->tp_settle;

		/* Clean copy: non-finite samples become silence. Sample peaks
		 * and correlation sums on the way. */
		float *x = m->scratch;
		double sp[2] = { 0.0, 0.0 }, tp[2];
		double ll = 0.0, rr = 0.0, lr = 0.0;
		for (int i = 0; i < n; i++) {
			float l = samples[i * ch], r = samples[i * ch + ch - 1];
			if (!isfinite(l))
				l = 0.0f;
			if (!isfinite(r))
				r = 0.0f;
			x[i * ch] = l;
			x[i * ch + ch - 1] = r;
			sp[0] = fmax(sp[0], fabsf(l));
			sp[1] = fmax(sp[1], fabsf(r));
			ll += (double)l * l;
			rr += (double)r * r;
			lr += (double)l * r;
		}
		m->blk_ll += ll;
		m->blk_rr += rr;
		m->blk_lr += lr;

		ebur128_add_frames_float(m->window, x, (size_t)n);
		ebur128_add_frames_float(m->program, x, (size_t)n);
		/* prev_true_peak covers this call only: the maxima are kept
		 * here. A true peak is never below the sample peak (libebur128
		 * does not interpolate at 192 kHz and above). */
		for (int c = 0; c < 2; c++) {
			tp[c] = 0.0;
			ebur128_prev_true_peak(m->window, (unsigned)(c < ch ? c : 0), &tp[c]);
			tp[c] = fmax(tp[c], sp[c]);
			m->blk_sp[c] = fmax(m->blk_sp[c], sp[c]);
			m->blk_tp[c] = fmax(m->blk_tp[c], tp[c]);
			m->read_sp[c] = fmax(m->read_sp[c], sp[c]);
			m->read_tp[c] = fmax(m->read_tp[c], tp[c]);
		}
		m->max_sp = fmax(m->max_sp, fmax(sp[0], sp[1]));
		if (m->tp_settle > 0) {
			/* Just after a reset: only the sample peaks are its own. */
			m->tp_settle -= n;
			m->max_tp = fmax(m->max_tp, fmax(sp[0], sp[1]));
		} else {
			m->max_tp = fmax(m->max_tp, fmax(tp[0], tp[1]));
		}
		m->frames += n;

		if (m->spec)
			spectrum_push(m->spec, x, ch, n);
		m->blk_pos += n;
		if (m->blk_pos == m->blk_frames)
			close_block(m);
		samples += (size_t)n * ch;
		frames -= (size_t)n;
	}
}

/* Highest of the last `count` complete blocks of a ring (and of the block
 * in progress when `partial`), per channel. */
static double ring_max(const LatheMeter *m, const double ring[][2], const double *partial,
		       int c, int count)
{
	double v = partial ? partial[c] : 0.0;
	if (count > m->blocks)
		count = m->blocks;
	for (int k = 1; k <= count; k++)
		v = fmax(v, ring[(m->head - k + RING) % RING][c]);
	return v;
}

static double correlation(const LatheMeter *m)
{
	double ll = 0.0, rr = 0.0, lr = 0.0;
	int count = m->blocks < CORR_BLOCKS ? m->blocks : CORR_BLOCKS;
	for (int k = 1; k <= count; k++) {
		int j = (m->head - k + RING) % RING;
		ll += m->ring_ll[j];
		rr += m->ring_rr[j];
		lr += m->ring_lr[j];
	}
	/* Silence (below -200 dBFS RMS in either channel) has no phase. */
	double floor_ = 1e-20 * count * m->blk_frames;
	if (ll <= floor_ || rr <= floor_)
		return 0.0;
	double c = lr / sqrt(ll * rr);
	return c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
}

void lathe_meter_read(LatheMeter *meter, LatheMeterReading *out)
{
	LatheMeter *m = meter;
	for (int c = 0; c < 2; c++) {
		out->sample_peak[c] = clean(to_db(m->read_sp[c]));
		out->true_peak[c] = clean(to_db(m->read_tp[c]));
		out->sample_peak_hold[c] = clean(to_db(ring_max(m, m->ring_sp, m->blk_sp, c, HOLD_BLOCKS)));
		out->true_peak_hold[c] = clean(to_db(ring_max(m, m->ring_tp, m->blk_tp, c, HOLD_BLOCKS)));
		m->read_sp[c] = m->read_tp[c] = 0.0;
	}
	out->sample_peak_max = clean(to_db(m->max_sp));
	out->true_peak_max = clean(to_db(m->max_tp));
	out->momentary = clean(m->momentary);
	out->short_term = clean(m->short_term);
	out->momentary_max = clean(m->max_m);
	out->short_term_max = clean(m->max_s);

	double integrated = -INFINITY, lra = -INFINITY;
	if (ebur128_loudness_global(m->program, &integrated) != EBUR128_SUCCESS)
		integrated = -INFINITY;
	/* LRA needs a short-term block (3 s) above the gates; libebur128
	 * says 0 LU when it has none, which would read as a measurement. */
	if (isfinite(integrated) && m->frames >= 3.0 * m->rate &&
	    ebur128_loudness_range(m->program, &lra) != EBUR128_SUCCESS)
		lra = -INFINITY;
	out->integrated = clean(integrated);
	out->lra = clean(lra);

	double tp_max = to_db(m->max_tp);
	out->plr = isfinite(integrated) && isfinite(tp_max) ? clean(tp_max - integrated) : -INFINITY;
	/* PSR over the short-term window's own 30 blocks. */
	double tp3 = to_db(fmax(ring_max(m, m->ring_tp, NULL, 0, RING),
				ring_max(m, m->ring_tp, NULL, 1, RING)));
	out->psr = isfinite(m->short_term) && isfinite(tp3) ? clean(tp3 - m->short_term) : -INFINITY;
	out->correlation = (float)correlation(m);
	out->seconds = m->frames / m->rate;
}

void lathe_meter_reset(LatheMeter *meter)
{
	LatheMeter *m = meter;
	ebur128_state *fresh = program_new(m);
	/* Out of memory: the old integration goes on (it is still a valid
	 * measurement, of a longer stretch) rather than none at all. */
	if (fresh) {
		ebur128_destroy(&m->program);
		m->program = fresh;
	}
	clear_maxima(m);
	m->tp_settle = TP_SETTLE;
}
