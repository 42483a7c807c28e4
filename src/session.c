/* lathe — session files (see session.h). */
#include "session.h"

#include "atomic_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool lathe_settings_assign(LatheSettings *s, const char *path, const char *text,
			   bool *clamped, char *err, size_t err_size)
{
	*clamped = false;
	int id = lathe_param_find(path);
	if (id < 0) {
		snprintf(err, err_size, "unknown parameter '%s' (did you mean '%s'?)", path,
			 lathe_param_closest(path));
		return false;
	}
	if (!lathe_param_in_chain(id)) {
		snprintf(err, err_size, "'%s' is a console control, not a chain parameter", path);
		return false;
	}
	const LatheParam *p = &lathe_params[id];
	float v;
	switch (lathe_param_parse(p, text, &v)) {
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
		lathe_param_format(p, v, shown, sizeof(shown));
		snprintf(err, err_size, "%s: %s is outside %g..%g %s, using %s", path, text,
			 (double)p->min, (double)p->max, p->unit, shown);
		*clamped = true;
		break;
	}
	case LATHE_VALUE_OK:
		break;
	}
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

bool lathe_session_load(const char *file, LatheSettings *s, FILE *warnings,
			char *err, size_t err_size)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(err, err_size, "%s: %s", file, strerror(errno));
		return false;
	}
	LatheSettings next;
	lathe_settings_default(&next);
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
		if (strcmp(key, "order") == 0) {
			ok = parse_order(rest, next.order, msg, sizeof(msg));
		} else if (*rest == '\0') {
			snprintf(msg, sizeof(msg), "'%s' has no value", key);
			ok = false;
		} else {
			bool clamped;
			ok = lathe_settings_assign(&next, key, rest, &clamped, msg, sizeof(msg));
			if (ok && clamped && warnings)
				fprintf(warnings, "%s:%d: warning: %s\n", file, number, msg);
		}
		if (!ok)
			snprintf(err, err_size, "%s:%d: %s", file, number, msg);
	}
	if (ok && ferror(f)) {
		snprintf(err, err_size, "%s: read error", file);
		ok = false;
	}
	fclose(f);
	if (ok)
		*s = next;
	return ok;
}

bool lathe_session_save(const char *file, const LatheSettings *s, char *err, size_t err_size)
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
	fprintf(f, "order");
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		fprintf(f, " %s", lathe_module_classes[s->order[k]]->name);
	fprintf(f, "\n");
	int module = -1;
	for (int i = 0; i < LATHE_CHAIN_PARAM_COUNT; i++) {
		const LatheParam *p = &lathe_params[i];
		if ((int)p->module != module) {
			module = (int)p->module;
			fprintf(f, "\n# %s\n", lathe_module_classes[module]->name);
		}
		char value[32];
		lathe_param_format(p, s->value[i], value, sizeof(value));
		fprintf(f, "%s %s\n", p->path, value);
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
