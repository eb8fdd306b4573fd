#include "base/eventlog.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/clock.h"
#include "base/path.h"

cJSON *
event_new(const char *name)
{
	cJSON *o = cJSON_CreateObject();
	char ts[40];

	rfc3339_ms(wall_ms(), ts, sizeof ts);
	cJSON_AddStringToObject(o, "event", name);
	cJSON_AddStringToObject(o, "ts", ts);
	return o;
}

int
event_append(const char *home, const cJSON *ev, struct werr *e)
{
	char path[PATH_MAX], *txt;
	size_t n;
	ssize_t w;
	int fd;

	if (path_join(path, sizeof path, home, "events.jsonl", e) < 0)
		return -1;
	if ((txt = cJSON_PrintUnformatted(ev)) == NULL)
		return werr_set(e, EX_OSERR, "%s: out of memory", path);
	n = strlen(txt);
	txt[n] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(txt);
		return werr_sys(e, EX_CANTCREAT, "%s", path);
	}
	w = write(fd, txt, n + 1);
	free(txt);
	if (w != (ssize_t)(n + 1)) {
		/* a short append (disk full) must not leave half a line for readers */
		if (w > 0) {
			off_t end = lseek(fd, 0, SEEK_END);
			if (end >= w && ftruncate(fd, end - w) < 0) {
				/* nothing more to do: the reader skips a line that does not parse */
			}
		}
		werr_sys(e, EX_IOERR, "%s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
