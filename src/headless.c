/* lathe — `lathe --headless`: the console on JACK with no display.
 *
 * The same state and host as the GTK console; its controls are the command
 * line, a session file (SIGHUP reloads it), commands on stdin, and (from
 * the OSC issue on) OSC. On a terminal it keeps one status line up to date.
 *
 * Everything here runs on the GLib main loop. Signals arrive through
 * g_unix_signal_add, which does no work in the handler itself.
 */
#include "headless.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "host.h"
#include "osc.h"
#include "state.h"
#include "window.h"

#define STATUS_TTY_MS 500   /* a status line on a terminal: twice a second */
#define STATUS_LOG_MS 1000  /* --status to a pipe or file: a line a second */

typedef struct {
	GMainLoop *loop;
	LatheState *state;
	LatheHost *host;
	LatheOsc *osc;     /* NULL with --osc-port 0 */
	bool status_tty;   /* redraw one line in place */
	bool stdin_tty;    /* commands typed on a terminal */
	bool status_drawn; /* a status line is on the terminal now */
	guint stdin_id;
} Headless;

static Headless *current; /* for the printerr handler */

/* Messages clear the status line first, so they never land in its middle. */
static void printerr_handler(const gchar *text)
{
	if (current && current->status_drawn) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
		current->status_drawn = false;
	}
	fputs(text, stderr);
}

/* ------------------------------------------------------------- status */

/* " LABEL -12.3" (or " LABEL  --.-" with nothing to measure yet). */
static void level(GString *s, const char *label, float db)
{
	if (isfinite(db))
		g_string_append_printf(s, " %s %5.1f", label, (double)db);
	else
		g_string_append_printf(s, " %s  --.-", label);
}

/* " osc 2" while surfaces are registered. */
static void osc_surfaces(Headless *hd, GString *s)
{
	LatheOscStatus os;
	if (!hd->osc)
		return;
	lathe_osc_status(hd->osc, &os);
	if (os.surfaces)
		g_string_append_printf(s, "  osc %d", os.surfaces);
}

static void status_text(Headless *hd, GString *s)
{
	LatheHostStatus hs;
	lathe_host_status(hd->host, &hs);
	if (!hs.connected) {
		g_string_append_printf(s, "no JACK server \"%s\": waiting (state kept)  xruns %u",
				       hs.server, hs.xruns);
		return;
	}
	static const char *const sources[] = { "A", "B", "input", "ref" };
	const float *console = hd->state->session.console;
	int chain = (int)console[LATHE_CONSOLE_CHAIN];
	/* Within 80 columns up to the gain reduction (units: LUFS, dBTP). */
	g_string_append_printf(s, "print %s mon %s", chain ? "B" : "A",
			       sources[(int)console[LATHE_CONSOLE_SOURCE]]);
	if ((int)console[LATHE_CONSOLE_OSC_MODE] != 0)
		g_string_append(s, " osc");
	LatheMeters *m = lathe_host_meters(hd->host);
	if (!m) {
		g_string_append_printf(s, "  DSP %.1f%%  xruns %u", (double)hs.dsp_load, hs.xruns);
		osc_surfaces(hd, s);
	} else {
		/* The print's loudness and peak: what a delivery is judged by. */
		const LatheMeterReading r = m->reading[chain ? LATHE_TAP_B : LATHE_TAP_A];
		g_string_append(s, " ");
		level(s, "M", r.momentary);
		level(s, "S", r.short_term);
		level(s, "I", r.integrated);
		g_string_append(s, " LUFS ");
		float tp = fmaxf(r.true_peak_hold[0], r.true_peak_hold[1]);
		level(s, "TP", tp);
		g_string_append_printf(s, "  DSP %.1f%%  xruns %u", (double)hs.dsp_load, hs.xruns);
		osc_surfaces(hd, s);
		/* Gain reduction of the print chain's dynamics, deepest per module;
		 * last, so a narrow terminal cuts this and nothing else. */
		g_string_append(s, "  GR");
		for (int mod = 0; mod < LATHE_MODULE_COUNT; mod++) {
			int n = m->status.gr_count[chain][mod];
			if (!n)
				continue;
			float gr = 0.0f;
			for (int k = 0; k < n; k++)
				gr = fmaxf(gr, m->status.gain_reduction[chain][mod][k]);
			g_string_append_printf(s, " %s %.1f", lathe_module_classes[mod]->name, (double)gr);
		}
	}
	/* Rate, period and latency change rarely: stderr says when. Lines for
	 * a log (--status) carry them anyway. */
	if (!hd->status_tty)
		g_string_append_printf(s, "  %u Hz  %u frames  latency %d", hs.rate, hs.period,
				       hs.latency);
}

/* Columns of the terminal: the line is cut to fit, or a wrapped line would
 * defeat the carriage return that redraws it. */
static size_t terminal_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col;
	return 80;
}

static gboolean status_cb(gpointer data)
{
	Headless *hd = data;
	GString *s = g_string_new(NULL);
	status_text(hd, s);
	if (hd->status_tty) {
		/* Cut at the last whole item that fits. */
		size_t width = terminal_width() - 1;
		while (s->len > width) {
			char *gap = g_strrstr_len(s->str, (gssize)width, "  ");
			g_string_truncate(s, gap ? (size_t)(gap - s->str) : width);
		}
		printf("\r\033[K%s", s->str);
		hd->status_drawn = true;
	} else {
		printf("%s\n", s->str);
	}
	fflush(stdout);
	g_string_free(s, TRUE);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ commands */

/* Load a session, its warnings and the outcome said through g_printerr
 * (so they never land in the middle of the status line). */
static void load(Headless *hd, const char *file)
{
	char err[512], *warnings = NULL;
	size_t size = 0;
	FILE *w = open_memstream(&warnings, &size);
	bool ok = lathe_state_load(hd->state, file, w, err, sizeof(err));
	if (w)
		fclose(w);
	if (warnings && *warnings)
		g_printerr("lathe: %s", warnings);
	free(warnings);
	if (ok)
		g_printerr("lathe: session %s loaded\n", file);
	else
		g_printerr("lathe: %s (not loaded; the console keeps its state)\n", err);
}

static void reload(Headless *hd)
{
	if (!hd->state->file) {
		g_printerr("lathe: SIGHUP: no session file to reload (start with --session FILE)\n");
		return;
	}
	char *file = g_strdup(hd->state->file);
	load(hd, file);
	g_free(file);
}

/* One line of the command language: PATH VALUE, PATH=VALUE, load FILE,
 * save [FILE]. */
static void command(Headless *hd, char *line)
{
	char err[512];
	g_strstrip(line);
	if (!*line || *line == '#')
		return;
	if (g_str_has_prefix(line, "load ")) {
		load(hd, g_strstrip(line + 5));
		return;
	}
	if (strcmp(line, "save") == 0 || g_str_has_prefix(line, "save ")) {
		const char *file = line[4] ? g_strstrip(line + 5) : NULL;
		if (lathe_state_save(hd->state, file, err, sizeof(err)))
			g_printerr("lathe: session saved to %s\n", hd->state->file);
		else
			g_printerr("lathe: %s\n", err);
		return;
	}
	char *value = line + strcspn(line, " \t=");
	if (*value)
		*value++ = '\0';
	value = g_strstrip(value);
	bool clamped;
	if (!*value)
		g_printerr("lathe: '%s' needs a value (PATH VALUE)\n", line);
	else if (!lathe_state_assign(hd->state, line, value, &clamped, err, sizeof(err)))
		g_printerr("lathe: %s\n", err);
	else if (clamped)
		g_printerr("lathe: warning: %s\n", err);
}

/* Lines handled per dispatch: a fast writer must not keep signals, the
 * host's tick and the meters waiting (the watch fires again at once while
 * lines are left in the channel's buffer). */
#define STDIN_LINES_PER_DISPATCH 256

static gboolean stdin_cb(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	(void)cond;
	Headless *hd = data;
	for (int n = 0; n < STDIN_LINES_PER_DISPATCH; n++) {
		char *line = NULL;
		GIOStatus st = g_io_channel_read_line(ch, &line, NULL, NULL, NULL);
		if (st == G_IO_STATUS_NORMAL) {
			command(hd, line);
			g_free(line);
			continue;
		}
		g_free(line);
		if (st == G_IO_STATUS_AGAIN)
			return G_SOURCE_CONTINUE;
		/* End of input. From a terminal (Ctrl-D, or the terminal gone) it
		 * ends the console, as in any terminal program; from a pipe or
		 * /dev/null the console goes on without it. A read error (a
		 * background job's terminal: EIO) only stops reading. */
		hd->stdin_id = 0;
		if (st == G_IO_STATUS_EOF && hd->stdin_tty)
			g_main_loop_quit(hd->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Whether to read commands from stdin: not if it was closed at start (see
 * stdin_open), nor from a terminal that belongs to another process group
 * (started with &): reading it would stop the whole console, audio
 * included, with SIGTTIN. */
static bool stdin_usable(bool open_at_start)
{
	if (!open_at_start)
		return false;
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp())
		return false;
	/* Put in the background later (Ctrl-Z, bg), a read fails with EIO
	 * instead of stopping the console. */
	signal(SIGTTIN, SIG_IGN);
	return true;
}

static gboolean quit_cb(gpointer data)
{
	Headless *hd = data;
	g_main_loop_quit(hd->loop);
	return G_SOURCE_CONTINUE;
}

/* SIGHUP has two meanings by tradition: to a program on a terminal, the
 * terminal has gone (so it stops, and `make demo` can stop its server);
 * to a service, reload the configuration. */
static gboolean hup_cb(gpointer data)
{
	Headless *hd = data;
	if (hd->stdin_tty)
		g_main_loop_quit(hd->loop);
	else
		reload(hd);
	return G_SOURCE_CONTINUE;
}

/* --------------------------------------------------------------- main */

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "lathe: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 2;
}

/* True if fd 0 is open. If not, it is pointed at /dev/null, before GLib or
 * JACK open anything: a file of theirs that took number 0 would be read as
 * our stdin. Call first. */
static bool stdin_open(void)
{
	if (fcntl(STDIN_FILENO, F_GETFD) != -1)
		return true;
	int fd = open("/dev/null", O_RDONLY);
	if (fd > STDIN_FILENO)
		close(fd);
	return false;
}

static gboolean close_request_cb(GtkWindow *window, gpointer data)
{
	(void)window;
	Headless *hd = data;
	g_main_loop_quit(hd->loop);
	return FALSE;
}

int lathe_headless_main(int argc, char **argv, bool gui)
{
	bool stdin_was_open = stdin_open();
	const char *client_name = NULL, *server_name = getenv("JACK_DEFAULT_SERVER");
	bool status_lines = false;
	char err[512];
	LatheOscConfig osc;
	lathe_osc_config_default(&osc);
	Headless hd = { 0 };
	hd.state = lathe_state_new();
	if (!hd.state) {
		fprintf(stderr, "lathe: out of memory\n");
		return 1;
	}
	/* The session first, so that --set overrides it whatever the order. */
	int sessions = 0;
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--session") == 0 && ++sessions > 1) {
			fprintf(stderr, "lathe: give --session once (load more later with 'load FILE')\n");
			lathe_state_free(hd.state);
			return 2;
		}
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--session") == 0) {
			if (!lathe_state_load(hd.state, argv[++i], stderr, err, sizeof(err))) {
				fprintf(stderr, "lathe: %s\n", err);
				lathe_state_free(hd.state);
				return 1;
			}
		}
	/* --set and --connect edit the session before the console starts:
	 * --connect is a session's "connect" line, made when JACK is there. */
	LatheSession *session = &hd.state->session;
	int status = 0;
	for (int i = 1; i < argc && status == 0; i++) {
		const char *a = argv[i];
		bool has_arg = i + 1 < argc;
		if (strcmp(a, "--headless") == 0) {
		} else if (strcmp(a, "--status") == 0) {
			status_lines = true;
		} else if (strcmp(a, "--session") == 0 && has_arg) {
			i++;
		} else if (strcmp(a, "--jack-name") == 0 && has_arg) {
			client_name = argv[++i];
		} else if (strcmp(a, "--server") == 0 && has_arg) {
			server_name = argv[++i];
		} else if (strcmp(a, "--connect") == 0 && has_arg) {
			const char *c = argv[++i];
			const char *eq = strchr(c, '=');
			char *port = g_strndup(c, eq ? (size_t)(eq - c) : 0);
			if (!eq || !lathe_session_connect(session, port, eq + 1, err, sizeof(err)))
				status = usage_error("--connect takes PORT=PEER with PORT one of in_L in_R "
						     "ref_L ref_R out_L out_R mon_L mon_R, not '%s'", c);
			hd.state->connections_loaded = true;
			g_free(port);
		} else if (strcmp(a, "--osc-port") == 0 && has_arg) {
			char *end;
			long port = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || port < 0 || port > 65535)
				status = usage_error("--osc-port takes a UDP port, 1 to 65535 (0: no OSC), "
						     "not '%s'", argv[i]);
			osc.port = (int)port;
		} else if (strcmp(a, "--osc-allow") == 0 && has_arg) {
			if (osc.allow_count == LATHE_OSC_ALLOW_MAX)
				status = usage_error("--osc-allow: at most 16 networks (%s is one more)",
						     argv[i + 1]);
			else
				osc.allow[osc.allow_count++] = argv[i + 1];
			i++;
		} else if (strcmp(a, "--osc-expiry") == 0 && has_arg) {
			char *end;
			osc.expiry_s = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(osc.expiry_s >= 0.0 && osc.expiry_s <= 86400.0))
				status = usage_error("--osc-expiry takes seconds, 0 (never) to 86400, not "
						     "'%s'", argv[i]);
		} else if (strcmp(a, "--osc-auto-register") == 0) {
			osc.auto_register = true;
		} else if (strcmp(a, "--no-zeroconf") == 0) {
			osc.advertise = false;
		} else if (strcmp(a, "--set") == 0 && has_arg) {
			bool clamped;
			if (!lathe_session_assign_setting(session, argv[++i], &clamped, err, sizeof(err)))
				status = (fprintf(stderr, "lathe: %s\n", err), strchr(argv[i], '=') ? 1 : 2);
			else if (clamped)
				fprintf(stderr, "lathe: warning: %s\n", err);
		} else {
			status = usage_error("unknown or incomplete option '%s' (see lathe --help)", a);
		}
	}
	if (status) {
		lathe_state_free(hd.state);
		return status;
	}

	/* Changes are counted from here: the command line is how it started. */
	hd.state->dirty = false;
	current = &hd;
	g_set_printerr_handler(printerr_handler);
	hd.loop = g_main_loop_new(NULL, FALSE);
	hd.host = lathe_host_new(hd.state, client_name, server_name, gui);
	if (osc.port) {
		hd.osc = lathe_osc_new(hd.state, hd.host, &osc, err, sizeof(err));
		if (!hd.osc) {
			/* Headless, OSC is the control: without it, do not pretend. */
			fprintf(stderr, "lathe: %s\n", err);
			lathe_host_free(hd.host);
			g_set_printerr_handler(NULL);
			current = NULL;
			g_main_loop_unref(hd.loop);
			lathe_state_free(hd.state);
			return 1;
		}
		GString *nets = g_string_new("loopback");
		for (int i = 0; i < osc.allow_count; i++)
			g_string_append_printf(nets, ", %s", osc.allow[i]);
		for (int i = 0; i < hd.state->session.osc_allows; i++)
			g_string_append_printf(nets, ", %s (session)", hd.state->session.osc_allow[i]);
		g_printerr("lathe: OSC on port %d, obeying %s\n", osc.port, nets->str);
		g_string_free(nets, TRUE);
	}
	GtkWidget *window = NULL;
	if (gui) {
		g_set_prgname("io.github.lathe.Lathe");
		if (gtk_init_check()) {
			gtk_window_set_default_icon_name("io.github.lathe.Lathe");
			window = lathe_window_new(hd.state, hd.host, hd.osc);
			g_signal_connect(window, "close-request", G_CALLBACK(close_request_cb), &hd);
			gtk_window_present(GTK_WINDOW(window));
		} else {
			g_printerr("lathe: no display: running headless (lathe --headless says so "
				   "itself)\n");
		}
	}

	guint signals[] = {
		g_unix_signal_add(SIGINT, quit_cb, &hd),
		g_unix_signal_add(SIGTERM, quit_cb, &hd),
		g_unix_signal_add(SIGHUP, hup_cb, &hd),
	};
	GIOChannel *in = NULL;
	if (stdin_usable(stdin_was_open)) {
		in = g_io_channel_unix_new(STDIN_FILENO);
		g_io_channel_set_encoding(in, NULL, NULL);
		g_io_channel_set_flags(in, G_IO_FLAG_NONBLOCK, NULL);
		hd.stdin_id = g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_cb, &hd);
		hd.stdin_tty = isatty(STDIN_FILENO);
	}
	/* The status line is for a terminal with no window. */
	hd.status_tty = !window && isatty(STDOUT_FILENO);
	guint status_id = 0;
	if (hd.status_tty || status_lines)
		status_id = g_timeout_add(hd.status_tty ? STATUS_TTY_MS : STATUS_LOG_MS, status_cb, &hd);

	g_main_loop_run(hd.loop);

	/* The default actions back: if closing the client hangs (a stopped
	 * server), a second Ctrl-C ends the process. */
	for (size_t i = 0; i < G_N_ELEMENTS(signals); i++)
		g_source_remove(signals[i]);

	if (hd.status_drawn)
		printf("\n");
	if (status_id)
		g_source_remove(status_id);
	if (hd.stdin_id)
		g_source_remove(hd.stdin_id);
	if (in)
		g_io_channel_unref(in);
	if (window)
		gtk_window_destroy(GTK_WINDOW(window));
	lathe_osc_free(hd.osc);
	lathe_host_free(hd.host);
	g_set_printerr_handler(NULL);
	current = NULL;
	g_main_loop_unref(hd.loop);
	if (hd.state->dirty && hd.state->file)
		fprintf(stderr, "lathe: note: changes since %s was loaded are not saved\n",
			hd.state->file);
	lathe_state_free(hd.state);
	fprintf(stderr, "lathe: stopped\n");
	return 0;
}
