/* lathe — the canonical state of the running console: the session (both
 * chains, console controls, snapshots), the file it came from, and the
 * link that keeps the audio thread's engine equal to it.
 *
 * Every front-end (headless commands, OSC, the GTK console) changes the
 * console through this module; it alone talks to the audio thread. After a
 * change, lathe_state_sync sends the audio thread exactly what differs from
 * what it was last sent: a value, an order, or a whole chain by pointer
 * when much changed at once (a load, a recall), so a session takes effect
 * in one cycle. If the command ring is full, the rest waits for the next
 * sync, and nothing is lost: the difference is still there.
 *
 * Threads. The main loop only. Never real-time.
 */
#ifndef LATHE_STATE_H
#define LATHE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "process.h"
#include "session.h"

typedef struct {
	LatheSession session;   /* canonical */
	/* What the attached engine has been sent. */
	LatheSettings sent_chain[2];
	float sent_console[LATHE_CONSOLE_PARAM_COUNT];
	int snapshot_last;      /* the snapshot last stored or recalled (1..), 0 none */
	char *file;             /* the session file, or NULL */
	bool dirty;             /* changed since loaded or saved */
	bool connections_loaded; /* a load or --connect brought connections for the host */
	LatheProcess *process;  /* the audio side, NULL while JACK is away */
} LatheState;

/* Defaults, no file, nothing attached. NULL when out of memory. */
LatheState *lathe_state_new(void);
/* NULL-safe. The process is the host's to free. */
void lathe_state_free(LatheState *st);

/* Set one value from text (PATH VALUE, as --set: plain chain paths edit the
 * selected chain), then sync. Errors and clamping as lathe_session_assign. */
bool lathe_state_assign(LatheState *st, const char *path, const char *text, bool *clamped,
			char *err, size_t err_size);
/* Load a session file, all or nothing, then sync; it becomes the file.
 * Warnings for clamped values go to `warnings` (may be NULL). */
bool lathe_state_load(LatheState *st, const char *file, FILE *warnings, char *err,
		      size_t err_size);
/* Save to file (NULL: the current file) atomically; it becomes the file. */
bool lathe_state_save(LatheState *st, const char *file, char *err, size_t err_size);

/* Where a chain value lives, for lathe_state_get/set: chain A or B, the
 * selected chain (/chain), or a snapshot (LATHE_TARGET_SNAPSHOT(n), n from
 * 1). Console controls ignore the target. */
enum { LATHE_TARGET_SELECTED = -1, LATHE_TARGET_A = 0, LATHE_TARGET_B = 1 };
#define LATHE_TARGET_SNAPSHOT(n) (1 + (n))

/* A registry parameter's value in a target. */
float lathe_state_get(const LatheState *st, int target, int id);
/* The chain settings of a target (NULL for a bad one). */
const LatheSettings *lathe_state_settings(const LatheState *st, int target);

/* The edits below change the state and mark it dirty, but do not sync:
 * a front-end that applies a batch of them (a burst of OSC messages) calls
 * lathe_state_sync once after it, so the audio thread gets one change per
 * value however many messages set it. (The host syncs every tick too.) */

/* Set a parameter to a value lathe_param_validate accepted. Setting a
 * snapshot's value marks it stored (from the defaults if it was empty). */
void lathe_state_set(LatheState *st, int target, int id, float value);
/* Set a target's module order; false (nothing changes) if not a permutation. */
bool lathe_state_set_order(LatheState *st, int target, const LatheModuleId order[LATHE_MODULE_COUNT]);
/* The A/B toggle: the other chain on the print (the monitor follows if it
 * played the print). */
void lathe_state_toggle_chain(LatheState *st);
/* Copy one chain over the other. */
void lathe_state_copy(LatheState *st, LatheChainId from, LatheChainId to);
/* Store the selected chain into snapshot n (1..), or recall n into it;
 * false for a bad n or an empty snapshot (nothing changes). */
bool lathe_state_store(LatheState *st, int n);
bool lathe_state_recall(LatheState *st, int n);
/* The snapshot the selected chain was last stored to or recalled from, if
 * it still equals it; 0 otherwise. */
int lathe_state_active_snapshot(const LatheState *st);

/* A new engine, not yet running: set it to the state at rest (every glide
 * finished), and send later changes to it. */
void lathe_state_attach(LatheState *st, LatheProcess *process);
/* The engine is gone (server lost): keep the state, send nothing. */
void lathe_state_detach(LatheState *st);

/* Send the audio thread what differs from what it was sent. Returns false
 * if the ring was full and something is still to send (call again later). */
bool lathe_state_sync(LatheState *st);

#endif
