/* lathe tests — running the real binary as a user runs it: $LATHE (default
 * ./lathe) in a temporary directory of its own, its output kept for the
 * test to read. Header-only, for the programs that test the command line;
 * include it after cmocka.h. The directory's name pattern is set before
 * including: #define CLI_RIG_DIR "/tmp/lathe-render-XXXXXX". */
#ifndef LATHE_TEST_CLI_RIG_H
#define LATHE_TEST_CLI_RIG_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static const char *lathe = "./lathe";
static char output[16384]; /* stdout and stderr of the last command */

static int setup(void **state)
{
	(void)state;
	if (getenv("LATHE"))
		lathe = getenv("LATHE");
	snprintf(dir, sizeof(dir), "%s", CLI_RIG_DIR);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Run `lathe ARGS` (ARGS in shell syntax) in the temporary directory; keep
 * its output; return its exit status. */
static int lathe_run(const char *fmt, ...)
{
	char args[2048], cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	/* The command runs in the temporary directory: resolve lathe first. */
	char abs[1024];
	if (!realpath(lathe, abs))
		fail_msg("cannot find %s", lathe);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s 2>&1", dir, abs, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	/* Keep the start, read to the end (so the command never hits a closed pipe). */
	size_t got = fread(output, 1, sizeof(output) - 1, p);
	output[got] = '\0';
	char sink[4096];
	while (fread(sink, 1, sizeof(sink), p) > 0)
		;
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
