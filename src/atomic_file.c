/* lathe — atomic file replacement (see atomic_file.h). */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lathe_temp_beside(const char *target, char **tmp_path)
{
	size_t size = strlen(target) + 16;
	char *tmp = malloc(size);
	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(tmp, size, "%s.tmp.XXXXXX", target);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	/* mkstemp makes 0600; a saved file should look like any other. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	*tmp_path = tmp;
	return fd;
}

bool lathe_replace_with(const char *tmp_path, const char *target)
{
	if (rename(tmp_path, target) != 0) {
		int saved = errno;
		unlink(tmp_path);
		errno = saved;
		return false;
	}
	char *copy = strdup(target);
	if (copy) {
		int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(copy);
	}
	return true;
}
