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

/* A new engine, not yet running: set it to the state at rest (every glide
 * finished), and send later changes to it. */
void lathe_state_attach(LatheState *st, LatheProcess *process);
/* The engine is gone (server lost): keep the state, send nothing. */
void lathe_state_detach(LatheState *st);

/* Send the audio thread what differs from what it was sent. Returns false
 * if the ring was full and something is still to send (call again later). */
bool lathe_state_sync(LatheState *st);

#endif
