/* lathe — offline render (see render.h). */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "chain.h"
#include "dsp/dsp.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
/* Flush denormals to zero in hardware, as the JACK thread does. */
static void set_ftz(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#else
static void set_ftz(void) {}
#endif

/* Bits of an integer PCM subtype, 0 for float formats. */
static int pcm_bits(int format)
{
	switch (format & SF_FORMAT_SUBMASK) {
	case SF_FORMAT_PCM_S8:
	case SF_FORMAT_PCM_U8: return 8;
	case SF_FORMAT_PCM_16: return 16;
	case SF_FORMAT_PCM_24: return 24;
	case SF_FORMAT_PCM_32: return 32;
	default: return 0;
	}
}

/* Float to integer PCM, rounded on the target word length's own grid and
 * handed to libsndfile left-justified in 32 bits, which it truncates
 * exactly. (libsndfile's own float writer scales by 2^(bits-1) - 1, which
 * would move dithered samples off their grid.) */
static int to_pcm(float x, int bits)
{
	double full = ldexp(1.0, bits - 1);
	double q = nearbyint((double)x * full);
	if (q > full - 1.0)
		q = full - 1.0;
	if (q < -full)
		q = -full;
	/* Scaled by multiplying: a left shift of a negative value is undefined. */
	return (int)((long long)q * (1LL << (32 - bits)));
}

typedef struct {
	SNDFILE *file;
	int channels;
	int bits;       /* 0: write floats */
	int *ints;
	float *interleaved;
} Writer;

static bool write_frames(Writer *w, const float *l, const float *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (w->channels == 1) {
			w->interleaved[i] = l[i];
		} else {
			w->interleaved[2 * i] = l[i];
			w->interleaved[2 * i + 1] = r[i];
		}
	}
	sf_count_t done;
	if (w->bits) {
		for (int i = 0; i < n * w->channels; i++)
			w->ints[i] = to_pcm(w->interleaved[i], w->bits);
		done = sf_writef_int(w->file, w->ints, n);
	} else {
		done = sf_writef_float(w->file, w->interleaved, n);
	}
	return done == n;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void show_progress(long long done, long long total, int *shown)
{
	int pct = total > 0 ? (int)(100 * done / total) : 100;
	if (pct != *shown) {
		*shown = pct;
		fprintf(stderr, "\rrendering: %3d%%", pct);
		if (pct == 100)
			fputc('\n', stderr);
	}
}

bool lathe_render(const LatheRenderJob *job, char *err, size_t err_size)
{
	err[0] = '\0';
	if (same_file(job->input, job->output)) {
		snprintf(err, err_size, "%s: output would overwrite the input", job->output);
		return false;
	}
	SF_INFO in_info = { 0 };
	SNDFILE *in = sf_open(job->input, SFM_READ, &in_info);
	if (!in) {
		snprintf(err, err_size, "%s: %s", job->input, sf_strerror(NULL));
		return false;
	}
	if (in_info.channels > 2) {
		snprintf(err, err_size, "%s: %d channels; lathe masters mono or stereo files",
			 job->input, in_info.channels);
		sf_close(in);
		return false;
	}

	SF_INFO out_info = { .samplerate = in_info.samplerate, .channels = in_info.channels,
			     .format = job->format ? job->format : in_info.format };
	if (!sf_format_check(&out_info)) {
		snprintf(err, err_size, "%s: this output format cannot hold %d channels at %d Hz",
			 job->output, out_info.channels, out_info.samplerate);
		sf_close(in);
		return false;
	}
	char *tmp = NULL;
	int fd = lathe_temp_beside(job->output, &tmp);
	SNDFILE *out = fd >= 0 ? sf_open_fd(fd, SFM_WRITE, &out_info, SF_FALSE) : NULL;
	if (!out) {
		snprintf(err, err_size, "%s: %s", job->output,
			 fd < 0 ? strerror(errno) : sf_strerror(NULL));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		sf_close(in);
		return false;
	}

	int block = job->block > 0 ? job->block : 1024;
	int ch = in_info.channels;
	LatheChain *chain = lathe_chain_new(in_info.samplerate);
	float *buf = malloc(sizeof(float) * (size_t)block * 6);
	Writer w = { .file = out, .channels = ch, .bits = pcm_bits(out_info.format),
		     .ints = malloc(sizeof(int) * (size_t)block * 2), .interleaved = NULL };
	bool ok = chain && buf && w.ints;
	if (ok) {
		float *frames = buf, *l = buf + 2 * block, *r = buf + 3 * block;
		float *ol = buf + 4 * block, *or_ = buf + 5 * block;
		w.interleaved = frames;
		set_ftz();
		lathe_chain_apply(chain, job->settings);
		lathe_chain_maintain(chain, job->settings->value);
		lathe_chain_snap(chain);

		/* Skip the first `latency` output frames, then flush as many
		 * frames of silence after the input ends: same length, aligned. */
		long long skip = lathe_chain_latency(chain);
		long long total = in_info.frames, written = 0;
		int shown = -1;
		while (ok && written < total) {
			int n = (int)sf_readf_float(in, frames, block);
			if (n < block && sf_error(in) != SF_ERR_NO_ERROR) {
				/* A file damaged past its header: stop, rather than
				 * pad what could not be read with silence. */
				snprintf(err, err_size, "%s: read error: %s", job->input, sf_strerror(in));
				ok = false;
				break;
			}
			if (n < 0)
				n = 0;
			for (int i = 0; i < n; i++) {
				l[i] = frames[i * ch];
				r[i] = frames[i * ch + ch - 1];
			}
			if (n < block) { /* past the end: silence to flush the latency */
				for (int i = n; i < block; i++)
					l[i] = r[i] = 0.0f;
				n = block;
			}
			lathe_chain_process(chain, l, r, ol, or_, n);
			int from = 0;
			if (skip > 0) {
				from = skip < n ? (int)skip : n;
				skip -= from;
			}
			long long count = n - from;
			if (count > total - written)
				count = total - written;
			if (count > 0) {
				ok = write_frames(&w, ol + from, or_ + from, (int)count);
				written += count;
			}
			if (job->progress)
				show_progress(written, total, &shown);
		}
		if (!ok && !err[0])
			snprintf(err, err_size, "%s: write failed: %s", job->output, sf_strerror(out));
	} else {
		snprintf(err, err_size, "out of memory");
	}
	sf_close(in);
	/* libsndfile writes the final header on close; then make it durable. */
	if ((sf_close(out) != 0 || fsync(fd) != 0) && ok) {
		snprintf(err, err_size, "%s: could not finish writing", job->output);
		ok = false;
	}
	close(fd);
	if (!ok) {
		unlink(tmp);
	} else if (!lathe_replace_with(tmp, job->output)) {
		snprintf(err, err_size, "%s: %s", job->output, strerror(errno));
		ok = false;
	}
	lathe_chain_free(chain);
	free(buf);
	free(w.ints);
	free(tmp);
	return ok;
}
