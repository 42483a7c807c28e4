/* lathe — write-beside-then-rename, so that a file on disk is always the
 * old one or the complete new one. Non-RT. */
#ifndef LATHE_ATOMIC_FILE_H
#define LATHE_ATOMIC_FILE_H

#include <stdbool.h>

/* A new temporary file in target's directory (rename() is only atomic within
 * one file system), with the permissions a plain creat() would give.
 * Returns its descriptor and sets *tmp_path (free it), or -1 with errno. */
int lathe_temp_beside(const char *target, char **tmp_path);

/* fsync is the caller's (it owns the descriptor). Rename tmp over target,
 * then fsync the directory so that the rename survives a crash. On failure
 * the temporary file is removed and errno says why. */
bool lathe_replace_with(const char *tmp_path, const char *target);

#endif
