/* lathe — `make bench`: offline throughput of the chain on one core and the
 * peak memory of a render. Prints Markdown, ready for README.md.
 *
 * Not a test: figures depend on the machine. Each figure is the best of
 * three runs (the least disturbed by whatever else the machine does).
 */
#include <sched.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "engine.h"
#include "meters.h"
#include "session.h"
#include "../signals.h"

#define RATE 48000
#define SECONDS 60
#define FRAMES (RATE * SECONDS)
#define PERIOD 256 /* a common JACK period */
#define RUNS 3

static float *in_l, *in_r, *out_l, *out_r;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Seconds of CPU to process the whole signal through `count` chains, each
 * fed the same input, period by period, as the console runs A and B. */
static double time_chains(const LatheSettings *s, int count)
{
	double best = 1e9;
	for (int run = 0; run < RUNS; run++) {
		LatheChain *c[2];
		for (int k = 0; k < count; k++) {
			c[k] = lathe_chain_new(RATE);
			lathe_chain_apply(c[k], s);
			lathe_chain_maintain(c[k], s->value);
			lathe_chain_snap(c[k]);
		}
		double t0 = now();
		for (int i = 0; i < FRAMES; i += PERIOD)
			for (int k = 0; k < count; k++)
				lathe_chain_process(c[k], in_l + i, in_r + i, out_l + i, out_r + i, PERIOD);
		double t = now() - t0;
		if (t < best)
			best = t;
		for (int k = 0; k < count; k++)
			lathe_chain_free(c[k]);
	}
	return best;
}

/* The whole engine as the JACK host runs it: both chains with the preset,
 * a reference input, loudness match on, the monitor section with band
 * listen, and the meter taps, in 64-frame periods. A reader drains the
 * meter ring into the five tap meters (libebur128 and spectrum), timed
 * apart: that work runs on the main loop, not the audio thread. Returns
 * the engine's seconds; *meters_s gets the readers', *p999 the 99.9th
 * percentile of a period's time and *worst the slowest (which includes
 * whatever the machine did meanwhile: this is not a real-time thread). */
#define ENGINE_PERIOD 64
static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double time_engine(const LatheSettings *s, double *meters_s, double *p999, double *worst)
{
	static double periods[FRAMES / ENGINE_PERIOD];
	double best = 1e9;
	for (int run = 0; run < RUNS; run++) {
		LatheEngine *e = lathe_engine_new(RATE);
		LatheMeters *m = lathe_meters_new(RATE, true);
		for (int k = 0; k < 2; k++) {
			lathe_engine_apply(e, (LatheChainId)k, s);
			lathe_engine_maintain(e, (LatheChainId)k, s->value);
		}
		lathe_engine_set_console(e, LATHE_CONSOLE_MATCH, 1.0f);
		lathe_engine_set_console(e, LATHE_CONSOLE_SOURCE, LATHE_SOURCE_B);
		lathe_engine_set_console(e, LATHE_CONSOLE_BAND, 2.0f);
		lathe_engine_snap(e);
		static float mon_l[ENGINE_PERIOD], mon_r[ENGINE_PERIOD];
		double engine_t = 0.0, reader_t = 0.0;
		for (int i = 0; i < FRAMES; i += ENGINE_PERIOD) {
			double t0 = now();
			lathe_engine_process(e, in_l + i, in_r + i, in_r + i, in_l + i, out_l + i,
					     out_r + i, mon_l, mon_r, ENGINE_PERIOD);
			double t1 = now();
			engine_t += t1 - t0;
			periods[i / ENGINE_PERIOD] = t1 - t0;
			/* The main loop polls at display rate, about every 20 ms. */
			if ((i / ENGINE_PERIOD) % 15 == 0) {
				lathe_meters_poll(m, lathe_engine_meter_ring(e));
				reader_t += now() - t1;
			}
		}
		if (engine_t < best) {
			best = engine_t;
			*meters_s = reader_t;
			int count = FRAMES / ENGINE_PERIOD;
			qsort(periods, (size_t)count, sizeof(double), by_value);
			*p999 = periods[count - count / 1000 - 1];
			*worst = periods[count - 1];
		}
		lathe_meters_free(m);
		lathe_engine_free(e);
	}
	return best;
}

/* One module alone, through its class, with the preset's values. */
static double time_module(LatheModuleId m, const LatheSettings *s)
{
	const LatheModuleClass *cls = lathe_module_classes[m];
	int first = lathe_module_first_param(m);
	double best = 1e9;
	for (int run = 0; run < RUNS; run++) {
		void *dsp = cls->create(RATE);
		for (int k = 1; k < cls->n_params; k++)
			cls->set(dsp, k, s->value[first + k]);
		if (cls->maintain)
			cls->maintain(dsp, s->value + first);
		memcpy(out_l, in_l, sizeof(float) * FRAMES);
		memcpy(out_r, in_r, sizeof(float) * FRAMES);
		double t0 = now();
		for (int i = 0; i < FRAMES; i += LATHE_SUBBLOCK)
			cls->process(dsp, out_l + i, out_r + i, LATHE_SUBBLOCK);
		double t = now() - t0;
		if (t < best)
			best = t;
		cls->destroy(dsp);
	}
	return best;
}

/* Peak resident memory of `lathe render` of 60 s of pink noise with a
 * preset. Run before this program fills its own buffers: a forked child's
 * high-water mark starts from the parent's resident size. */
static long render_peak_kib(const char *preset)
{
	char in[] = "/tmp/lathe-bench-XXXXXX.wav";
	int fd = mkstemps(in, 4);
	close(fd);
	SF_INFO info = { .samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *f = sf_open(in, SFM_WRITE, &info);
	TestPink pl = { .seed = 11 }, pr = { .seed = 12 };
	for (int i = 0; i < FRAMES; i += PERIOD) {
		float frames[2 * PERIOD];
		for (int k = 0; k < PERIOD; k++) {
			frames[2 * k] = test_pink(&pl);
			frames[2 * k + 1] = test_pink(&pr);
		}
		sf_writef_float(f, frames, PERIOD);
	}
	sf_close(f);
	char out[64];
	snprintf(out, sizeof(out), "%s.out.wav", in);
	pid_t pid = fork();
	if (pid == 0) {
		execl("./lathe", "lathe", "render", "--quiet", "--session", preset, in, out, (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	wait4(pid, &status, 0, &ru);
	unlink(in);
	unlink(out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return ru.ru_maxrss; /* KiB on Linux */
}

int main(void)
{
	/* One core, as the issue asks: the figure must not borrow the other. */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);

	long kib = render_peak_kib("share/presets/full.preset");

	in_l = malloc(sizeof(float) * FRAMES);
	in_r = malloc(sizeof(float) * FRAMES);
	out_l = malloc(sizeof(float) * FRAMES);
	out_r = malloc(sizeof(float) * FRAMES);
	TestPink pl = { .seed = 11 }, pr = { .seed = 12 };
	for (int i = 0; i < FRAMES; i++) {
		in_l[i] = test_pink(&pl);
		in_r[i] = test_pink(&pr);
	}

	LatheSettings neutral, full;
	char err[512];
	lathe_settings_default(&neutral);
	if (!lathe_preset_load("share/presets/full.preset", &full, stderr, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}

	printf("lathe bench: %d s of pink noise, %d Hz stereo, period %d, one core, best of %d\n\n",
	       SECONDS, RATE, PERIOD, RUNS);
	printf("| chain | x real time | ns per stereo frame |\n|---|---:|---:|\n");
	struct { const char *name; const LatheSettings *s; int count; } cases[] = {
		{ "neutral (defaults)", &neutral, 1 },
		{ "full.preset", &full, 1 },
		{ "full.preset, chains A and B", &full, 2 },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		double t = time_chains(cases[k].s, cases[k].count);
		printf("| %s | %.0f | %.1f |\n", cases[k].name, SECONDS / t, t * 1e9 / FRAMES);
	}

	double meters_s = 0.0, p999 = 0.0, worst = 0.0;
	double t = time_engine(&full, &meters_s, &p999, &worst);
	double period_s = (double)ENGINE_PERIOD / RATE;
	printf("\n| engine, %d-frame periods at %d Hz | x real time | share of a period: mean | 99.9 %% | worst |\n"
	       "|---|---:|---:|---:|---:|\n", ENGINE_PERIOD, RATE);
	printf("| two full.preset chains, match, monitor, taps (audio thread) | %.0f | %.1f %% | %.1f %% | %.1f %% |\n",
	       SECONDS / t, 100.0 * t / SECONDS, 100.0 * p999 / period_s, 100.0 * worst / period_s);
	printf("| five tap meters with spectrum (main loop) | %.0f | %.1f %% of one core | | |\n",
	       SECONDS / meters_s, 100.0 * meters_s / SECONDS);

	printf("\n| module (full.preset values) | x real time | ns per stereo frame | latency (samples) |\n"
	       "|---|---:|---:|---:|\n");
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		double t = time_module((LatheModuleId)m, &full);
		void *dsp = lathe_module_classes[m]->create(RATE);
		int first = lathe_module_first_param((LatheModuleId)m);
		for (int k = 1; k < lathe_module_classes[m]->n_params; k++)
			lathe_module_classes[m]->set(dsp, k, full.value[first + k]);
		int latency = lathe_module_classes[m]->latency(dsp);
		lathe_module_classes[m]->destroy(dsp);
		printf("| %s | %.0f | %.1f | %d |\n", lathe_module_classes[m]->name, SECONDS / t,
		       t * 1e9 / FRAMES, latency);
	}

	printf("\nPeak memory of `lathe render --session share/presets/full.preset` "
	       "on this %d s file: %.1f MiB (target < 64 MiB)\n", SECONDS, kib / 1024.0);
	return kib > 0 ? 0 : 1;
}
