/* lathe — command line: `lathe params`, `lathe render`, `lathe analyze`. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analyze.h"
#include "headless.h"
#include "namespace.h"
#include "params.h"
#include "render.h"
#include "session.h"

#define LATHE_VERSION "0.1"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lathe --headless [--jack-name NAME] [--server NAME] [--connect PORT=PEER]...\n"
		"                        [--session FILE] [--set PATH=VALUE]... [--status]\n"
		"                        [--osc-port N] [--osc-allow CIDR]... [--osc-expiry S]\n"
		"                        [--osc-auto-register] [--no-zeroconf]\n"
		"       lathe params [--json]\n"
		"       lathe --osc-doc\n"
		"       lathe render [--session FILE] [--set PATH=VALUE]... [--format wav|flac|aiff]\n"
		"                    [--bits 16|24|32|float] [--block N] [--quiet] IN OUT\n"
		"       lathe analyze [--json] FILE...\n"
		"       lathe --help | --version\n"
		"\n"
		"params   every control: path, range, default, unit (the namespace of sessions,\n"
		"         --set and OSC)\n"
		"render   master IN to OUT through the chain, offline; OUT is aligned with IN and\n"
		"         as long; its format follows OUT's extension, else IN's\n"
		"analyze  integrated loudness, LRA, maximum momentary and short-term loudness,\n"
		"         true and sample peak and PLR of each FILE (EBU R128, the console's meter)\n"
		"--headless  the console on JACK without a display. Ports in_L in_R ref_L ref_R\n"
		"         (program and reference in), out_L out_R (print), mon_L mon_R (monitor).\n"
		"         --connect in_L=system:capture_1 connects a port (kept across server\n"
		"         restarts); --session loads a session (SIGHUP reloads it); stdin takes\n"
		"         PATH VALUE, load FILE, save [FILE]; --status prints a status line\n"
		"         every second even when stdout is not a terminal\n"
		"OSC      every control over OSC on UDP port 7770 (--osc-port; 0: none), obeying\n"
		"         loopback only unless --osc-allow admits a network (192.168.1.0/24);\n"
		"         surfaces that register get every change; silent ones go after\n"
		"         --osc-expiry seconds (60); --osc-auto-register registers any sender;\n"
		"         advertised as _osc._udp when Avahi runs (--no-zeroconf: not)\n"
		"--osc-doc  the OSC namespace as Markdown (share/osc.md)\n"
		"\n"
		"lathe with no arguments is lathe --headless until the GTK console arrives.\n");
}

/* JSON string with the escapes the registry's text can need. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}


static void print_params_json(FILE *f)
{
	fprintf(f, "[\n");
	for (int i = 0; i < LATHE_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		fprintf(f, "  {\"path\": ");
		json_string(f, p->path);
		/* Chain parameters exist in both chains (/a/..., /b/...). */
		fprintf(f, ", \"module\": ");
		json_string(f, lathe_param_group(p));
		fprintf(f, ", \"scope\": \"%s\"", p->module == LATHE_CONSOLE ? "console" : "chain");
		fprintf(f, ", \"label\": ");
		json_string(f, p->label);
		fprintf(f, ", \"unit\": ");
		json_string(f, p->unit);
		fprintf(f, ", \"taper\": \"%s\", \"min\": %g, \"max\": %g, \"default\": %g, "
			   "\"step\": %g, \"smooth_ms\": %g",
			lathe_taper_name(p->taper), (double)p->min, (double)p->max, (double)p->def,
			(double)p->step, (double)p->smooth_ms);
		if (p->taper == LATHE_TAPER_ENUM) {
			fprintf(f, ", \"values\": [");
			for (int k = 0; p->names[k]; k++) {
				fprintf(f, k ? ", " : "");
				json_string(f, p->names[k]);
			}
			fprintf(f, "]");
		}
		fprintf(f, ", \"help\": ");
		json_string(f, p->help);
		fprintf(f, "},\n");
	}
	/* The rest of the OSC namespace: actions and reported state ("N" in a
	 * path is a snapshot number). */
	for (int g = 0; g < lathe_osc_group_count; g++) {
		const LatheOscGroup *group = &lathe_osc_groups[g];
		for (int i = 0; i < group->count; i++) {
			fprintf(f, "  {\"path\": ");
			json_string(f, group->table[i].path);
			fprintf(f, ", \"scope\": \"%s\", \"args\": ", group->scope);
			json_string(f, group->table[i].args);
			fprintf(f, ", \"help\": ");
			json_string(f, group->table[i].help);
			bool last = g + 1 == lathe_osc_group_count && i + 1 == group->count;
			fprintf(f, "}%s\n", last ? "" : ",");
		}
	}
	fprintf(f, "]\n");
}

static void print_params_table(FILE *f)
{
	fprintf(f, "%-28s %-13s %-7s %-7s %s\n", "PATH", "DEFAULT", "GLIDE", "TAPER", "RANGE");
	for (int i = 0; i < LATHE_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		char range[128], def[32], glide[16] = "-";
		if (p->taper == LATHE_TAPER_ENUM) {
			range[0] = '\0';
			for (int k = 0; p->names[k]; k++)
				snprintf(range + strlen(range), sizeof(range) - strlen(range), "%s%s",
					 k ? "|" : "", p->names[k]);
		} else if (p->taper == LATHE_TAPER_TOGGLE) {
			snprintf(range, sizeof(range), "off|on");
		} else {
			snprintf(range, sizeof(range), "%g..%g %s", (double)p->min, (double)p->max,
				 p->unit);
		}
		lathe_param_format(p, p->def, def, sizeof(def));
		if (p->smooth_ms > 0)
			snprintf(glide, sizeof(glide), "%g ms", (double)p->smooth_ms);
		fprintf(f, "%-28s %-13s %-7s %-7s %s\n", p->path, def, glide, lathe_taper_name(p->taper),
			range);
	}
}

static int cmd_params(int argc, char **argv)
{
	if (argc == 1) {
		print_params_table(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--json") == 0) {
		print_params_json(stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		bool headless = false;
		for (int i = 1; i < argc; i++)
			headless |= strcmp(argv[i], "--headless") == 0;
		return lathe_headless_main(argc, argv, !headless);
	}
	usage(stderr);
	return 2;
}

/* Container from a file name's extension, 0 when not recognised. */
static int container_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return 0;
	if (!strcasecmp(dot, ".wav"))
		return SF_FORMAT_WAV;
	if (!strcasecmp(dot, ".flac"))
		return SF_FORMAT_FLAC;
	if (!strcasecmp(dot, ".aif") || !strcasecmp(dot, ".aiff"))
		return SF_FORMAT_AIFF;
	return 0;
}

/* The output format: the input's, with the container and word length the
 * user named (by option or by OUT's extension). 0 = exactly the input's. */
static int output_format(const char *in, const char *out, int container, int subtype)
{
	if (!container)
		container = container_of(out);
	if (!container && !subtype)
		return 0;
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(in, SFM_READ, &info);
	if (!f)
		return 0; /* the render reports the unreadable input */
	sf_close(f);
	int format = (container ? container : (info.format & SF_FORMAT_TYPEMASK)) |
		     (subtype ? subtype : (info.format & SF_FORMAT_SUBMASK));
	SF_INFO check = { .samplerate = info.samplerate, .channels = info.channels, .format = format };
	if (!sf_format_check(&check)) /* e.g. float into FLAC: keep the container, 24 bits */
		format = (format & SF_FORMAT_TYPEMASK) | SF_FORMAT_PCM_24;
	return format;
}

static int render_with(LatheSession *session, int argc, char **argv);

static int cmd_render(int argc, char **argv)
{
	/* The render prints what the print output carries: the session's
	 * selected chain. On the heap: a session holds 16 snapshots. */
	LatheSession *session = malloc(sizeof(*session));
	if (!session) {
		fprintf(stderr, "lathe: out of memory\n");
		return 1;
	}
	lathe_session_default(session);
	int status = render_with(session, argc, argv);
	free(session);
	return status;
}

static int render_with(LatheSession *session, int argc, char **argv)
{
	LatheRenderJob job = { .block = 1024, .progress = isatty(2) };
	const char *files[2] = { NULL, NULL };
	int n_files = 0, container = 0, subtype = 0;
	char err[512];
	/* Sessions first, so that --set overrides them whatever the order. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--session") == 0 && i + 1 < argc) {
			if (!lathe_session_load(argv[++i], session, stderr, err, sizeof(err))) {
				fprintf(stderr, "lathe: %s\n", err);
				return 1;
			}
		}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_arg = i + 1 < argc;
		if (strcmp(a, "--session") == 0 && has_arg) {
			i++;
		} else if (strcmp(a, "--set") == 0 && has_arg) {
			bool clamped;
			if (!lathe_session_assign_setting(session, argv[++i], &clamped, err,
							  sizeof(err))) {
				fprintf(stderr, "lathe: %s\n", err);
				return strchr(argv[i], '=') ? 1 : 2;
			}
			if (clamped)
				fprintf(stderr, "lathe: warning: %s\n", err);
		} else if (strcmp(a, "--block") == 0 && has_arg) {
			job.block = atoi(argv[++i]);
			if (job.block < 1 || job.block > 65536) {
				fprintf(stderr, "lathe: --block takes 1..65536 frames\n");
				return 2;
			}
		} else if (strcmp(a, "--format") == 0 && has_arg) {
			const char *name = argv[++i];
			char probe[16];
			snprintf(probe, sizeof(probe), ".%s", name);
			container = container_of(probe);
			if (!container) {
				fprintf(stderr, "lathe: --format takes wav, flac or aiff, not '%s'\n", name);
				return 2;
			}
		} else if (strcmp(a, "--bits") == 0 && has_arg) {
			const char *b = argv[++i];
			subtype = !strcmp(b, "16") ? SF_FORMAT_PCM_16 : !strcmp(b, "24") ? SF_FORMAT_PCM_24
				: !strcmp(b, "32") ? SF_FORMAT_PCM_32 : !strcmp(b, "float") ? SF_FORMAT_FLOAT : 0;
			if (!subtype) {
				fprintf(stderr, "lathe: --bits takes 16, 24, 32 or float, not '%s'\n", b);
				return 2;
			}
		} else if (strcmp(a, "--quiet") == 0) {
			job.progress = false;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "lathe: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 2;
		} else if (n_files < 2) {
			files[n_files++] = a;
		} else {
			fprintf(stderr, "lathe: render takes one input and one output\n");
			return 2;
		}
	}
	if (n_files != 2) {
		usage(stderr);
		return 2;
	}
	job.settings = &session->chain[lathe_session_selected(session)];
	job.input = files[0];
	job.output = files[1];
	job.format = output_format(job.input, job.output, container, subtype);
	if (!lathe_render(&job, err, sizeof(err))) {
		fprintf(stderr, "lathe: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_analyze(int argc, char **argv)
{
	bool json = false, options = true;
	const char **files = malloc(sizeof(char *) * (size_t)argc);
	int n_files = 0;
	if (!files) {
		fprintf(stderr, "lathe analyze: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && strcmp(a, "--json") == 0) {
			json = true;
		} else if (options && strcmp(a, "--") == 0) {
			options = false; /* what follows are files, even "-x" */
		} else if (options && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "lathe analyze: unknown option '%s'\n", a);
			usage(stderr);
			free(files);
			return 2;
		} else {
			files[n_files++] = a;
		}
	}
	if (n_files == 0) {
		usage(stderr);
		free(files);
		return 2;
	}
	bool ok = lathe_analyze_files(files, n_files, json, stdout, stderr);
	free(files);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "params") == 0)
		return cmd_params(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "render") == 0)
		return cmd_render(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "analyze") == 0)
		return cmd_analyze(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--osc-doc") == 0) {
		lathe_namespace_doc(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("lathe %s\n", LATHE_VERSION);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		bool headless = false;
		for (int i = 1; i < argc; i++)
			headless |= strcmp(argv[i], "--headless") == 0;
		return lathe_headless_main(argc, argv, !headless);
	}
	usage(stderr);
	return 2;
}
