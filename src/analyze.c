/* lathe — `lathe analyze` (see analyze.h). */
#include "analyze.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meter.h"

/* Frames per read: 32 KB of stereo floats. */
#define BLOCK 4096

/* libsndfile trims a WAV 'data' or AIFF 'SSND' chunk that claims more
 * bytes than the file holds (an interrupted copy or recording) and reads
 * what is there without an error: only its log says so, as
 * "data : 384000 (should be 199912)". A length of 0xFFFFFFFF is the
 * placeholder of a header never finished, not a truncation. */
static bool truncated(SNDFILE *f, long long *declared, long long *present)
{
	char log[8192] = "";
	sf_command(f, SFC_GET_LOG_INFO, log, sizeof(log));
	for (const char *line = log; *line; line++) {
		char chunk[8];
		long long d, p;
		if (sscanf(line, " %4s : %lld (should be %lld)", chunk, &d, &p) == 3 &&
		    (!strcmp(chunk, "data") || !strcmp(chunk, "SSND")) && d > p &&
		    d != 0xFFFFFFFFLL) {
			*declared = d;
			*present = p;
			return true;
		}
		line = strchr(line, '\n');
		if (!line)
			break;
	}
	return false;
}

bool lathe_analyze_file(const char *path, LatheAnalysis *out, char *err, size_t err_size)
{
	/* libsndfile's own message for a missing file is "System error : No
	 * such file or directory."; say it plainly, and catch directories,
	 * which it may open. */
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, err_size, "%s", strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "is a directory");
		return false;
	}
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f) {
		snprintf(err, err_size, "%s", sf_strerror(NULL));
		return false;
	}
	bool ok = false;
	LatheMeter *meter = NULL;
	float *buf = NULL;
	long long declared, present;
	if (info.channels > 2) {
		snprintf(err, err_size, "more than two channels: not supported");
	} else if (info.samplerate < 16) {
		snprintf(err, err_size, "unsupported sample rate: %d Hz", info.samplerate);
	} else if (truncated(f, &declared, &present)) {
		snprintf(err, err_size,
			 "truncated: the header promises %lld bytes of audio, the file holds %lld",
			 declared, present);
	} else if (!(meter = lathe_meter_new(info.samplerate, info.channels, false)) ||
		   !(buf = malloc(sizeof(float) * BLOCK * (size_t)info.channels))) {
		snprintf(err, err_size, "out of memory");
	} else {
		long long done = 0;
		ok = true;
		for (;;) {
			sf_count_t got = sf_readf_float(f, buf, BLOCK);
			if (got > 0) {
				lathe_meter_feed(meter, buf, (size_t)got);
				done += got;
			}
			if (got < BLOCK) {
				/* The end, or damage: a decoder error, or a
				 * stream that stops before its header's length. */
				if (sf_error(f) != SF_ERR_NO_ERROR) {
					snprintf(err, err_size, "read error after %lld frames: %s",
						 done, sf_strerror(f));
					ok = false;
				} else if (info.frames != SF_COUNT_MAX && done < info.frames) {
					snprintf(err, err_size,
						 "read error: the audio ends after %lld of %lld frames",
						 done, (long long)info.frames);
					ok = false;
				}
				break;
			}
		}
	}
	if (ok) {
		LatheMeterReading r;
		lathe_meter_read(meter, &r);
		*out = (LatheAnalysis){
			.integrated = r.integrated,
			.lra = r.lra,
			.momentary_max = r.momentary_max,
			.short_term_max = r.short_term_max,
			.true_peak = r.true_peak_max,
			.sample_peak = r.sample_peak_max,
			.plr = r.plr,
			.seconds = r.seconds,
		};
	}
	lathe_meter_free(meter);
	free(buf);
	sf_close(f);
	return ok;
}

/* ---- reports ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s, 0 if there is none. */
static int utf8_length(const unsigned char *s)
{
	int n;
	unsigned min;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string. File names are bytes, JSON text is UTF-8: a byte that
 * is not part of valid UTF-8 becomes U+FFFD, so the document always
 * parses (such a name does not survive the trip exactly). */
static void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', f);
	while (*s) {
		int n = utf8_length(s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f), s++;
		} else if (*s == '\t') {
			fputs("\\t", f), s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		}
	}
	fputc('"', f);
}

static void json_number(FILE *f, const char *key, double v)
{
	fprintf(f, ", ");
	json_string(f, key);
	if (isfinite(v))
		fprintf(f, ": %.2f", v);
	else
		fprintf(f, ": null");
}

/* One decimal, "-inf" for nothing to measure, and no "-0.0". */
static const char *text_value(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, size, "%.1f", fabs(v) < 0.05 ? 0.0 : v);
	return buf;
}

static void print_text(FILE *f, const char *file, int width, const LatheAnalysis *a)
{
	char v[7][32];
	fprintf(f, "%s:%*s integrated %s LUFS, LRA %s LU, momentary max %s LUFS, "
		   "short-term max %s LUFS, true peak %s dBTP, sample peak %s dBFS, PLR %s dB\n",
		file, width - (int)strlen(file), "",
		text_value(v[0], 32, a->integrated), text_value(v[1], 32, a->lra),
		text_value(v[2], 32, a->momentary_max), text_value(v[3], 32, a->short_term_max),
		text_value(v[4], 32, a->true_peak), text_value(v[5], 32, a->sample_peak),
		text_value(v[6], 32, a->plr));
}

static void print_json(FILE *f, const char *file, const LatheAnalysis *a, const char *error)
{
	fprintf(f, "  {");
	json_string(f, "file");
	fprintf(f, ": ");
	json_string(f, file);
	if (error) {
		fprintf(f, ", ");
		json_string(f, "error");
		fprintf(f, ": ");
		json_string(f, error);
	} else {
		json_number(f, "integrated_lufs", a->integrated);
		json_number(f, "lra_lu", a->lra);
		json_number(f, "momentary_max_lufs", a->momentary_max);
		json_number(f, "short_term_max_lufs", a->short_term_max);
		json_number(f, "true_peak_dbtp", a->true_peak);
		json_number(f, "sample_peak_dbfs", a->sample_peak);
		json_number(f, "plr_db", a->plr);
	}
	fprintf(f, "}");
}

bool lathe_analyze_files(const char *const *files, int count, bool json, FILE *out,
			 FILE *errors)
{
	/* Text lines align on the longest name. */
	int width = 0;
	for (int i = 0; i < count; i++)
		if ((int)strlen(files[i]) > width)
			width = (int)strlen(files[i]);
	bool all = true;
	if (json)
		fprintf(out, "[\n");
	for (int i = 0; i < count; i++) {
		LatheAnalysis a;
		char err[512];
		bool ok = lathe_analyze_file(files[i], &a, err, sizeof(err));
		all = all && ok;
		if (json) {
			print_json(out, files[i], &a, ok ? NULL : err);
			fprintf(out, "%s\n", i + 1 < count ? "," : "");
		} else if (ok) {
			print_text(out, files[i], width, &a);
		} else {
			fprintf(errors, "lathe analyze: %s: %s\n", files[i], err);
		}
		/* Each file's result shows as soon as it is known. */
		fflush(out);
	}
	if (json)
		fprintf(out, "]\n");
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(errors, "lathe analyze: could not write the report: %s\n", strerror(errno));
		all = false;
	}
	return all;
}
