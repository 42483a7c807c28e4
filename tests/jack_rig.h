/* lathe tests — a private JACK server and real JACK clients around the real
 * binary: jackd with the dummy driver, jack-play to feed a file, jack_capture
 * to record, jack_connect / jack_lsp / jack_bufsize to wire and inspect, and
 * lathe itself with a pipe to its stdin and its stderr in a log file.
 * Header-only, for tests/test_jack.c; include it after cmocka.h.
 *
 * Every test gets its own server (a name no other run uses), its own
 * temporary directory and its own processes. Teardown kills only the
 * processes this rig started, by the pids it kept, even after a failed
 * assertion (cmocka runs the teardown of a test whose body failed).
 *
 * The tools, and how they behave (found out while writing this rig, with
 * JACK2 1.9.21, jack-tools 20131226, jack-capture 0.9.73):
 *  - jackd -r -S -d dummy: "-r" before the driver means no real-time
 *    scheduling, so it runs as root in CI without rtprio; the dummy driver
 *    needs no sound card and runs its cycles from a timer. "-S"
 *    (synchronous): the server waits for every client to finish a cycle
 *    before the next. Without it, on a busy 2-core machine without
 *    real-time priority, a client that is late misses a cycle: in one run
 *    jack_capture lost 64 frames of jack-play's output in the middle of a
 *    3 s file, which no comparison can tell from a bug in lathe. With -S a
 *    late cycle only comes late (the dummy driver has no hardware clock to
 *    miss), so the data path is deterministic.
 *  - jack-play -c 3 -n NAME -u FILE: client NAME, ports NAME:out_1..N,
 *    starts playing as soon as it is active and exits at the end of the
 *    file. It always runs libsamplerate, even at equal rates: with its
 *    default converter (-c 2, SRC_SINC_FASTEST) the samples come out
 *    filtered (errors up to 0.1 on pink noise peaking near full scale, and
 *    19 samples of pre-ringing before the first); with -c 3 (zero-order
 *    hold) at ratio 1 they come out bit for bit.
 *    It exits as soon as its disk thread has read the whole file, and what
 *    is still in its 4096-frame ring is never played (3100 to 4000 frames
 *    went missing in our runs): test files end with silence. It connects
 *    out_N to the printf pattern in $JACK_PLAY_CONNECT_TO (with N for %d)
 *    at start, or to nothing; lathe's ports (in_L, in_R) have no number,
 *    so those connections are made with jack_connect after its ports
 *    appear, and test files start with silence long enough for that.
 *  - jack_capture -mc -c N -d SECONDS -ns -dc: client "jack_capture",
 *    ports jack_capture:input1..N, connects nothing (-mc), records float
 *    WAV from the moment it is active until SECONDS have passed or it gets
 *    SIGINT, then writes out and exits with status 0. All its channels are
 *    recorded in the same cycles, so the channels of one capture are
 *    aligned with each other to the sample. It reports "x-runs": with the
 *    dummy driver these are the timer waking late, not lost audio.
 *  - A server killed with SIGKILL leaves its socket and semaphores in
 *    /dev/shm (names containing the server's name); a new jackd of the same
 *    name starts anyway and a clean exit removes them. Teardown removes
 *    what is left of ours.
 */
#ifndef LATHE_TEST_JACK_RIG_H
#define LATHE_TEST_JACK_RIG_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RIG_RATE 48000
#define RIG_MAX_PROCS 16

/* One child process: its pid (0 once reaped), the write end of a pipe to its
 * stdin (-1 if it has none: then its stdin is /dev/null), the file holding
 * its stdout and stderr, and its exit status once reaped. */
typedef struct {
	pid_t pid;
	int in_fd;
	int status;
	char log[256];
	char what[64]; /* for messages: "lathe", "jackd", ... */
} RigProc;

typedef struct {
	char dir[64];    /* temporary directory, removed at teardown */
	char server[64]; /* the private server's name */
	int period;      /* its current period, frames */
	int rate;        /* its rate, Hz: what captures are recorded at */
	RigProc *jackd;  /* the current server process (restartable) */
	RigProc procs[RIG_MAX_PROCS];
	int nprocs;
	const char *lathe; /* absolute path of the binary under test */
} Rig;

static Rig rig;

/* ---- time --------------------------------------------------------------------- */

static inline double rig_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline void rig_sleep(double seconds)
{
	struct timespec t = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* ---- files -------------------------------------------------------------------- */

/* DIR/NAME in a static buffer, one of four in turn: valid until the fourth
 * call after it (enough for the arguments of one call). */
static inline const char *rig_path(const char *name)
{
	static char bufs[4][320];
	static int k;
	k = (k + 1) % 4;
	snprintf(bufs[k], sizeof(bufs[k]), "%s/%s", rig.dir, name);
	return bufs[k];
}

static inline void rig_write_text(const char *name, const char *text)
{
	/* Write beside, then rename: a SIGHUP never reads half a file. */
	char tmp[320];
	snprintf(tmp, sizeof(tmp), "%s.tmp", rig_path(name));
	FILE *f = fopen(tmp, "w");
	if (!f)
		fail_msg("cannot write %s: %s", tmp, strerror(errno));
	fputs(text, f);
	fclose(f);
	if (rename(tmp, rig_path(name)) < 0)
		fail_msg("cannot rename %s: %s", tmp, strerror(errno));
}

/* The whole of a file as a string (malloc'ed; "" if missing). */
static inline char *rig_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc(n + 1);
	size_t got = fread(s, 1, n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

/* ---- WAV files ------------------------------------------------------------------- */

typedef struct {
	int frames, channels;
	float *data; /* interleaved */
} RigAudio;

/* Channel c of frame i. */
static inline float rig_at(const RigAudio *a, int i, int c)
{
	return a->data[(size_t)i * a->channels + c];
}

static inline void rig_audio_free(RigAudio *a)
{
	free(a->data);
	a->data = NULL;
}

static inline void rig_wav_write(const char *path, const float *data, int frames, int channels)
{
	SF_INFO info = { .samplerate = RIG_RATE, .channels = channels,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f)
		fail_msg("cannot write %s: %s", path, sf_strerror(NULL));
	if (sf_writef_float(f, data, frames) != frames)
		fail_msg("short write to %s", path);
	sf_close(f);
}

static inline RigAudio rig_wav_read(const char *path)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f)
		fail_msg("cannot read %s: %s", path, sf_strerror(NULL));
	/* Test files are written at RIG_RATE; captures are at the server's. */
	int want = rig.rate ? rig.rate : RIG_RATE;
	if (info.samplerate != want)
		fail_msg("%s: %d Hz, expected %d", path, info.samplerate, want);
	RigAudio a = { (int)info.frames, info.channels, NULL };
	a.data = malloc(sizeof(float) * (a.frames ? (size_t)a.frames * a.channels : 1));
	if (sf_readf_float(f, a.data, a.frames) != a.frames)
		fail_msg("short read from %s", path);
	sf_close(f);
	return a;
}

/* Channels ch[0..n-1] of a as a new n-channel file. */
static inline void rig_wav_write_channels(const char *path, const RigAudio *a, const int *ch, int n)
{
	float *buf = malloc(sizeof(float) * ((size_t)a->frames * n + 1));
	for (int i = 0; i < a->frames; i++)
		for (int c = 0; c < n; c++)
			buf[(size_t)i * n + c] = rig_at(a, i, ch[c]);
	rig_wav_write(path, buf, a->frames, n);
	free(buf);
}

/* First frame at which channel c is not exactly 0, or -1. */
static inline int rig_first_nonzero(const RigAudio *a, int c)
{
	for (int i = 0; i < a->frames; i++)
		if (rig_at(a, i, c) != 0.0f)
			return i;
	return -1;
}

/* ---- tools -------------------------------------------------------------------- */

static inline bool rig_have_tool(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v '%s' > /dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* A missing tool fails the test with the package that has it: `make check`
 * installs them, so a missing one is a broken machine, never a skip. */
static inline void rig_require(const char *tool, const char *package)
{
	if (!rig_have_tool(tool))
		fail_msg("'%s' not found: install the Debian package %s (make deps does)", tool,
			 package);
}

static inline void rig_require_jack_tools(void)
{
	rig_require("jackd", "jackd2");
	rig_require("jack_lsp", "jackd2");
	rig_require("jack_connect", "jackd2");
	rig_require("jack_bufsize", "jackd2");
	rig_require("jack-play", "jack-tools");
	rig_require("jack_capture", "jack-capture");
}

/* Run a shell command (printf-style) with a time limit, its stdout and
 * stderr into out (may be NULL); return its exit status (124: timed out).
 * JACK tools talk to the private server through the environment that
 * rig_setup exported. */
static inline int rig_sh(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048], full[2200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* 10 s: a JACK tool answers in milliseconds; only a wedged server is slower. */
	snprintf(full, sizeof(full), "timeout 10 sh -c '%s' 2>&1", cmd);
	FILE *p = popen(full, "r");
	if (!p)
		fail_msg("popen failed: %s", strerror(errno));
	/* Keep what fits, read to the end (so the command never hits a closed pipe). */
	char buf[4096];
	size_t got = 0, n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		if (out && got + 1 < size) {
			size_t k = n < size - 1 - got ? n : size - 1 - got;
			memcpy(out + got, buf, k);
			got += k;
		}
	if (out)
		out[got] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- processes ------------------------------------------------------------------- */

/* Start argv[0] (looked up in PATH) with stdout and stderr to DIR/LOGNAME,
 * stdin from a pipe we keep (with_stdin) or /dev/null, and the variables
 * "NAME=VALUE" of env (NULL-terminated, or NULL) added to the environment.
 * The process is recorded so that teardown can kill it. */
static inline RigProc *rig_spawn_env(const char *what, const char *logname, bool with_stdin,
				     char *const env[], char *const argv[])
{
	if (rig.nprocs == RIG_MAX_PROCS)
		fail_msg("rig: too many processes");
	RigProc *p = &rig.procs[rig.nprocs++];
	*p = (RigProc){ .in_fd = -1 };
	snprintf(p->what, sizeof(p->what), "%s", what);
	snprintf(p->log, sizeof(p->log), "%s", rig_path(logname));
	/* Close-on-exec: no other child inherits this pipe (the child's own
	 * stdin is a dup2 copy, which stays open). */
	int fds[2] = { -1, -1 };
	if (with_stdin && pipe2(fds, O_CLOEXEC) < 0)
		fail_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The test ignores SIGPIPE; the child gets the ordinary default. */
		signal(SIGPIPE, SIG_DFL);
		int in = with_stdin ? fds[0] : open("/dev/null", O_RDONLY);
		int out = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	p->pid = pid;
	if (with_stdin) {
		close(fds[0]);
		p->in_fd = fds[1];
		/* Non-blocking: a child that stops reading must not hang the test. */
		fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
	}
	return p;
}

static inline RigProc *rig_spawn(const char *what, const char *logname, bool with_stdin,
				 char *const argv[])
{
	return rig_spawn_env(what, logname, with_stdin, NULL, argv);
}

/* Is it still running? (Reaps it, keeping its status, if it has ended.) */
static inline bool rig_alive(RigProc *p)
{
	if (p->pid <= 0)
		return false;
	int status;
	pid_t r = waitpid(p->pid, &status, WNOHANG);
	if (r == p->pid) {
		p->status = status;
		p->pid = 0;
		return false;
	}
	return true;
}

/* Wait up to `seconds` for it to end; true if it did (status in p->status). */
static inline bool rig_wait_exit(RigProc *p, double seconds)
{
	double end = rig_now() + seconds;
	while (rig_alive(p)) {
		if (rig_now() > end)
			return false;
		rig_sleep(0.005);
	}
	return true;
}

static inline void rig_signal(RigProc *p, int sig)
{
	if (p->pid > 0)
		kill(p->pid, sig);
}

/* End it for good: SIGTERM, then SIGKILL after a second. */
static inline void rig_stop(RigProc *p)
{
	if (!rig_alive(p))
		return;
	rig_signal(p, SIGTERM);
	if (!rig_wait_exit(p, 1.0)) {
		rig_signal(p, SIGKILL);
		if (!rig_wait_exit(p, 5.0))
			fprintf(stderr, "rig: %s (pid %d) survives SIGKILL\n", p->what, (int)p->pid);
	}
}

/* Everything it has written so far (malloc'ed). */
static inline char *rig_log(const RigProc *p)
{
	return rig_slurp(p->log);
}

static inline size_t rig_log_size(const RigProc *p)
{
	struct stat st;
	return stat(p->log, &st) == 0 ? (size_t)st.st_size : 0;
}

/* Wait up to `seconds` for `needle` in its log past byte `from`; return a
 * pointer into the malloc'ed log text *all (the caller frees it) or NULL.
 * Gives up at once if the process has ended without writing it. */
static inline const char *rig_wait_log(RigProc *p, size_t from, const char *needle,
				       double seconds, char **all)
{
	double end = rig_now() + seconds;
	for (;;) {
		bool ended = !rig_alive(p); /* before reading: its last words count */
		*all = rig_log(p);
		const char *hit = strlen(*all) >= from ? strstr(*all + from, needle) : NULL;
		if (hit || ended || rig_now() > end)
			return hit;
		free(*all);
		rig_sleep(0.01);
	}
}

/* Write one line to its stdin, waiting up to `seconds` for room in the pipe.
 * False if it could not (the child stopped reading or is gone). */
static inline bool rig_send(RigProc *p, const char *line, double seconds)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	int done = 0;
	double end = rig_now() + seconds;
	while (done < n) {
		ssize_t w = write(p->in_fd, buf + done, n - done);
		if (w > 0) {
			done += (int)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		double left = end - rig_now();
		if (left <= 0)
			return false;
		struct pollfd pfd = { p->in_fd, POLLOUT, 0 };
		poll(&pfd, 1, (int)(left * 1000) + 1);
	}
	return true;
}

/* ---- the server ---------------------------------------------------------------- */

/* Poll jack_lsp until `port` is listed (or, with present=false, until it is
 * not); true if that happened within `seconds`. */
static inline bool rig_port_wait(const char *port, bool present, double seconds)
{
	double end = rig_now() + seconds;
	char out[16384];
	for (;;) {
		int rc = rig_sh(out, sizeof(out), "jack_lsp");
		bool listed = false;
		if (rc == 0)
			for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
				if (strcmp(line, port) == 0)
					listed = true;
		if (listed == present)
			return true;
		if (rig_now() > end)
			return false;
		rig_sleep(0.02);
	}
}

/* Start (or restart) the private server at `period` frames, and wait until
 * a client can see its ports. `playback` ports: 2, or more for tests that
 * need system:playback_3. */
static inline void rig_server_start_at(int rate, int period, int playback)
{
	char r[16], p[16], pb[16];
	snprintf(r, sizeof(r), "%d", rate);
	snprintf(p, sizeof(p), "%d", period);
	snprintf(pb, sizeof(pb), "%d", playback);
	/* -r: no real-time; -S: synchronous (see the top of this file). */
	char *argv[] = { "jackd", "-n", rig.server, "-r", "-S", "-d", "dummy", "-r", r,
			 "-p", p, "-C", "2", "-P", pb, NULL };
	rig.jackd = rig_spawn("jackd", "jackd.log", false, argv);
	rig.period = period;
	rig.rate = rate;
	/* A few seconds: jackd is ready in about 100 ms on an idle machine. */
	if (!rig_port_wait("system:capture_1", true, 5.0)) {
		char *log = rig_log(rig.jackd);
		fail_msg("jackd -n %s did not come up within 5 s%s; its output:\n%s", rig.server,
			 rig_alive(rig.jackd) ? "" : " (it exited)", log);
	}
}

/* The same at 48 kHz, the rate of every test file. */
static inline void rig_server_start(int period, int playback)
{
	rig_server_start_at(48000, period, playback);
}

/* The rig's part of a cmocka setup: a temporary directory, a server name
 * no other test or run uses, and the environment every client inherits.
 * Returns -1 (and makes nothing) if the directory cannot be made. Start the
 * server in the test body, not in the setup: cmocka runs no teardown after
 * a failed setup, and a server started there could be left running. */
static inline int rig_setup(void)
{
	static int count;
	signal(SIGPIPE, SIG_IGN); /* a dead child's stdin must not kill the test */
	memset(&rig, 0, sizeof(rig));
	snprintf(rig.dir, sizeof(rig.dir), "/tmp/lathe-jack-XXXXXX");
	if (!mkdtemp(rig.dir))
		return -1;
	snprintf(rig.server, sizeof(rig.server), "lathe-test-%d-%d", (int)getpid(), ++count);
	setenv("JACK_DEFAULT_SERVER", rig.server, 1);
	setenv("JACK_NO_START_SERVER", "1", 1);
	/* $LATHE made absolute once: commands then work from any directory. */
	static char abs[1024];
	const char *l = getenv("LATHE") ? getenv("LATHE") : "./lathe";
	rig.lathe = realpath(l, abs) ? abs : l;
	return 0;
}

/* The rig's part of a cmocka teardown: stop every process it started (the
 * server last, so clients leave cleanly), then remove the directory. */
static inline int rig_teardown(void)
{
	for (int i = rig.nprocs - 1; i >= 0; i--)
		if (&rig.procs[i] != rig.jackd && rig.procs[i].pid > 0)
			rig_stop(&rig.procs[i]);
	for (int i = 0; i < rig.nprocs; i++) {
		rig_stop(&rig.procs[i]);
		if (rig.procs[i].in_fd >= 0)
			close(rig.procs[i].in_fd);
	}
	/* What a killed server of ours left in /dev/shm (its name is ours alone). */
	char shm[256];
	snprintf(shm, sizeof(shm), "rm -f /dev/shm/jack_%s_* /dev/shm/jack_sem.*_%s_*", rig.server,
		 rig.server);
	if (system(shm) != 0)
		return -1;
	if (getenv("LATHE_KEEP_TEST_DIR")) {
		fprintf(stderr, "kept %s\n", rig.dir);
		return 0;
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rig.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- ports ----------------------------------------------------------------------- */

/* The ports `port` is connected to, from jack_lsp -c, one per line in buf. */
static inline void rig_connections(const char *port, char *buf, size_t size)
{
	char out[16384];
	buf[0] = '\0';
	if (rig_sh(out, sizeof(out), "jack_lsp -c") != 0)
		fail_msg("jack_lsp -c failed: %s", out);
	/* Format: the port at column 0, each connection on the next lines
	 * indented by three spaces. */
	bool in = false;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] != ' ')
			in = strcmp(line, port) == 0;
		else if (in) {
			while (*line == ' ')
				line++;
			strncat(buf, line, size - strlen(buf) - 2);
			strcat(buf, "\n");
		}
	}
}

static inline bool rig_connected(const char *a, const char *b)
{
	char buf[4096], want[256];
	rig_connections(a, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s\n", b);
	for (const char *s = buf; (s = strstr(s, want)); s++)
		if (s == buf || s[-1] == '\n')
			return true;
	return false;
}

/* Connect two ports. Already connected is fine: a client that restores
 * its connections (lathe does) may have been first. */
static inline void rig_connect(const char *from, const char *to)
{
	char out[1024];
	if (rig_sh(out, sizeof(out), "jack_connect \"%s\" \"%s\"", from, to) != 0 &&
	    !rig_connected(from, to))
		fail_msg("jack_connect %s %s failed: %s", from, to, out);
}

/* The latency range jack_lsp -l shows for `port`: its capture latency
 * (capture=true) or playback latency. Fails the test if the port is not
 * listed. */
static inline void rig_port_latency(const char *port, bool capture, int range[2])
{
	char out[16384];
	if (rig_sh(out, sizeof(out), "jack_lsp -l") != 0)
		fail_msg("jack_lsp -l failed: %s", out);
	/* Format: the port at column 0, then tab-indented lines
	 * "port playback latency = [ MIN MAX ] frames" and the same for capture. */
	const char *want = capture ? "port capture latency = [ %d %d ]"
				   : "port playback latency = [ %d %d ]";
	bool in = false, found = false;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] != '\t' && line[0] != ' ')
			in = strcmp(line, port) == 0;
		else if (in) {
			while (*line == '\t' || *line == ' ')
				line++;
			if (sscanf(line, want, &range[0], &range[1]) == 2)
				found = true;
		}
	}
	if (!found)
		fail_msg("jack_lsp -l does not list the %s latency of %s",
			 capture ? "capture" : "playback", port);
}

/* Change the server's period (jack_bufsize), which every client follows. */
static inline void rig_bufsize(int frames)
{
	char out[1024];
	if (rig_sh(out, sizeof(out), "jack_bufsize %d", frames) != 0)
		fail_msg("jack_bufsize %d failed: %s", frames, out);
	rig.period = frames;
}

/* ---- playing and recording ------------------------------------------------------- */

/* Start jack-play on `file` as client `name`, its out_N connected at start
 * to the pattern `connect_to` ("jack_capture:input%d"; NULL: nothing), and
 * wait for its ports; the caller connects the others (the file has silence
 * at its head for that). -c 3: bit-transparent (see the top of the file). */
static inline RigProc *rig_play(const char *file, const char *name, const char *connect_to)
{
	char *argv[] = { "jack-play", "-c", "3", "-n", (char *)name, "-u", (char *)file, NULL };
	char log[64], port[128], env[256];
	snprintf(log, sizeof(log), "%s.log", name);
	snprintf(env, sizeof(env), "JACK_PLAY_CONNECT_TO=%s", connect_to ? connect_to : "");
	char *envv[] = { env, NULL };
	RigProc *p = rig_spawn_env("jack-play", log, false, connect_to ? envv : NULL, argv);
	snprintf(port, sizeof(port), "%s:out_1", name);
	if (!rig_port_wait(port, true, 5.0)) {
		char *l = rig_log(p);
		fail_msg("jack-play did not register %s within 5 s; its output:\n%s", port, l);
	}
	return p;
}

/* Start jack_capture recording `n` channels for `seconds` to `file`, and
 * connect ports[k] to its input k+1 once they exist (a NULL port: the
 * caller connects that input later). */
static inline RigProc *rig_capture(const char *file, const char *const *ports, int n, double seconds)
{
	char c[16], d[32];
	snprintf(c, sizeof(c), "%d", n);
	snprintf(d, sizeof(d), "%g", seconds);
	/* -mc: we connect; -ns: no stdin; -dc: no console meter in the log. */
	char *argv[] = { "jack_capture", "-mc", "-c", c, "-d", d, "-ns", "-dc",
			 "-f", "wav", (char *)file, NULL };
	RigProc *p = rig_spawn("jack_capture", "jack_capture.log", false, argv);
	char port[64];
	snprintf(port, sizeof(port), "jack_capture:input%d", n);
	if (!rig_port_wait(port, true, 5.0)) {
		char *l = rig_log(p);
		fail_msg("jack_capture did not register %s within 5 s; its output:\n%s", port, l);
	}
	for (int k = 0; k < n; k++) {
		if (!ports[k])
			continue;
		snprintf(port, sizeof(port), "jack_capture:input%d", k + 1);
		rig_connect(ports[k], port);
	}
	return p;
}

/* Wait for a capture to end and read it; stop it first (SIGINT, as
 * Ctrl-C) if stop. */
static inline RigAudio rig_capture_read(RigProc *p, const char *file, double seconds, bool stop)
{
	if (stop)
		rig_signal(p, SIGINT);
	if (!rig_wait_exit(p, seconds)) {
		char *l = rig_log(p);
		fail_msg("jack_capture still running after %g s; its output:\n%s", seconds, l);
	}
	if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0) {
		char *l = rig_log(p);
		fail_msg("jack_capture failed (status %d); its output:\n%s", p->status, l);
	}
	return rig_wav_read(file);
}

#endif
