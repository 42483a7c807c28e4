/* lathe — session files and text assignments (`--set PATH=VALUE`).
 *
 * A session is plain text, one "PATH VALUE" per line in the registry's
 * namespace ("/a/..." and "/b/..." for the chains, "/snapshot/N/..." for
 * the bank), plus "order" lines; '#' starts a comment. Presets are
 * sessions that give only the lines they change: whatever a file leaves
 * out stays at the registry default.
 *
 * Non-RT (file I/O). Failures leave the caller's settings untouched and
 * describe the problem in err, naming the file and line.
 */
#ifndef LATHE_SESSION_H
#define LATHE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "settings.h"

/* Set one parameter from text: a path and a value as a user types them.
 * Unknown path or unreadable value: false, err says why (with the closest
 * valid path). Out of range: clamped, true, and *clamped set so the caller
 * can warn with the message left in err. */
bool lathe_settings_assign(LatheSettings *s, const char *path, const char *text,
			   bool *clamped, char *err, size_t err_size);

/* The console's whole state as a session file keeps it: both chains, the
 * console controls and the snapshot bank. Plain data, copyable. */
#define LATHE_SNAPSHOT_COUNT 16

/* A port connection a session restores: one of our ports (LathePortId) and
 * the full name of the other port ("system:capture_1"). */
#define LATHE_SESSION_CONNECTIONS 64
#define LATHE_PEER_NAME_MAX 320 /* JACK's full port name limit, rounded up */
typedef struct {
	int port;
	char peer[LATHE_PEER_NAME_MAX];
} LatheConnection;

/* Networks whose OSC senders the console obeys besides loopback
 * ("osc_allow CIDR" lines; --osc-allow adds to them). */
#define LATHE_SESSION_OSC_ALLOW 16
#define LATHE_CIDR_TEXT_MAX 64

typedef struct {
	LatheSettings chain[2];                    /* A and B */
	float console[LATHE_CONSOLE_PARAM_COUNT]; /* LatheConsoleParam order */
	bool stored[LATHE_SNAPSHOT_COUNT];        /* snapshot n+1 holds settings */
	LatheSettings snapshot[LATHE_SNAPSHOT_COUNT];
	int connections;                           /* "connect PORT PEER" lines */
	LatheConnection connection[LATHE_SESSION_CONNECTIONS];
	int osc_allows;                            /* "osc_allow CIDR" lines */
	char osc_allow[LATHE_SESSION_OSC_ALLOW][LATHE_CIDR_TEXT_MAX];
} LatheSession;

/* Where a plain chain path ("/eq/1/gain", no /a or /b) goes. */
typedef enum {
	LATHE_PLAIN_BOTH,    /* both chains: session files and presets */
	LATHE_PLAIN_SELECTED /* the selected chain (/chain): live edits, --set */
} LathePlainPaths;

/* Every value at its registry default, no snapshots stored. */
void lathe_session_default(LatheSession *s);

/* The chain plain paths edit and the print carries (/chain). */
static inline LatheChainId lathe_session_selected(const LatheSession *s)
{
	return (LatheChainId)s->console[LATHE_CONSOLE_CHAIN];
}

/* Set one value from text. Paths: a console control ("/monitor/mono"), a
 * chain parameter in one chain ("/a/eq/1/gain", "/b/..."), in a snapshot
 * ("/snapshot/3/eq/1/gain", which marks it stored), or plain (see
 * LathePlainPaths); "order", "/a/order", "/snapshot/3/order" take module
 * names. Errors and clamping as lathe_settings_assign. */
bool lathe_session_assign(LatheSession *s, const char *path, const char *text,
			  LathePlainPaths plain, bool *clamped, char *err, size_t err_size);

/* Apply a command-line "PATH=VALUE" (--set): as lathe_session_assign with
 * plain chain paths editing the selected chain; false with err also when
 * there is no '='. */
bool lathe_session_assign_setting(LatheSession *s, const char *assignment, bool *clamped,
				  char *err, size_t err_size);

/* Copy chain `from` over chain `to` (A to B, or B to A). */
void lathe_session_copy(LatheSession *s, LatheChainId from, LatheChainId to);
/* Store a chain into snapshot n (1..LATHE_SNAPSHOT_COUNT); false for a bad n. */
bool lathe_session_store(LatheSession *s, int n, LatheChainId from);
/* Recall snapshot n into a chain; false (nothing changes) if n is bad or empty. */
bool lathe_session_recall(LatheSession *s, int n, LatheChainId into);

/* Load a session file over the registry defaults into *s, all or nothing.
 * Plain chain paths set both chains, so a preset (a file of plain paths)
 * loads as a session. Clamped values are reported on warnings (if not
 * NULL), one line each. */
bool lathe_session_load(const char *file, LatheSession *s, FILE *warnings,
			char *err, size_t err_size);

/* Load a file as a session and give its selected chain: a preset, to be
 * put into one chain. All or nothing, as lathe_session_load. */
bool lathe_preset_load(const char *file, LatheSettings *chain, FILE *warnings,
		       char *err, size_t err_size);

/* Add "connect PORT PEER" (PORT one of lathe_port_names); false with err
 * for an unknown port or a full list. A connection already there is not
 * added twice. */
bool lathe_session_connect(LatheSession *s, const char *port, const char *peer, char *err,
			   size_t err_size);

/* Add "osc_allow CIDR"; false with err for text that is not a network
 * (see cidr.h) or a full list. One already there is not added twice. */
bool lathe_session_osc_allow(LatheSession *s, const char *cidr, char *err, size_t err_size);

/* Write the console controls, the connections, both chains in full (every
 * value and the order) and every stored snapshot. Atomic: a temporary file beside the
 * target, fsync, rename, so a crash leaves the old file or the new one. */
bool lathe_session_save(const char *file, const LatheSession *s, char *err, size_t err_size);

#endif
