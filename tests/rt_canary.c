/* lathe — rt_canary: a deliberately bad JACK client, to prove that
 * rt_probe.so can fail (and a clean one, to prove it does not fail for
 * nothing).
 *
 *   rt_canary NAME SECONDS [MODE [SERVER]]
 *
 * MODE  malloc  (default) each process callback calls malloc and free;
 *       print   the same, and fprintf(stderr) on every 256th callback
 *               (the first included: enough to count, not a flood);
 *       clean   the callback only writes zeros to its port.
 * SERVER defaults to $JACK_DEFAULT_SERVER, then to JACK's default. The
 * server is never started (JackNoStartServer).
 *
 * Under LD_PRELOAD=build/tests/rt_probe.so LATHE_PROBE_REPORT=FILE the report
 * must show first_forbidden malloc in the malloc and print modes, and
 * forbidden 0 with callbacks > 0 in clean mode. The canary prints its own
 * callback count at the end, to compare with the report's "callbacks".
 * Exit status: 0 after a clean run, 1 on a usage or JACK error.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jack/jack.h>

enum canary_mode { MODE_MALLOC, MODE_PRINT, MODE_CLEAN };

static const char *const mode_name[] = {
	[MODE_MALLOC] = "malloc", [MODE_PRINT] = "print", [MODE_CLEAN] = "clean",
};

typedef struct {
	jack_port_t *port;
	enum canary_mode mode;
	atomic_ulong callbacks;
} Canary;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_shutdown(void *arg)
{
	(void)arg;
	stop = 1; /* the server went away: leave the run loop */
}

/* The process callback: wrong on purpose, except in clean mode. */
static int process(jack_nframes_t nframes, void *arg)
{
	Canary *c = arg;
	unsigned long n = atomic_fetch_add_explicit(&c->callbacks, 1,
	                                            memory_order_relaxed);
	float *out = jack_port_get_buffer(c->port, nframes);
	memset(out, 0, nframes * sizeof *out);
	if (c->mode == MODE_CLEAN)
		return 0;

	/* volatile: the compiler may not drop the malloc/free pair. */
	void *volatile p = malloc(64);
	free(p);
	if (c->mode == MODE_PRINT && n % 256 == 0)
		fprintf(stderr, "rt_canary: callback %lu, %u frames\n", n, nframes);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: rt_canary NAME SECONDS [malloc|print|clean [SERVER]]\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5)
		return usage();
	const char *name = argv[1];
	char *end;
	double seconds = strtod(argv[2], &end);
	if (*end != '\0' || !(seconds > 0.0))
		return usage();

	static Canary canary; /* static: the callback's, for the whole run */
	canary.mode = MODE_MALLOC;
	if (argc >= 4) {
		int found = 0;
		for (int m = 0; m < (int)(sizeof mode_name / sizeof *mode_name); m++)
			if (strcmp(argv[3], mode_name[m]) == 0) {
				canary.mode = (enum canary_mode)m;
				found = 1;
			}
		if (!found)
			return usage();
	}
	const char *server = argc >= 5 ? argv[4] : getenv("JACK_DEFAULT_SERVER");

	jack_options_t options = JackNoStartServer;
	if (server && *server)
		options |= JackServerName;
	jack_status_t status;
	jack_client_t *client = jack_client_open(name, options, &status, server);
	if (!client) {
		fprintf(stderr, "rt_canary: cannot open a JACK client on server '%s' "
		                "(status 0x%x)\n", server ? server : "default",
		        (unsigned)status);
		return 1;
	}
	canary.port = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE,
	                                 JackPortIsOutput, 0);
	if (!canary.port ||
	    jack_set_process_callback(client, process, &canary) != 0) {
		fprintf(stderr, "rt_canary: cannot set up the client\n");
		jack_client_close(client);
		return 1;
	}
	jack_on_shutdown(client, on_shutdown, NULL);

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (jack_activate(client) != 0) {
		fprintf(stderr, "rt_canary: cannot activate the client\n");
		jack_client_close(client);
		return 1;
	}

	/* Run for the given time, in 10 ms steps so a signal ends it soon. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct timespec step = { 0, 10000000 };
		nanosleep(&step, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!stop && (double)(now.tv_sec - t0.tv_sec) +
	                  (double)(now.tv_nsec - t0.tv_nsec) * 1e-9 < seconds);

	jack_deactivate(client);
	jack_client_close(client);
	printf("rt_canary: %s: %lu callbacks in %s mode\n", name,
	       atomic_load(&canary.callbacks), mode_name[canary.mode]);
	return 0;
}
