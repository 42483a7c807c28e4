/* lathe — the OSC namespace (see namespace.h). */
#include "namespace.h"

#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "session.h"
#include "state.h"

/* "N" in a path stands for a snapshot number, 1..LATHE_SNAPSHOT_COUNT. */
const LatheOscEntry lathe_osc_actions[LATHE_ACTION_COUNT] = {
	[LATHE_ACTION_CHAIN_TOGGLE] = { "/chain/toggle", "",
		"A/B toggle: the other chain on the print (the monitor follows if it played the print)." },
	[LATHE_ACTION_COPY_A_TO_B] = { "/copy/a_to_b", "", "Copy chain A over chain B." },
	[LATHE_ACTION_COPY_B_TO_A] = { "/copy/b_to_a", "", "Copy chain B over chain A." },
	[LATHE_ACTION_SNAPSHOT_STORE] = { "/snapshot/N/store", "",
		"Store the selected chain into snapshot N." },
	[LATHE_ACTION_SNAPSHOT_RECALL] = { "/snapshot/N/recall", "",
		"Recall snapshot N into the selected chain (an empty one is an error)." },
	[LATHE_ACTION_LOUDNESS_RESET] = { "/loudness/reset", "",
		"Start integrated loudness, LRA and the maxima afresh." },
	[LATHE_ACTION_SESSION_SAVE] = { "/session/save", "[s file]",
		"Save the session to its file, or to the file named (ending in .session)." },
	[LATHE_ACTION_SESSION_LOAD] = { "/session/load", "s file",
		"Load a .session or .preset file (all or nothing; a damaged file changes nothing)." },
};

const LatheOscEntry lathe_osc_state[LATHE_STATE_ADDRESS_COUNT] = {
	[LATHE_STATE_SNAPSHOT_STORED] = { "/snapshot/N/stored", "f 0|1",
		"Whether snapshot N holds settings (lights a pad)." },
	[LATHE_STATE_SNAPSHOT_ACTIVE] = { "/snapshot/active", "f N",
		"The snapshot the selected chain was last stored to or recalled from, while it "
		"still equals it; 0 if none." },
	[LATHE_STATE_SESSION_FILE] = { "/session/file", "s file",
		"The session file (empty if none)." },
	[LATHE_STATE_SESSION_DIRTY] = { "/session/dirty", "f 0|1",
		"Whether there are unsaved changes." },
};

const LatheOscGroup lathe_osc_groups[] = {
	{ lathe_osc_actions, LATHE_ACTION_COUNT, "action" },
	{ lathe_osc_state, LATHE_STATE_ADDRESS_COUNT, "state" },
};
const int lathe_osc_group_count = sizeof(lathe_osc_groups) / sizeof(lathe_osc_groups[0]);

const LatheOscEntry lathe_osc_control[] = {
	{ "/lathe/register", "[i port]",
	  "Become a surface: feedback of every change, replies to port (or the sending port); "
	  "replies /lathe/registered i:port f:expiry_s, then every fed-back value." },
	{ "/lathe/unregister", "", "Stop being a surface." },
	{ "/lathe/meters", "[i hz]", "Meter bundles at hz (10..25; 0 stops; none: 20); registers." },
	{ "/lathe/list", "[s path]", "Replies /lathe/list s:path s:child... (containers end in /)." },
	{ "/lathe/params", "",
	  "Replies one /lathe/param per address (bundled), then /lathe/params/end i:count." },
	{ "/lathe/ping", "[any]", "Replies /lathe/pong with the same arguments; renews a surface." },
};
const int lathe_osc_control_count = sizeof(lathe_osc_control) / sizeof(lathe_osc_control[0]);

const LatheOscEntry lathe_osc_meters[] = {
	{ "/meter/true_peak", "f L, f R", "dBTP, the highest since the previous bundle." },
	{ "/meter/sample_peak", "f L, f R", "dBFS, the highest since the previous bundle." },
	{ "/meter/true_peak_max", "f", "dBTP, the highest since the loudness reset." },
	{ "/meter/momentary", "f", "LUFS, 400 ms." },
	{ "/meter/short_term", "f", "LUFS, 3 s." },
	{ "/meter/integrated", "f", "LUFS, gated, since the loudness reset." },
	{ "/meter/lra", "f", "LU, loudness range since the loudness reset." },
	{ "/meter/plr", "f", "dB, true-peak maximum minus integrated loudness." },
	{ "/meter/correlation", "f", "-1..1, over 300 ms." },
	{ "/meter/gr/MODULE", "f per band", "dB of gain reduction: comp, multiband, deesser, limiter." },
	{ "/meter/chain", "s", "a or b: the chain on the print." },
	{ "/meter/source", "s", "a, b, input or reference: what the monitor plays." },
	{ "/meter/snapshot", "f", "As /snapshot/active." },
};
const int lathe_osc_meter_count = sizeof(lathe_osc_meters) / sizeof(lathe_osc_meters[0]);

/* Match a path against a pattern whose "N" segments take a snapshot number. */
static bool match(const char *pattern, const char *path, int *n)
{
	while (*pattern && *path) {
		if (pattern[0] == 'N' && (pattern[1] == '/' || !pattern[1]) && pattern[-1] == '/') {
			char *end;
			long v = strtol(path, &end, 10);
			if (end == path || *path == '+' || *path == '-' || *path == '0' || v < 1 ||
			    v > LATHE_SNAPSHOT_COUNT)
				return false;
			*n = (int)v;
			pattern++;
			path = end;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return !*pattern && !*path;
}

static int find_entry(const LatheOscEntry *table, int count, const char *path, int *n)
{
	for (int i = 0; i < count; i++)
		if (match(table[i].path, path, n))
			return i;
	return -1;
}

bool lathe_address_parse(const char *path, LatheAddress *a)
{
	*a = (LatheAddress){ .target = LATHE_TARGET_SELECTED };
	char buf[128];
	size_t len = strlen(path);
	if (len >= sizeof(buf) || path[0] != '/')
		return false;
	memcpy(buf, path, len + 1);
	if (len > 5 && strcmp(buf + len - 5, "/norm") == 0) {
		a->norm = true;
		buf[len - 5] = '\0';
	}
	/* Actions and reported state first: they live among the scopes. */
	if (!a->norm) {
		int id = find_entry(lathe_osc_actions, LATHE_ACTION_COUNT, buf, &a->n);
		if (id >= 0) {
			a->kind = LATHE_ADDRESS_ACTION;
			a->id = id;
			return true;
		}
		id = find_entry(lathe_osc_state, LATHE_STATE_ADDRESS_COUNT, buf, &a->n);
		if (id >= 0) {
			a->kind = LATHE_ADDRESS_STATE;
			a->id = id;
			return true;
		}
	}
	const char *rest = buf;
	if (strncmp(buf, "/a/", 3) == 0 || strncmp(buf, "/b/", 3) == 0) {
		a->target = buf[1] == 'a' ? LATHE_TARGET_A : LATHE_TARGET_B;
		rest = buf + 2;
	} else if (strncmp(buf, "/snapshot/", 10) == 0) {
		char *end;
		long n = strtol(buf + 10, &end, 10);
		if (end == buf + 10 || buf[10] < '1' || buf[10] > '9' || *end != '/' || n < 1 ||
		    n > LATHE_SNAPSHOT_COUNT)
			return false;
		a->target = LATHE_TARGET_SNAPSHOT((int)n);
		rest = end;
	}
	if (strcmp(rest, "/order") == 0) {
		a->kind = LATHE_ADDRESS_ORDER;
		return !a->norm;
	}
	int id = lathe_param_find(rest);
	if (id < 0 || (!lathe_param_in_chain(id) && a->target != LATHE_TARGET_SELECTED))
		return false;
	a->kind = LATHE_ADDRESS_PARAM;
	a->id = id;
	return true;
}

/* "/a", "/b", "/snapshot/3" or "". */
static void target_prefix(int target, char *buf, size_t size)
{
	if (target == LATHE_TARGET_A || target == LATHE_TARGET_B)
		snprintf(buf, size, "/%c", target == LATHE_TARGET_A ? 'a' : 'b');
	else if (target > LATHE_TARGET_B)
		snprintf(buf, size, "/snapshot/%d", target - 1);
	else
		buf[0] = '\0';
}

/* An entry's pattern with N replaced by n. */
static void expand(const char *pattern, int n, char *path, size_t size)
{
	const char *at = strstr(pattern, "/N");
	if (at && (at[2] == '/' || !at[2]))
		snprintf(path, size, "%.*s/%d%s", (int)(at - pattern), pattern, n, at + 2);
	else
		snprintf(path, size, "%s", pattern);
}

void lathe_address_format(const LatheAddress *a, char *path, size_t size)
{
	char prefix[32];
	switch (a->kind) {
	case LATHE_ADDRESS_PARAM:
		target_prefix(a->target, prefix, sizeof(prefix));
		snprintf(path, size, "%s%s%s", prefix, lathe_params[a->id].path, a->norm ? "/norm" : "");
		break;
	case LATHE_ADDRESS_ORDER:
		target_prefix(a->target, prefix, sizeof(prefix));
		snprintf(path, size, "%s/order", prefix);
		break;
	case LATHE_ADDRESS_ACTION:
		expand(lathe_osc_actions[a->id].path, a->n, path, size);
		break;
	case LATHE_ADDRESS_STATE:
		expand(lathe_osc_state[a->id].path, a->n, path, size);
		break;
	}
}

/* ------------------------------------------------------------- listing */

typedef struct {
	const char *dir; /* the listed path, ending in '/' */
	size_t dir_len;
	void (*fn)(const char *child, void *data);
	void *data;
	char seen[256][40];
	int count;
} Listing;

/* Offer one full path: its segment after dir becomes a child. */
static void offer(Listing *l, const char *path)
{
	if (strncmp(path, l->dir, l->dir_len) != 0)
		return;
	const char *rest = path + l->dir_len;
	size_t seg = strcspn(rest, "/");
	if (seg == 0 || seg >= sizeof(l->seen[0]) - 1)
		return;
	/* A parameter is a leaf, though its /norm twin is below it. */
	bool container = rest[seg] && strcmp(rest + seg, "/norm") != 0;
	char child[sizeof(l->seen[0])];
	snprintf(child, sizeof(child), "%.*s%s", (int)seg, rest, container ? "/" : "");
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->seen[i], child) == 0)
			return;
	if (l->count == (int)(sizeof(l->seen) / sizeof(l->seen[0])))
		return;
	snprintf(l->seen[l->count++], sizeof(l->seen[0]), "%s", child);
	l->fn(child, l->data);
}

/* True if the paths under prefix can hold children of dir. */
static bool relevant(const Listing *l, const char *prefix)
{
	size_t n = strlen(prefix);
	/* dir inside the prefix's tree, or the prefix below dir. */
	return strncmp(l->dir, prefix, n < l->dir_len ? n : l->dir_len) == 0;
}

static void offer_entries(Listing *l, const LatheOscEntry *table, int count)
{
	char path[128];
	for (int i = 0; i < count; i++) {
		if (!strstr(table[i].path, "/N")) {
			offer(l, table[i].path);
			continue;
		}
		for (int n = 1; n <= LATHE_SNAPSHOT_COUNT; n++) {
			expand(table[i].path, n, path, sizeof(path));
			offer(l, path);
		}
	}
}

int lathe_namespace_children(const char *path, void (*fn)(const char *child, void *data),
			     void *data)
{
	Listing *l = calloc(1, sizeof(*l));
	if (!l)
		return 0;
	char dir[128];
	size_t len = strlen(path);
	if (len + 2 > sizeof(dir)) {
		free(l);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s%s", path, len && path[len - 1] == '/' ? "" : "/");
	l->dir = dir;
	l->dir_len = strlen(dir);
	l->fn = fn;
	l->data = data;

	char full[160];
	/* Every target's chain parameters and order; the snapshots' last. */
	for (int target = LATHE_TARGET_SELECTED; target <= LATHE_TARGET_SNAPSHOT(LATHE_SNAPSHOT_COUNT);
	     target++) {
		char prefix[32];
		target_prefix(target, prefix, sizeof(prefix));
		char with_slash[40];
		snprintf(with_slash, sizeof(with_slash), "%s/", prefix);
		if (!relevant(l, with_slash))
			continue;
		for (int id = 0; id < LATHE_PARAM_COUNT; id++) {
			if (!lathe_param_in_chain(id) && target != LATHE_TARGET_SELECTED)
				continue;
			snprintf(full, sizeof(full), "%s%s/norm", prefix, lathe_params[id].path);
			offer(l, full);
		}
		snprintf(full, sizeof(full), "%s/order", prefix);
		offer(l, full);
	}
	offer_entries(l, lathe_osc_actions, LATHE_ACTION_COUNT);
	offer_entries(l, lathe_osc_state, LATHE_STATE_ADDRESS_COUNT);
	offer_entries(l, lathe_osc_control, lathe_osc_control_count);
	int count = l->count;
	free(l);
	return count;
}

/* --------------------------------------------------------- documentation */


static void doc_entries(FILE *f, const LatheOscEntry *table, int count)
{
	fprintf(f, "| path | arguments | |\n|---|---|---|\n");
	for (int i = 0; i < count; i++)
		fprintf(f, "| `%s` | %s | %s |\n", table[i].path,
			table[i].args[0] ? table[i].args : "none", table[i].help);
	fprintf(f, "\n");
}

static void doc_params(FILE *f, bool chain)
{
	const char *group = NULL;
	for (int id = 0; id < LATHE_PARAM_COUNT; id++) {
		if (lathe_param_in_chain(id) != chain)
			continue;
		const LatheParam *p = &lathe_params[id];
		if (!group || strcmp(group, lathe_param_group(p)) != 0) {
			group = lathe_param_group(p);
			/* Chain parameters by module; the console's in one table. */
			if (chain)
				fprintf(f, "\n### %s\n", group);
			fprintf(f, "\n| path | range | default | taper | |\n|---|---|---|---|---|\n");
		}
		char def[64], range[256];
		lathe_param_format(p, p->def, def, sizeof(def));
		if (p->taper == LATHE_TAPER_ENUM) {
			size_t at = 0;
			range[0] = '\0';
			for (int k = 0; p->names[k] && at < sizeof(range) - 40; k++)
				at += (size_t)snprintf(range + at, sizeof(range) - at, "%s%d `%s`",
						       k ? ", " : "", k, p->names[k]);
		} else if (p->taper == LATHE_TAPER_TOGGLE) {
			snprintf(range, sizeof(range), "0 off, 1 on");
		} else {
			char lo[32], hi[32];
			lathe_param_format(p, p->min, lo, sizeof(lo));
			lathe_param_format(p, p->max, hi, sizeof(hi));
			snprintf(range, sizeof(range), "%s to %s%s%s", lo, hi, p->unit[0] ? " " : "", p->unit);
		}
		fprintf(f, "| `%s` | %s | %s | %s | %s |\n", p->path, range, def,
			lathe_taper_name(p->taper), p->help);
	}
}

void lathe_namespace_doc(FILE *f)
{
	fprintf(f,
		"# lathe OSC namespace\n\n"
		"Generated by `lathe --osc-doc` from the parameter registry; the protocol "
		"(types, replies, feedback, surfaces, security) is described in osc/README.md "
		"of the source and README.md's \"OSC\" section.\n\n"
		"- Every path takes one argument to set (native units; toggles 0/1 or T/F; enums "
		"an index or a name; any a string as in a session file) and none to query.\n"
		"- Every parameter has a twin with `/norm` appended, taking and giving 0..1 on "
		"its taper (log: equal ratios per travel; dB and linear: equal steps).\n"
		"- Chain parameters are listed at their plain path, which addresses the selected "
		"chain (`/chain`); the same path under `/a`, `/b` or `/snapshot/N` (N 1 to %d) "
		"addresses chain A, chain B or snapshot N.\n"
		"- `/order`, `/a/order`, `/b/order`, `/snapshot/N/order`: the chain's module order, "
		"nine module names (nine `s` arguments, or one `s` separated by spaces).\n\n"
		"## Console controls\n",
		LATHE_SNAPSHOT_COUNT);
	doc_params(f, false);
	fprintf(f, "\n## Chain parameters\n");
	doc_params(f, true);
	fprintf(f, "\n## Actions\n\nRun on a message with no argument or a non-zero first "
		   "number (a button's release, 0, does nothing).\n\n");
	doc_entries(f, lathe_osc_actions, LATHE_ACTION_COUNT);
	fprintf(f, "## Reported state\n\nFed back to surfaces and queryable; not set.\n\n");
	doc_entries(f, lathe_osc_state, LATHE_STATE_ADDRESS_COUNT);
	fprintf(f, "## Meters\n\nSent to a surface that asked with `/lathe/meters`, one bundle "
		   "per period, of the print (the selected chain's output). A level with nothing "
		   "measured yet, or of silence, is sent as -120.\n\n");
	doc_entries(f, lathe_osc_meters, lathe_osc_meter_count);
	fprintf(f, "## The server's messages\n\n");
	doc_entries(f, lathe_osc_control, lathe_osc_control_count);
	fprintf(f, "Errors come back as `/lathe/error s:path s:reason`.\n");
}
