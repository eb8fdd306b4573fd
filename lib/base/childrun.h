/* childrun: run a camera program with a deadline. The child gets its own
 * process group, stdin from /dev/null, stdout captured (bounded) and the
 * tail of stderr kept for the error message. At the deadline the whole
 * group gets SIGTERM, then SIGKILL after a grace period: a hung camera
 * never hangs a night-long timelapse. */
#ifndef WANDA_CHILDRUN_H
#define WANDA_CHILDRUN_H
#include <stddef.h>
#include "base/buf.h"
#include "base/werr.h"

#define CHILD_OUT_MAX (1 << 20)

struct child_result {
	int status;      /* exit status when exited */
	int exited;      /* 1: exited normally */
	int signal;      /* terminating signal, 0 when none */
	int timed_out;   /* 1: we killed it at the deadline */
	int killed_hard; /* 1: it ignored SIGTERM and got SIGKILL */
	long long ms;    /* how long it ran */
	struct buf out;  /* stdout (out.p NUL-terminated), out.p NULL when none */
	char err[512];   /* last bytes of stderr, one line (newlines folded) */
};

/* Run argv[0] (searched in PATH). Returns 0 when the child ran (look at
 * r), -1 when it could not be started (EX_UNAVAILABLE naming the program
 * when it does not exist). */
int child_run(char *const argv[], long long timeout_ms, long long grace_ms,
    struct child_result *r, struct werr *e);
void child_result_free(struct child_result *r);

/* "exited 3: <stderr tail>", "killed by signal 9", "timed out after 12.0 s". */
void child_describe(const struct child_result *r, char *buf, size_t len);

/* 1 when an executable `name` is in PATH (or name has a '/' and is executable). */
int in_path(const char *name);

#endif
