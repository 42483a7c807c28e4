/* lathe — `lathe --headless` on a real JACK server, driven by real JACK
 * clients as a user's machine would: each test starts a private jackd
 * (dummy driver, no sound card), feeds lathe with jack-play, records it
 * with jack_capture and inspects it with jack_lsp, all through
 * tests/jack_rig.h. $LATHE is the binary (default ./lathe); $LATHE_PROBE
 * the real-time probe (default build/tests/rt_probe.so) and $LATHE_CANARY
 * the client that proves the probe can fail (default build/tests/rt_canary).
 *
 * The server runs at 48 kHz in 64-frame periods (1.33 ms) unless a test
 * changes it. Test files are float WAV at 48 kHz: what jack-play plays
 * reaches lathe bit for bit (checked in the first test), so the live print
 * can be compared with `lathe render` of the same input sample by sample.
 *
 * LATHE_TEST_ONLY=GLOB runs only the tests whose names match;
 * LATHE_KEEP_TEST_DIR=1 keeps each test's directory (files, captures, logs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "jack_rig.h"
#include "signals.h"

#define RATE RIG_RATE

/* ---- lathe ------------------------------------------------------------------- */

/* The latency D in the last line of the log that reports one: the
 * connection line ("..., latency D samples") or a change ("lathe: latency
 * D samples"). -1 if none. */
static int logged_latency(const RigProc *p)
{
	char *log = rig_log(p);
	int d = -1;
	for (const char *s = log; (s = strstr(s, "latency ")); s++)
		sscanf(s, "latency %d samples", &d);
	free(log);
	return d;
}

/* Start `lathe --headless ARGS...` (NULL-terminated) with env added to its
 * environment (may be NULL), a pipe to its stdin and its output in
 * lathe.log; wait until it has said it is on the server. */
static RigProc *lathe_start_env(char *const env[], ...)
{
	/* No OSC: these tests need no control surface, and a second run on
	 * the machine (make check-sanitize beside make check) would find the
	 * default port taken. */
	char *argv[64] = { (char *)rig.lathe, "--headless", "--osc-port", "0" };
	int n = 4;
	va_list ap;
	va_start(ap, env);
	for (char *a; (a = va_arg(ap, char *)) && n < 62;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	RigProc *p = rig_spawn_env("lathe", "lathe.log", true, env, argv);
	/* 10 s: lathe designs its filters and plans its FFTs before it goes
	 * on the server; that takes well under a second here. */
	char *log;
	const char *hit = rig_wait_log(p, 0, "lathe: JACK: client \"lathe\" on server \"", 10.0, &log);
	if (!hit)
		fail_msg("lathe --headless did not report its JACK client within 10 s%s; its "
			 "output:\n%s", rig_alive(p) ? "" : " (it exited)", log);
	/* The line names the server it is on: ours. */
	char want[128];
	snprintf(want, sizeof(want), "on server \"%s\", 48000 Hz, %d frames, latency ", rig.server,
		 rig.period);
	if (!strstr(hit, want))
		fail_msg("lathe's connection line does not say '%s':\n%s", want, log);
	free(log);
	if (!rig_port_wait("lathe:out_L", true, 2.0))
		fail_msg("lathe reported its client but jack_lsp does not list lathe:out_L");
	return p;
}
#define lathe_start(...) lathe_start_env(NULL, __VA_ARGS__, NULL)

/* The engine latency as JACK shows it: out_L's capture latency and in_L's
 * playback latency, both [D D] when what feeds lathe and what it feeds add
 * none (jack-play's outputs and jack_capture's inputs report 0). */
static void assert_jack_latency(int d)
{
	int cap[2], play[2];
	rig_port_latency("lathe:out_L", true, cap);
	rig_port_latency("lathe:in_L", false, play);
	if (cap[0] != d || cap[1] != d || play[0] != d || play[1] != d)
		fail_msg("jack_lsp -l: lathe:out_L capture latency [%d %d], lathe:in_L playback "
			 "latency [%d %d]; lathe reported %d", cap[0], cap[1], play[0], play[1], d);
}

/* ---- signals ------------------------------------------------------------------ */

/* Programme: `lead` frames of silence, `body` frames of pink noise and a
 * tone (different in each channel, as in test_render.c), `tail` frames of
 * silence. */
static void write_program(const char *path, int lead, int body, int tail)
{
	int frames = lead + body + tail;
	float *buf = calloc((size_t)frames * 2, sizeof(float));
	TestPink p[2] = { { .seed = 1 }, { .seed = 2 } };
	for (int i = 0; i < body; i++)
		for (int c = 0; c < 2; c++)
			buf[(size_t)(lead + i) * 2 + c] =
				test_pink(&p[c]) + 0.2f * (float)sin(2 * M_PI * (440.0 + 110 * c) * i / RATE);
	rig_wav_write(path, buf, frames, 2);
	free(buf);
}

/* An impulse of `amp` at frame `at` in both channels of `frames` frames. */
static void write_impulse(const char *path, int at, float amp, int frames)
{
	float *buf = calloc((size_t)frames * 2, sizeof(float));
	buf[(size_t)at * 2] = buf[(size_t)at * 2 + 1] = amp;
	rig_wav_write(path, buf, frames, 2);
	free(buf);
}

/* A sine of `freq` Hz and peak `amp`, both channels, after `lead` frames of
 * silence. */
static void write_sine(const char *path, double freq, float amp, int lead, int frames)
{
	float *buf = calloc((size_t)frames * 2, sizeof(float));
	for (int i = lead; i < frames; i++)
		buf[(size_t)i * 2] = buf[(size_t)i * 2 + 1] =
			amp * (float)sin(2 * M_PI * freq * (i - lead) / RATE);
	rig_wav_write(path, buf, frames, 2);
	free(buf);
}

static int file_frames(const char *path)
{
	RigAudio a = rig_wav_read(path);
	rig_audio_free(&a);
	return a.frames;
}

/* Peak of channel c over frames [from, to). */
static double peak_of(const RigAudio *a, int c, int from, int to)
{
	double m = 0.0;
	for (int i = from; i < to; i++)
		m = fmax(m, fabs(rig_at(a, i, c)));
	return m;
}

static int argmax_abs(const RigAudio *a, int c)
{
	int best = 0;
	for (int i = 1; i < a->frames; i++)
		if (fabsf(rig_at(a, i, c)) > fabsf(rig_at(a, best, c)))
			best = i;
	return best;
}

/* ---- playing through lathe ---------------------------------------------------------- */

/* With a capture running, play `file` into lathe:in_L/R, jack-play's
 * outputs also into the capture's inputs 1 and 2; return when the player
 * has finished. */
static void play_into_lathe(const char *file)
{
	/* A new player name each time: lathe remembers the connections made to
	 * its ports, and would restore them to a new client of an old name. */
	static int players;
	char name[32], out1[64], out2[64];
	snprintf(name, sizeof(name), "player%d", ++players);
	snprintf(out1, sizeof(out1), "%s:out_1", name);
	snprintf(out2, sizeof(out2), "%s:out_2", name);
	RigProc *play = rig_play(file, name, "jack_capture:input%d");
	rig_connect(out1, "lathe:in_L");
	rig_connect(out2, "lathe:in_R");
	double seconds = file_frames(file) / (double)RATE;
	if (!rig_wait_exit(play, seconds + 5.0))
		fail_msg("jack-play still playing %.1f s after a %.1f s file", seconds + 5.0, seconds);
}

/* The 4-channel capture these tests make: what fed lathe (jack-play's
 * outputs) and lathe:out_L/R. 120 s: a limit in case we never stop it; we
 * stop it with SIGINT. */
static RigProc *capture_lathe(const char *capture)
{
	const char *ports[] = { NULL, NULL, "lathe:out_L", "lathe:out_R" };
	return rig_capture(capture, ports, 4, 120);
}

/* Play `file` through lathe and capture it; the capture ends `after`
 * seconds after the player has finished. */
static RigAudio play_through(const char *file, const char *capture, double after)
{
	RigProc *cap = capture_lathe(capture);
	play_into_lathe(file);
	rig_sleep(after);
	return rig_capture_read(cap, capture, 5.0, true);
}

/* Check that channels 0 and 1 of the capture hold the file, bit for bit,
 * at the first sound at or after capture frame `from`, with silence before
 * it; return the capture frame of the file's frame 0. */
static int assert_fed_exactly(const RigAudio *cap, const char *file, int from)
{
	RigAudio f = rig_wav_read(file);
	int sound = -1;
	for (int i = from; i < cap->frames && sound < 0; i++)
		if (rig_at(cap, i, 0) != 0.0f || rig_at(cap, i, 1) != 0.0f)
			sound = i;
	if (sound < 0)
		fail_msg("nothing from jack-play reached the capture after frame %d", from);
	int offset = sound - rig_first_nonzero(&f, 0);
	if (offset < from)
		fail_msg("the capture starts %d frames into the file's sound: the connections were "
			 "made after the file's leading silence had played", from - offset);
	if (offset + f.frames > cap->frames)
		fail_msg("the capture (%d frames) ends before the file (%d frames from %d)",
			 cap->frames, f.frames, offset);
	int differ = 0, first = -1;
	for (int i = 0; i < f.frames; i++)
		for (int c = 0; c < 2; c++)
			if (rig_at(cap, offset + i, c) != rig_at(&f, i, c)) {
				if (first < 0)
					first = i;
				differ++;
			}
	if (differ)
		fail_msg("jack-play fed lathe something else than the file: %d samples differ, the "
			 "first at file frame %d", differ, first);
	rig_audio_free(&f);
	return offset;
}

/* `lathe render --session` of the captured input (channels 0-1). */
static RigAudio render_fed(const RigAudio *cap, const char *session)
{
	const int ch[] = { 0, 1 };
	rig_wav_write_channels(rig_path("fed.wav"), cap, ch, 2);
	char msg[4096];
	if (rig_sh(msg, sizeof(msg), "\"%s\" render --quiet --session \"%s\" \"%s\" \"%s\"",
		   rig.lathe, rig_path(session), rig_path("fed.wav"), rig_path("render.wav")) != 0)
		fail_msg("lathe render failed: %s", msg);
	RigAudio r = rig_wav_read(rig_path("render.wav"));
	assert_int_equal(r.frames, cap->frames);
	return r;
}

/* Compare the captured print (channels 2-3) over frames [from, to) with
 * the render: out[t] == render[t - d], bit for bit, where render[t < 0] is
 * lathe at rest on silence, 0. */
static void assert_print_equals_render(const RigAudio *cap, const RigAudio *r, int d, int from,
				       int to, const char *what)
{
	double max = 0.0, max_out = 0.0;
	int differ = 0, first = -1;
	for (int t = from; t < to; t++)
		for (int c = 0; c < 2; c++) {
			float live = rig_at(cap, t, 2 + c);
			float off = t >= d ? rig_at(r, t - d, c) : 0.0f;
			max_out = fmax(max_out, fabs(live));
			if (live != off) {
				if (first < 0)
					first = t;
				differ++;
				max = fmax(max, fabs((double)live - off));
			}
		}
	print_message("%s: print vs render shifted by D = %d: %d of %d samples differ, max %.3g "
		      "(%.1f dBFS); print peak %.2f dBFS\n", what, d, differ, 2 * (to - from), max,
		      test_db(max), test_db(max_out));
	/* The print must carry the programme, or equality would prove nothing. */
	assert_true(max_out > 0.1);
	/* Bit for bit: the engine is the one render runs, its sub-blocks are
	 * absolute (the period does not matter) and it started at rest on the
	 * same values. Any difference is a bug: a wrong D, a glide at start,
	 * a lost or repeated cycle, or state that render does not have. */
	if (!differ)
		return;
	/* Large differences: is the print merely shifted? Search near the first. */
	int best = d;
	if (max > 1e-4) {
		double best_e = 1e300;
		for (int s = d - 2048; s <= d + 2048; s++) {
			double e = 0;
			for (int t = first; t < first + 4800 && t < cap->frames; t++) {
				double x = rig_at(cap, t, 2) -
					   (t >= s && t - s < r->frames ? rig_at(r, t - s, 0) : 0);
				e += x * x;
			}
			if (e < best_e)
				best_e = e, best = s;
		}
	}
	fail_msg("%s: the print differs from render shifted by D = %d in %d samples, from "
		 "capture frame %d (max %.3g); it is best aligned at a shift of %d", what, d,
		 differ, first, max, best);
}

/* ---- the tests ------------------------------------------------------------------------ */

/* Setup does only what cannot leave anything behind: cmocka skips the
 * teardown of a test whose setup failed. The server starts in the test
 * (start_server), so that teardown stops it whatever happens. */
static int setup(void **state)
{
	(void)state;
	rig_require_jack_tools(); /* fails before anything is made */
	return rig_setup();
}

/* The private server, at 64 frames; 4 playback ports: the restart test
 * connects mon_L to system:playback_3. */
static void start_server(void)
{
	rig_server_start(64, 4);
}

static int teardown(void **state)
{
	(void)state;
	return rig_teardown();
}

/* A chain with no latency of its own but the limiter's lookahead, doing
 * real work on the test programme (EQ, compression, limiting); dither off,
 * being random. Plain paths: both chains. */
static const char *const chain_session =
	"/eq/enable on\n"
	"/eq/2/enable on\n/eq/2/gain 3\n"
	"/eq/3/enable on\n/eq/3/gain -2\n/eq/3/q 1.2\n"
	"/eq/7/enable on\n/eq/7/gain 2\n"
	"/comp/enable on\n/comp/threshold -24\n/comp/ratio 3\n/comp/attack 5\n"
	"/comp/release 120\n/comp/makeup 2\n"
	"/limiter/enable on\n/limiter/input_gain 4\n/limiter/ceiling -1\n";

/* 1. The live print equals the offline render of what was fed, shifted by
 * the reported latency, at 64 frames and after a change to 1024. */
static void test_print_equals_render(void **state)
{
	(void)state;
	start_server();
	rig_write_text("chain.session", chain_session);
	/* 1 s of silence first: jack-play plays as soon as it is up, and our
	 * jack_connect calls take up to about 0.3 s at 1024 frames. 0.25 s of
	 * silence at the end: jack-play stops before its last 4096 frames. */
	write_program(rig_path("prog.wav"), RATE, 3 * RATE, RATE / 4);
	RigProc *lathe = lathe_start("--session", rig_path("chain.session"));
	int d = logged_latency(lathe);
	print_message("engine latency D = %d samples\n", d);
	assert_true(d >= 0);
	assert_jack_latency(d);

	/* One capture through both passes and the change of period between
	 * them. The engine's state carries over from the first pass to the
	 * second (the compressor's release and the limiter's recovery are still
	 * decaying seconds later: with a capture and a render per pass, the
	 * second pass differed from its render in one sample by 1.5e-8), so
	 * the exact reference for the second pass is the render of the whole
	 * history from rest, which this gives. It also shows that the period
	 * change loses or repeats no frame. */
	RigProc *capture = capture_lathe(rig_path("cap.wav"));
	play_into_lathe(rig_path("prog.wav"));

	/* The period changes under the running console. */
	size_t mark = rig_log_size(lathe);
	rig_bufsize(1024);
	char *log;
	if (!rig_wait_log(lathe, mark, "1024 frames", 5.0, &log))
		fail_msg("lathe did not report the new period (1024 frames) within 5 s%s:\n%s",
			 rig_alive(lathe) ? "" : "; it exited", log);
	free(log);
	assert_true(rig_alive(lathe));
	assert_jack_latency(d); /* the period does not change the engine's latency */

	play_into_lathe(rig_path("prog.wav"));
	/* Wait out the latency and a few periods. */
	rig_sleep(d / (double)RATE + 0.2);
	RigAudio cap = rig_capture_read(capture, rig_path("cap.wav"), 5.0, true);
	assert_true(rig_alive(lathe));

	int first = assert_fed_exactly(&cap, rig_path("prog.wav"), 0);
	int second = assert_fed_exactly(&cap, rig_path("prog.wav"),
					first + file_frames(rig_path("prog.wav")));
	print_message("jack-play fed lathe the file bit for bit, twice (from capture frames %d "
		      "and %d)\n", first, second);
	RigAudio r = render_fed(&cap, "chain.session");
	assert_print_equals_render(&cap, &r, d, 0, second, "64 frames, then the change");
	assert_print_equals_render(&cap, &r, d, second, cap.frames, "1024 frames");
	rig_audio_free(&cap);
	rig_audio_free(&r);
}

/* Play an impulse through lathe; the distance from the fed impulse to the
 * print's peak. The filters used peak at their centre (linear phase) or at
 * their first sample (a gentle zero-latency bell). */
static int measured_latency(const char *tag)
{
	char name[64];
	snprintf(name, sizeof(name), "cap-%s.wav", tag);
	RigAudio cap = play_through(rig_path("impulse.wav"), rig_path(name), 0.1);
	int in = argmax_abs(&cap, 0), out = argmax_abs(&cap, 2);
	/* The impulse arrived whole and alone. */
	assert_true(rig_at(&cap, in, 0) == 0.5f);
	assert_true(peak_of(&cap, 0, 0, in) == 0.0 && peak_of(&cap, 0, in + 1, cap.frames) == 0.0);
	assert_true(fabsf(rig_at(&cap, out, 2)) > 0.25f); /* a clear peak, not noise */
	rig_audio_free(&cap);
	return out - in;
}

/* 2. The latency lathe reports (stderr and JACK) is the latency it has, to
 * the sample, and follows the chain when it changes. */
static void test_reported_latency_is_measured(void **state)
{
	(void)state;
	start_server();
	/* Only chain A's EQ in linear phase (chain B stays zero-latency: the
	 * engine delays it to match), with a +3 dB bell so that its FIR is not
	 * a bare delay. */
	rig_write_text("lp.session", "/a/eq/enable on\n/a/eq/mode linear-phase\n"
				   "/a/eq/5/enable on\n/a/eq/5/gain 3\n");
	/* The impulse at 0.3 s (time to connect), 1.2 s after it: room for a
	 * latency up to about 1 s. */
	write_impulse(rig_path("impulse.wav"), RATE * 3 / 10, 0.5f, RATE * 3 / 2);
	RigProc *lathe = lathe_start("--session", rig_path("lp.session"));
	int d = logged_latency(lathe);
	print_message("linear phase: reported %d samples\n", d);
	assert_true(d > 1000);
	assert_jack_latency(d);
	int m = measured_latency("lp");
	print_message("linear phase: measured %d samples\n", m);
	assert_int_equal(m, d);
	assert_jack_latency(d); /* and with jack-play and jack_capture connected */

	/* Back to zero latency through stdin: a new latency, reported on
	 * stderr and to JACK (lathe recomputes it when the chain changes). */
	size_t mark = rig_log_size(lathe);
	assert_true(rig_send(lathe, "/a/eq/mode zero-latency", 1.0));
	char *log;
	if (!rig_wait_log(lathe, mark, "lathe: latency ", 5.0, &log))
		fail_msg("no 'lathe: latency' line within 5 s of the EQ mode change:\n%s", log);
	free(log);
	int d2 = logged_latency(lathe);
	print_message("zero latency: reported %d samples\n", d2);
	assert_true(d2 < d);
	assert_jack_latency(d2);
	m = measured_latency("zl");
	print_message("zero latency: measured %d samples\n", m);
	assert_int_equal(m, d2);
}

/* The peak of lathe:out_L over its last 0.2 s, in dBFS, from a 0.5 s capture. */
/* The frequency of the tone on channel 0 from frame `from` to the end:
 * positive-going zero crossings, placed between samples by linear
 * interpolation (good to 0.01 Hz over a second of a clean sine). */
static double tone_frequency(const RigAudio *a, int from, double rate)
{
	double first = -1, last = -1;
	int crossings = 0;
	for (int i = from + 1; i < a->frames; i++) {
		float x0 = rig_at(a, i - 1, 0), x1 = rig_at(a, i, 0);
		if (x0 < 0 && x1 >= 0) {
			double t = i - 1 + x0 / (x0 - x1);
			if (first < 0)
				first = t;
			last = t;
			crossings++;
		}
	}
	assert_true(crossings > 1);
	return (crossings - 1) * rate / (last - first);
}

static double print_level(const char *tag)
{
	char name[64];
	snprintf(name, sizeof(name), "level-%s.wav", tag);
	const char *ports[] = { "lathe:out_L" };
	RigProc *cap = rig_capture(rig_path(name), ports, 1, 0.5);
	RigAudio a = rig_capture_read(cap, rig_path(name), 5.0, false);
	/* 0.2 s: whole cycles of the 1 kHz tone, long after the connection. */
	double db = test_db(peak_of(&a, 0, a.frames - RATE / 5, a.frames));
	rig_audio_free(&a);
	print_message("%s: print at %.3f dBFS\n", tag, db);
	return db;
}

/* 3. SIGHUP reloads the session; a damaged file is refused whole, named
 * with its line, and changes nothing. */
static void test_session_reload(void **state)
{
	(void)state;
	start_server();
	rig_write_text("good.session", "/input/enable on\n/input/trim -6\n");
	/* A 1 kHz sine of peak 0.5 (-6.02 dBFS): at 48 kHz a sample falls on
	 * each crest, so the sampled peak is the true one. 8 s: long enough for
	 * the three measurements. */
	write_sine(rig_path("sine.wav"), 1000.0, 0.5f, RATE / 2, 8 * RATE);
	RigProc *lathe = lathe_start("--session", rig_path("good.session"));
	RigProc *play = rig_play(rig_path("sine.wav"), "player", NULL);
	rig_connect("player:out_1", "lathe:in_L");
	rig_connect("player:out_2", "lathe:in_R");
	rig_sleep(0.5); /* past the lead silence */

	/* -6.02 - 6 dB. 0.01 dB: the trim is one float gain; anything else
	 * (a wrong law, a glide not finished, a chain not loaded) is far off. */
	double before = print_level("good");
	assert_true(fabs(before - (test_db(0.5) - 6.0)) < 0.01);

	/* Damaged on line 3. Line 2 is valid and would change the level if the
	 * file were applied in part. */
	rig_write_text("good.session", "/input/enable on\n/input/trim -20\n/input/trimm -12\n");
	size_t mark = rig_log_size(lathe);
	rig_signal(lathe, SIGHUP);
	char *log;
	if (!rig_wait_log(lathe, mark, "good.session:3:", 5.0, &log))
		fail_msg("after SIGHUP with a damaged file, no error naming good.session:3 within 5 s:"
			 "\n%s", log);
	free(log);
	rig_sleep(0.1);
	assert_true(rig_alive(lathe));
	double damaged = print_level("damaged");
	/* The same state: the same samples, to float rounding of the meter. */
	assert_true(fabs(damaged - before) < 0.001);

	/* A valid change: 6 dB less. */
	rig_write_text("good.session", "/input/enable on\n/input/trim -12\n");
	rig_signal(lathe, SIGHUP);
	rig_sleep(0.2); /* the reload, and the 30 ms glide of the trim */
	double changed = print_level("changed");
	assert_true(fabs(changed - (before - 6.0)) < 0.01);
	assert_true(rig_alive(lathe));
	assert_true(rig_alive(play)); /* the measurements were of the sine */
}

static const char *const wanted[][2] = {
	{ "lathe:in_L", "system:capture_1" },   { "lathe:in_R", "system:capture_2" },
	{ "lathe:out_L", "system:playback_1" }, { "lathe:out_R", "system:playback_2" },
	{ "lathe:mon_L", "system:playback_3" },
};

/* How many of the 5 wanted connections exist now. */
static int connections_present(void)
{
	int n = 0;
	for (int k = 0; k < 5; k++)
		n += rig_connected(wanted[k][0], wanted[k][1]);
	return n;
}

static bool wait_connections(int n, double seconds)
{
	double end = rig_now() + seconds;
	while (connections_present() != n) {
		if (rig_now() > end)
			return false;
		rig_sleep(0.05);
	}
	return true;
}

/* 4. The server dies and comes back: lathe lives through it and restores
 * its connections, those asked for and one the user made at run time. */
static void test_server_restart(void **state)
{
	(void)state;
	start_server();
	RigProc *lathe = lathe_start("--connect", "in_L=system:capture_1", "--connect",
				     "in_R=system:capture_2", "--connect", "out_L=system:playback_1",
				     "--connect", "out_R=system:playback_2");
	if (!wait_connections(4, 3.0))
		fail_msg("lathe made %d of its 4 --connect connections within 3 s",
			 connections_present());
	rig_connect("lathe:mon_L", "system:playback_3");
	assert_int_equal(connections_present(), 5);
	/* State changed at run time, to be found again on the new server. */
	assert_true(rig_send(lathe, "/oscillator/mode sine", 1.0));

	size_t mark = rig_log_size(lathe);
	rig_signal(rig.jackd, SIGKILL);
	assert_true(rig_wait_exit(rig.jackd, 5.0));
	char *log;
	if (!rig_wait_log(lathe, mark, "lathe: JACK server gone; keeping the state, reconnecting "
			  "when a server is back", 5.0, &log))
		fail_msg("lathe did not say the server was gone within 5 s%s:\n%s",
			 rig_alive(lathe) ? "" : " (it exited)", log);
	free(log);
	rig_sleep(0.5);
	assert_true(rig_alive(lathe));

	/* The server comes back at another rate and period: the engine must be
	 * rebuilt for the new rate, not run at the old one. */
	mark = rig_log_size(lathe);
	rig_server_start_at(44100, 128, 4);
	/* lathe retries every second; 10 s is the contract. */
	double t0 = rig_now();
	if (!rig_wait_log(lathe, mark, "lathe: JACK: client \"lathe\"", 10.0, &log))
		fail_msg("lathe did not reconnect within 10 s of the server's return%s:\n%s",
			 rig_alive(lathe) ? "" : " (it exited)", log);
	if (!strstr(log + mark, "44100 Hz, 128 frames"))
		fail_msg("lathe did not take the new server's rate and period:\n%s", log + mark);
	free(log);
	double left = 10.0 - (rig_now() - t0);
	if (!wait_connections(5, left > 0.5 ? left : 0.5))
		fail_msg("after the restart, %d of the 5 connections are back", connections_present());
	print_message("back with 5 connections %.1f s after the server\n", rig_now() - t0);
	/* The state was kept: the oscillator switched on before the loss plays
	 * its default -18 dBFS sine (0.05 dB: at 44.1 kHz the sample nearest a
	 * 1 kHz peak is at most 0.022 dB below it, cos(pi 1000/44100)). And a
	 * sine at the new rate: an engine left at 48 kHz would still peak at
	 * -18 dBFS, so the frequency is checked too. */
	const char *ports[] = { "lathe:out_L" };
	RigProc *cap = rig_capture(rig_path("restart.wav"), ports, 1, 0.5);
	RigAudio a = rig_capture_read(cap, rig_path("restart.wav"), 5.0, false);
	int from = a.frames / 2;
	double db = test_db(peak_of(&a, 0, from, a.frames));
	double freq = tone_frequency(&a, from, 44100.0);
	print_message("after the restart: %.3f Hz, peak %.3f dBFS\n", freq, db);
	assert_true(fabs(db - (-18.0)) <= 0.05);
	/* +-1 Hz as in test_oscillator; an engine left at 48 kHz plays 918.75 Hz. */
	assert_true(fabs(freq - 1000.0) <= 1.0);
	rig_audio_free(&a);
	assert_true(rig_alive(lathe));
}

/* 4b. A session brings connections: every "connect" line of the file is
 * made, together with --connect, and `save` writes all of them (the ones
 * made at run time too), so the next start patches the same way. */
static void test_session_connections(void **state)
{
	(void)state;
	start_server();
	rig_write_text("patch.session", "connect in_L system:capture_1\n"
					"connect in_R system:capture_2\n"
					"connect out_L system:playback_1\n");
	RigProc *lathe = lathe_start("--session", rig_path("patch.session"), "--connect",
				     "out_R=system:playback_2");
	if (!wait_connections(4, 3.0))
		fail_msg("%d of the 4 connections (3 from the session, 1 --connect) within 3 s",
			 connections_present());
	rig_connect("lathe:mon_L", "system:playback_3");
	assert_true(wait_connections(5, 3.0));
	/* Learned on the next tick (50 ms); then saved. */
	rig_sleep(0.3);
	char line[512];
	snprintf(line, sizeof(line), "save %s", rig_path("saved.session"));
	size_t mark = rig_log_size(lathe);
	assert_true(rig_send(lathe, line, 1.0));
	char *log;
	if (!rig_wait_log(lathe, mark, "lathe: session saved to", 3.0, &log))
		fail_msg("no 'session saved' within 3 s:\n%s", log);
	free(log);
	char *saved = rig_slurp(rig_path("saved.session"));
	for (int k = 0; k < 5; k++) {
		char want[128];
		snprintf(want, sizeof(want), "connect %s %s\n", strchr(wanted[k][0], ':') + 1,
			 wanted[k][1]);
		if (!strstr(saved, want))
			fail_msg("the saved session lacks '%s'; it has:\n%s", want, saved);
	}
	free(saved);
}

static const char *tool_path(const char *env, const char *def, const char *make_target);

/* 4c. Connections follow their peers: a peer client that quits and comes
 * back is reconnected (its ports exist before it is active, which JACK
 * refuses to connect: the console retries when it activates), and a
 * connection the user undoes stays undone even when other clients' ports
 * appear meanwhile. The peer is rt_canary, a client with one output port. */
static void test_peer_comes_back(void **state)
{
	(void)state;
	start_server();
	const char *canary = tool_path("LATHE_CANARY", "build/tests/rt_canary", "build/tests/rt_canary");
	RigProc *lathe = lathe_start("--connect", "in_L=system:capture_1", "--connect",
				     "in_R=peer:out");
	assert_true(rig_port_wait("lathe:in_L", true, 2.0));
	for (int round = 1; round <= 2; round++) {
		char *argv[] = { (char *)canary, "peer", "2", "clean", NULL };
		RigProc *peer = rig_spawn("peer", round == 1 ? "peer1.log" : "peer2.log", false, argv);
		double end = rig_now() + 3.0;
		while (!rig_connected("lathe:in_R", "peer:out") && rig_now() < end)
			rig_sleep(0.05);
		if (!rig_connected("lathe:in_R", "peer:out"))
			fail_msg("round %d: lathe:in_R was not connected to the peer within 3 s", round);
		if (round == 1) {
			/* Undone by the user while the peer's ports are about. */
			if (!rig_connected("lathe:in_L", "system:capture_1")) {
				char out[8192];
				rig_sh(out, sizeof(out), "jack_lsp -c");
				fail_msg("round 1: lathe:in_L is not connected; jack_lsp -c:\n%s", out);
			}
			assert_int_equal(rig_sh(NULL, 0, "jack_disconnect system:capture_1 lathe:in_L"), 0);
		}
		assert_true(rig_wait_exit(peer, 5.0));
	}
	/* Two peers came and went since the undo: it stayed undone. */
	assert_false(rig_connected("lathe:in_L", "system:capture_1"));
	assert_true(rig_alive(lathe));
}

/* A report of rt_probe: the value of `key`, or -1. */
static long report_value(const char *report, const char *key)
{
	char want[64];
	snprintf(want, sizeof(want), "\n%s ", key);
	char *text = rig_slurp(report);
	/* Prefix a newline so the first line matches like the others. */
	char *all = malloc(strlen(text) + 2);
	sprintf(all, "\n%s", text);
	const char *s = strstr(all, want);
	long v = s ? atol(s + strlen(want)) : -1;
	free(text);
	free(all);
	return v;
}

static const char *tool_path(const char *env, const char *def, const char *make_target)
{
	static char abs[2][1024];
	static int k;
	const char *p = getenv(env) ? getenv(env) : def;
	k ^= 1;
	if (!realpath(p, abs[k]))
		fail_msg("%s (%s) not found: build it with 'make %s'", p, env, make_target);
	return abs[k];
}

/* 5. The process callback stays real-time safe while the console is pushed
 * hard from stdin: no allocation, lock, system call or print inside it
 * (rt_probe counts them); and the probe is shown able to fail. */
static void test_realtime_safety(void **state)
{
	(void)state;
	start_server();
	/* AddressSanitizer must be the first library loaded, so the probe
	 * cannot be preloaded into a sanitized lathe (make check-sanitize):
	 * there the storm runs alone, for ASan to watch, and the probe's part is
	 * left to make check, which runs the plain build. */
	char ldd[256];
	bool sanitized = rig_sh(ldd, sizeof(ldd), "ldd \"%s\" | grep libasan", rig.lathe) == 0;
	if (sanitized)
		print_message("lathe is built with AddressSanitizer: no rt_probe here (make check "
			      "runs it)\n");
	const char *probe = NULL, *canary = NULL;
	if (!sanitized) {
		probe = tool_path("LATHE_PROBE", "build/tests/rt_probe.so",
				  "build/tests/rt_probe.so");
		canary = tool_path("LATHE_CANARY", "build/tests/rt_canary", "build/tests/rt_canary");
	}
	char preload[1100], report[400];
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", probe ? probe : "");
	snprintf(report, sizeof(report), "LATHE_PROBE_REPORT=%s", rig_path("lathe.report"));
	char *env[] = { preload, report, NULL };

	/* The session loaded again and again keeps the oscillator on (a load
	 * sets everything it leaves out to its default) and turns modules on. */
	rig_write_text("storm.session", "/oscillator/mode pink\n/comp/enable on\n"
				      "/limiter/enable on\n/eq/enable on\n/eq/4/enable on\n");
	RigProc *lathe = lathe_start_env(sanitized ? NULL : env, "--set", "/oscillator/mode=pink",
					 NULL);

	char load[400];
	snprintf(load, sizeof(load), "load %s", rig_path("storm.session"));
	const char *lines[] = {
		"/a/eq/1/gain 3", "/a/eq/1/gain -3", "/chain b", "/chain a", "/monitor/mono on",
		"/monitor/mono off", "/b/comp/threshold -30", "/b/comp/threshold -10",
	};
	const char *orders[] = {
		"/a/order input comp eq multiband deesser saturate imager limiter dither",
		"/a/order input eq comp multiband deesser saturate imager limiter dither",
	};
	/* As fast as lathe takes them, for 3 s. */
	long n = 0;
	double end = rig_now() + 3.0;
	while (rig_now() < end) {
		/* Mostly values; a reorder every 250 lines, a whole session every 1000. */
		const char *line = lines[n % 8];
		if (n % 1000 == 999)
			line = load;
		else if (n % 250 == 249)
			line = orders[(n / 250) % 2];
		if (!rig_send(lathe, line, end - rig_now()))
			break;
		n++;
	}
	print_message("%ld commands written in 3 s\n", n);
	/* 3000: at least 1000 a second, a surface's worth of feedback many times
	 * over. Fewer means lathe stopped reading its stdin. */
	assert_true(n >= 3000);
	/* The last values, then a save: once the file is there, every command
	 * before it has been taken. */
	assert_true(rig_send(lathe, "/b/comp/threshold -13.5", 1.0));
	char save[400];
	snprintf(save, sizeof(save), "save %s", rig_path("after.session"));
	assert_true(rig_send(lathe, save, 5.0));
	double t0 = rig_now();
	while (access(rig_path("after.session"), F_OK) != 0) {
		if (rig_now() - t0 > 10.0 || !rig_alive(lathe)) {
			char *log = rig_log(lathe);
			fail_msg("lathe did not save within 10 s of the last command%s:\n%.4000s",
				 rig_alive(lathe) ? "" : " (it exited)", log);
		}
		rig_sleep(0.02);
	}
	char *saved = rig_slurp(rig_path("after.session"));
	if (!strstr(saved, "/b/comp/threshold -13.5\n"))
		fail_msg("the saved session does not have the last value sent:\n%s", saved);
	free(saved);

	rig_signal(lathe, SIGTERM);
	assert_true(rig_wait_exit(lathe, 2.0));
	assert_true(WIFEXITED(lathe->status) && WEXITSTATUS(lathe->status) == 0);
	if (sanitized)
		return;
	const char *rep = rig_path("lathe.report");
	long callbacks = report_value(rep, "callbacks"), forbidden = report_value(rep, "forbidden");
	print_message("probe: %ld callbacks, %ld forbidden calls\n", callbacks, forbidden);
	/* 1500: two thirds of the 2250 cycles of 3 s at 64 frames; fewer means
	 * lathe was off the server for part of the run. */
	if (callbacks < 1500 || forbidden != 0) {
		char *text = rig_slurp(rep);
		fail_msg("rt_probe report (%s):\n%s", callbacks < 1500 ? "too few callbacks"
								      : "forbidden calls", text);
	}

	/* The canary allocates in its callback: the probe must say so. */
	snprintf(report, sizeof(report), "LATHE_PROBE_REPORT=%s", rig_path("canary.report"));
	char *cargv[] = { (char *)canary, "canary", "1", "malloc", NULL };
	RigProc *c = rig_spawn_env("rt_canary", "canary.log", false, env, cargv);
	assert_true(rig_wait_exit(c, 10.0));
	rep = rig_path("canary.report");
	char *text = rig_slurp(rep);
	if (report_value(rep, "callbacks") <= 0 || report_value(rep, "forbidden") <= 0 ||
	    !strstr(text, "first_forbidden malloc\n"))
		fail_msg("the probe did not catch the canary's malloc:\n%s", text);
	free(text);
}

/* 6. The line-up oscillator at its defaults: 1 kHz at -18 dBFS on the print. */
static void test_oscillator(void **state)
{
	(void)state;
	start_server();
	lathe_start("--set", "/oscillator/mode=sine");
	const char *ports[] = { "lathe:out_L" };
	RigProc *cap = rig_capture(rig_path("osc.wav"), ports, 1, 1.5);
	RigAudio a = rig_capture_read(cap, rig_path("osc.wav"), 5.0, false);
	assert_true(a.frames >= RATE * 5 / 4);
	/* The last second. */
	int from = a.frames - RATE;
	double freq = tone_frequency(&a, from, RATE);
	double db = test_db(peak_of(&a, 0, from, a.frames));
	print_message("oscillator: %.3f Hz, peak %.3f dBFS\n", freq, db);
	/* +-1 Hz: the contract; the measurement itself is good to 0.01 Hz. */
	assert_true(fabs(freq - 1000.0) <= 1.0);
	/* +-0.05 dB: the contract. A sampled sine's peak can fall up to half a
	 * sample (3.75 degrees at 1 kHz) from the crest: -0.019 dB at worst. */
	assert_true(fabs(db - (-18.0)) <= 0.05);
	rig_audio_free(&a);
}

/* 7. SIGINT and SIGTERM each end lathe cleanly (status 0) within 2 s; and
 * lathe connects nothing by itself. */
static void test_signals_end_cleanly(void **state)
{
	(void)state;
	start_server();
	const int sigs[] = { SIGINT, SIGTERM };
	for (int k = 0; k < 2; k++) {
		RigProc *lathe = lathe_start("--set", "/oscillator/mode=pink");
		if (k == 0) {
			const char *ports[] = { "lathe:in_L", "lathe:in_R", "lathe:ref_L", "lathe:ref_R",
						"lathe:out_L", "lathe:out_R", "lathe:mon_L", "lathe:mon_R" };
			for (int p = 0; p < 8; p++) {
				char conns[1024];
				rig_connections(ports[p], conns, sizeof(conns));
				if (conns[0])
					fail_msg("%s is connected by itself to:\n%s", ports[p], conns);
			}
		}
		rig_sleep(0.3);
		double t0 = rig_now();
		rig_signal(lathe, sigs[k]);
		if (!rig_wait_exit(lathe, 2.0))
			fail_msg("lathe still running 2 s after %s", strsignal(sigs[k]));
		print_message("%s: exit in %.0f ms\n", strsignal(sigs[k]), 1000 * (rig_now() - t0));
		if (!WIFEXITED(lathe->status) || WEXITSTATUS(lathe->status) != 0) {
			char *log = rig_log(lathe);
			fail_msg("after %s lathe ended with status 0x%x:\n%s", strsignal(sigs[k]),
				 lathe->status, log);
		}
		/* Its ports are gone with it, so the next one gets the same name. */
		assert_true(rig_port_wait("lathe:out_L", false, 2.0));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_print_equals_render, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reported_latency_is_measured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_comes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realtime_safety, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oscillator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signals_end_cleanly, setup, teardown),
	};
	/* LATHE_TEST_ONLY=test_oscillator (a glob) runs only the tests it matches. */
	if (getenv("LATHE_TEST_ONLY"))
		cmocka_set_test_filter(getenv("LATHE_TEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
