/* lathe — session files and text assignments (`--set PATH=VALUE`).
 *
 * A session is plain text, one "PATH VALUE" per line in the registry's
 * namespace, plus an "order" line; '#' starts a comment. Presets are
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

/* Load a session over the registry defaults into *s, all or nothing.
 * Clamped values are reported on warnings (if not NULL), one line each. */
bool lathe_session_load(const char *file, LatheSettings *s, FILE *warnings,
			char *err, size_t err_size);

/* Write every value and the order. Atomic: a temporary file beside the
 * target, fsync, rename, so a crash leaves the old file or the new one. */
bool lathe_session_save(const char *file, const LatheSettings *s, char *err, size_t err_size);

#endif
