/* lathe — session files (see session.h). */
#include "session.h"

#include "cidr.h"

#include "atomic_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parse and validate a value for p; the message names the path as given. */
static bool parse_value(const LatheParam *p, const char *path, const char *text, float *v,
			bool *clamped, char *err, size_t err_size)
{
	switch (lathe_param_parse(p, text, v)) {
	case LATHE_VALUE_INVALID:
		if (p->taper == LATHE_TAPER_ENUM) {
			char names[256] = "";
			for (int i = 0; p->names[i]; i++) {
				strncat(names, i ? ", " : "", sizeof(names) - strlen(names) - 1);
				strncat(names, p->names[i], sizeof(names) - strlen(names) - 1);
			}
			snprintf(err, err_size, "%s: '%s' is not one of %s", path, text, names);
		} else {
			snprintf(err, err_size, "%s: '%s' is not a number", path, text);
		}
		return false;
	case LATHE_VALUE_CLAMPED: {
		char shown[32];
		lathe_param_format(p, *v, shown, sizeof(shown));
		snprintf(err, err_size, "%s: %s is outside %g..%g %s, using %s", path, text,
			 (double)p->min, (double)p->max, p->unit, shown);
		*clamped = true;
		return true;
	}
	case LATHE_VALUE_OK:
		break;
	}
	return true;
}

static bool unknown_path(const char *path, char *err, size_t err_size)
{
	snprintf(err, err_size, "unknown parameter '%s' (did you mean '%s'?)", path,
		 lathe_param_closest(path));
	return false;
}

bool lathe_settings_assign(LatheSettings *s, const char *path, const char *text,
			   bool *clamped, char *err, size_t err_size)
{
	*clamped = false;
	int id = lathe_param_find(path);
	if (id < 0)
		return unknown_path(path, err, err_size);
	if (!lathe_param_in_chain(id)) {
		snprintf(err, err_size, "'%s' is a console control, not a chain parameter", path);
		return false;
	}
	float v;
	if (!parse_value(&lathe_params[id], path, text, &v, clamped, err, err_size))
		return false;
	s->value[id] = v;
	return true;
}

/* "order input eq ...": every module once. */
static bool parse_order(char *rest, LatheModuleId order[LATHE_MODULE_COUNT], char *err, size_t size)
{
	int n = 0;
	for (char *tok = strtok(rest, " \t"); tok; tok = strtok(NULL, " \t")) {
		int m = lathe_module_find(tok);
		if (m < 0) {
			snprintf(err, size, "unknown module '%s' in order", tok);
			return false;
		}
		if (n == LATHE_MODULE_COUNT) {
			snprintf(err, size, "order names more than %d modules", LATHE_MODULE_COUNT);
			return false;
		}
		order[n++] = (LatheModuleId)m;
	}
	if (n != LATHE_MODULE_COUNT || !lathe_order_valid(order)) {
		snprintf(err, size, "order must name each of the %d modules exactly once",
			 LATHE_MODULE_COUNT);
		return false;
	}
	return true;
}

static char *trim(char *t)
{
	while (isspace((unsigned char)*t))
		t++;
	char *end = t + strlen(t);
	while (end > t && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return t;
}

void lathe_session_default(LatheSession *s)
{
	memset(s, 0, sizeof(*s));
	for (int c = 0; c < 2; c++)
		lathe_settings_default(&s->chain[c]);
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		s->console[k] = lathe_params[LATHE_CONSOLE_ID(k)].def;
	for (int n = 0; n < LATHE_SNAPSHOT_COUNT; n++)
		lathe_settings_default(&s->snapshot[n]);
}

/* The chain settings a path prefix names, with the rest of the path:
 * "/a/eq/1/gain" -> chain A, "/eq/1/gain". *count is 2 for "both". */
static LatheSettings *scope(LatheSession *s, const char *path, LathePlainPaths plain,
			    const char **rest, int *count, char *err, size_t err_size)
{
	*count = 1;
	*rest = path;
	if (strncmp(path, "/a/", 3) == 0 || strncmp(path, "/b/", 3) == 0) {
		*rest = path + 2;
		return &s->chain[path[1] == 'b'];
	}
	if (strncmp(path, "/snapshot/", 10) == 0) {
		char *end;
		long n = strtol(path + 10, &end, 10);
		if (end == path + 10 || *end != '/' || n < 1 || n > LATHE_SNAPSHOT_COUNT) {
			snprintf(err, err_size, "'%s': snapshots are numbered 1 to %d", path,
				 LATHE_SNAPSHOT_COUNT);
			return NULL;
		}
		*rest = end;
		if (!s->stored[n - 1]) {
			s->stored[n - 1] = true;
			lathe_settings_default(&s->snapshot[n - 1]);
		}
		return &s->snapshot[n - 1];
	}
	if (plain == LATHE_PLAIN_BOTH) {
		*count = 2;
		return &s->chain[0];
	}
	return &s->chain[lathe_session_selected(s)];
}

bool lathe_session_assign(LatheSession *s, const char *path, const char *text,
			  LathePlainPaths plain, bool *clamped, char *err, size_t err_size)
{
	*clamped = false;
	int id = lathe_param_find(path);
	if (id >= 0 && !lathe_param_in_chain(id)) {
		const LatheParam *p = &lathe_params[id];
		float v;
		if (!parse_value(p, path, text, &v, clamped, err, err_size))
			return false;
		lathe_console_set(s->console, p->index, v);
		return true;
	}
	const char *rest;
	int count;
	LatheSession next = *s;
	LatheSettings *target = scope(&next, path, plain, &rest, &count, err, err_size);
	if (!target)
		return false;
	for (int k = 0; k < count; k++) {
		bool ok;
		if (strcmp(rest, "order") == 0 || strcmp(rest, "/order") == 0) {
			char names[512];
			snprintf(names, sizeof(names), "%s", text);
			ok = parse_order(names, target[k].order, err, err_size);
		} else {
			ok = lathe_settings_assign(&target[k], rest, text, clamped, err, err_size);
		}
		if (!ok) {
			/* Name the path as written, with its prefix. */
			if (rest != path) {
				char msg[400];
				snprintf(msg, sizeof(msg), "%s", err);
				snprintf(err, err_size, "%s: %s", path, msg);
			}
			return false;
		}
	}
	*s = next;
	return true;
}

bool lathe_session_assign_setting(LatheSession *s, const char *assignment, bool *clamped,
				  char *err, size_t err_size)
{
	*clamped = false;
	const char *eq = strchr(assignment, '=');
	if (!eq) {
		snprintf(err, err_size, "--set needs PATH=VALUE, got '%s'", assignment);
		return false;
	}
	char path[256];
	snprintf(path, sizeof(path), "%.*s", (int)(eq - assignment), assignment);
	return lathe_session_assign(s, path, eq + 1, LATHE_PLAIN_SELECTED, clamped, err, err_size);
}

void lathe_session_copy(LatheSession *s, LatheChainId from, LatheChainId to)
{
	s->chain[to] = s->chain[from];
}

bool lathe_session_store(LatheSession *s, int n, LatheChainId from)
{
	if (n < 1 || n > LATHE_SNAPSHOT_COUNT)
		return false;
	s->snapshot[n - 1] = s->chain[from];
	s->stored[n - 1] = true;
	return true;
}

bool lathe_session_recall(LatheSession *s, int n, LatheChainId into)
{
	if (n < 1 || n > LATHE_SNAPSHOT_COUNT || !s->stored[n - 1])
		return false;
	s->chain[into] = s->snapshot[n - 1];
	return true;
}

bool lathe_session_load(const char *file, LatheSession *s, FILE *warnings,
			char *err, size_t err_size)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(err, err_size, "%s: %s", file, strerror(errno));
		return false;
	}
	/* Large (16 snapshots): on the heap, not the main loop's stack. */
	LatheSession *next = malloc(sizeof(*next));
	if (!next) {
		fclose(f);
		snprintf(err, err_size, "%s: out of memory", file);
		return false;
	}
	lathe_session_default(next);
	char line[1024], msg[400];
	int number = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f)) {
		number++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, err_size, "%s:%d: line too long", file, number);
			ok = false;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *t = trim(line);
		if (*t == '\0')
			continue;
		char *key = t;
		char *rest = t + strcspn(t, " \t");
		if (*rest)
			*rest++ = '\0';
		rest = trim(rest);
		bool clamped = false;
		if (*rest == '\0') {
			snprintf(msg, sizeof(msg), "'%s' has no value", key);
			ok = false;
		} else if (strcmp(key, "connect") == 0) {
			char *peer = rest + strcspn(rest, " \t");
			if (*peer)
				*peer++ = '\0';
			peer = trim(peer);
			ok = lathe_session_connect(next, rest, peer, msg, sizeof(msg));
		} else if (strcmp(key, "osc_allow") == 0) {
			ok = lathe_session_osc_allow(next, rest, msg, sizeof(msg));
		} else {
			ok = lathe_session_assign(next, key, rest, LATHE_PLAIN_BOTH, &clamped, msg,
						  sizeof(msg));
		}
		if (ok && clamped && warnings)
			fprintf(warnings, "%s:%d: warning: %s\n", file, number, msg);
		if (!ok)
			snprintf(err, err_size, "%s:%d: %s", file, number, msg);
	}
	if (ok && ferror(f)) {
		snprintf(err, err_size, "%s: read error", file);
		ok = false;
	}
	fclose(f);
	if (ok)
		*s = *next;
	free(next);
	return ok;
}

bool lathe_preset_load(const char *file, LatheSettings *chain, FILE *warnings,
		       char *err, size_t err_size)
{
	LatheSession *s = malloc(sizeof(*s));
	if (!s) {
		snprintf(err, err_size, "%s: out of memory", file);
		return false;
	}
	bool ok = lathe_session_load(file, s, warnings, err, err_size);
	if (ok)
		*chain = s->chain[lathe_session_selected(s)];
	free(s);
	return ok;
}

bool lathe_session_osc_allow(LatheSession *s, const char *cidr, char *err, size_t err_size)
{
	LatheCidr net;
	if (strlen(cidr) >= LATHE_CIDR_TEXT_MAX || !lathe_cidr_parse(cidr, &net)) {
		snprintf(err, err_size, "osc_allow: '%s' is not a network (192.168.1.0/24, "
					"10.0.0.7, fd00::/8)", cidr);
		return false;
	}
	for (int i = 0; i < s->osc_allows; i++)
		if (strcmp(s->osc_allow[i], cidr) == 0)
			return true;
	if (s->osc_allows == LATHE_SESSION_OSC_ALLOW) {
		snprintf(err, err_size, "osc_allow: more than %d networks", LATHE_SESSION_OSC_ALLOW);
		return false;
	}
	snprintf(s->osc_allow[s->osc_allows++], LATHE_CIDR_TEXT_MAX, "%s", cidr);
	return true;
}

bool lathe_session_connect(LatheSession *s, const char *port, const char *peer, char *err,
			   size_t err_size)
{
	int id = lathe_port_find(port);
	if (id < 0) {
		snprintf(err, err_size, "connect: '%s' is not a port (in_L in_R ref_L ref_R out_L "
					"out_R mon_L mon_R)", port);
		return false;
	}
	if (!*peer || strlen(peer) >= LATHE_PEER_NAME_MAX) {
		snprintf(err, err_size, "connect %s: the other port's full name, e.g. system:capture_1",
			 port);
		return false;
	}
	for (int i = 0; i < s->connections; i++)
		if (s->connection[i].port == id && strcmp(s->connection[i].peer, peer) == 0)
			return true;
	if (s->connections == LATHE_SESSION_CONNECTIONS) {
		snprintf(err, err_size, "connect: more than %d connections", LATHE_SESSION_CONNECTIONS);
		return false;
	}
	LatheConnection *c = &s->connection[s->connections++];
	c->port = id;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	return true;
}

/* One chain's settings under a prefix ("/a", "/snapshot/3"): the order,
 * then every value, a comment line before each module. */
static void write_chain(FILE *f, const char *prefix, const LatheSettings *s)
{
	fprintf(f, "\n%s/order", prefix);
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		fprintf(f, " %s", lathe_module_classes[s->order[k]]->name);
	fprintf(f, "\n");
	int module = -1;
	for (int i = 0; i < LATHE_CHAIN_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		if ((int)p->module != module) {
			module = (int)p->module;
			fprintf(f, "# %s %s\n", prefix, lathe_module_classes[module]->name);
		}
		char value[32];
		lathe_param_format(p, s->value[i], value, sizeof(value));
		fprintf(f, "%s%s %s\n", prefix, p->path, value);
	}
}

bool lathe_session_save(const char *file, const LatheSession *s, char *err, size_t err_size)
{
	char *tmp = NULL;
	int fd = lathe_temp_beside(file, &tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, err_size, "%s: %s", file, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return false;
	}
	fprintf(f, "# lathe session: one 'path value' per line; see 'lathe params'\n");
	fprintf(f, "# console\n");
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++) {
		const LatheParam *p = &lathe_params[LATHE_CONSOLE_ID(k)];
		char value[32];
		lathe_param_format(p, s->console[k], value, sizeof(value));
		fprintf(f, "%s %s\n", p->path, value);
	}
	if (s->connections)
		fprintf(f, "# connections: our port, the other port\n");
	for (int i = 0; i < s->connections; i++)
		fprintf(f, "connect %s %s\n", lathe_port_names[s->connection[i].port],
			s->connection[i].peer);
	if (s->osc_allows)
		fprintf(f, "# networks whose OSC senders are obeyed (besides loopback)\n");
	for (int i = 0; i < s->osc_allows; i++)
		fprintf(f, "osc_allow %s\n", s->osc_allow[i]);
	write_chain(f, "/a", &s->chain[0]);
	write_chain(f, "/b", &s->chain[1]);
	for (int n = 0; n < LATHE_SNAPSHOT_COUNT; n++) {
		if (!s->stored[n])
			continue;
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "/snapshot/%d", n + 1);
		write_chain(f, prefix, &s->snapshot[n]);
	}
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		unlink(tmp);
	else
		ok = lathe_replace_with(tmp, file);
	if (!ok)
		snprintf(err, err_size, "%s: %s", file, strerror(errno));
	free(tmp);
	return ok;
}
