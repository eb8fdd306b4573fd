#include "base/buf.h"
#include "base/childrun.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "base/clock.h"
#include "base/path.h"

int
in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0;
	if (path == NULL)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		/* a name too long for a PATH entry cannot be run from it either */
		if (path_fmt(buf, sizeof buf, NULL, "%.*s/%s", (int)n, n ? path : ".", name) == 0 &&
		    access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

static void
child_exec(char *const argv[], int out, int err, int fail)
{
	int devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out, 1);
	dup2(err, 2);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	int saved = errno;
	if (write(fail, &saved, sizeof saved) < 0)
		_exit(126);
	_exit(127);
}

static void
keep_tail(char *tail, size_t cap, const char *p, size_t n)
{
	size_t have = strlen(tail);

	if (n >= cap - 1) {
		p += n - (cap - 1);
		n = cap - 1;
		have = 0;
	}
	if (have + n > cap - 1) {
		size_t drop = have + n - (cap - 1);
		memmove(tail, tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(tail + have, p, n);
	tail[have + n] = '\0';
}

static int
append_out(struct child_result *r, const char *p, size_t n)
{
	if (r->out.len + n > CHILD_OUT_MAX)
		n = CHILD_OUT_MAX - r->out.len;
	return buf_add(&r->out, p, n, NULL);
}

/* Read both pipes until EOF or the deadline (mono ms). 1 when both closed. */
static int
drain(int out, int err, long long deadline, struct child_result *r)
{
	struct pollfd fds[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	char buf[8192];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		long long left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		int n = poll(fds, 2, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR)
			return 0;
		for (int i = 0; i < 2 && n > 0; i++) {
			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			ssize_t got = read(fds[i].fd, buf, sizeof buf);
			if (got <= 0) {
				fds[i].fd = -1;
				continue;
			}
			if (i == 0)
				append_out(r, buf, (size_t)got);
			else
				keep_tail(r->err, sizeof r->err, buf, (size_t)got);
		}
	}
	return 1;
}

/* Wait for pid until the deadline; 1 when reaped. */
static int
reap_by(pid_t pid, long long deadline, int *status)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return 1;
		if (mono_ms() >= deadline)
			return 0;
		nanosleep(&ts, NULL);
	}
}

static void
finish(pid_t pid, long long deadline, long long grace_ms, struct child_result *r)
{
	int status = 0;

	if (!reap_by(pid, deadline, &status)) {
		r->timed_out = 1;
		kill(-pid, SIGTERM);
		kill(pid, SIGTERM);
		if (!reap_by(pid, mono_ms() + grace_ms, &status)) {
			r->killed_hard = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		}
	}
	/* whatever the group left behind goes too */
	kill(-pid, SIGKILL);
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signal = WTERMSIG(status);
	}
	for (char *p = r->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

int
child_run(char *const argv[], long long timeout_ms, long long grace_ms,
    struct child_result *r, struct werr *e)
{
	int po[2], pe[2], pf[2], err = 0;
	long long start = mono_ms();
	pid_t pid;

	memset(r, 0, sizeof *r);
	if (pipe2(po, O_CLOEXEC) < 0)
		return werr_sys(e, EX_OSERR, "pipe");
	if (pipe2(pe, O_CLOEXEC) < 0 || pipe2(pf, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return werr_sys(e, EX_OSERR, "pipe");
	}
	if ((pid = fork()) < 0) {
		werr_sys(e, EX_OSERR, "fork %s", argv[0]);
		for (int i = 0; i < 2; i++) {
			close(po[i]);
			close(pe[i]);
			close(pf[i]);
		}
		return -1;
	}
	if (pid == 0)
		child_exec(argv, po[1], pe[1], pf[1]);
	setpgid(pid, pid); /* also here: no race with our kill(-pid) */
	close(po[1]);
	close(pe[1]);
	close(pf[1]);
	if (read(pf[0], &err, sizeof err) == (ssize_t)sizeof err) {
		close(pf[0]);
		close(po[0]);
		close(pe[0]);
		waitpid(pid, NULL, 0);
		errno = err;
		return werr_sys(e, err == ENOENT ? EX_UNAVAILABLE : EX_OSERR, "%s", argv[0]);
	}
	close(pf[0]);
	drain(po[0], pe[0], start + timeout_ms, r);
	close(po[0]);
	close(pe[0]);
	finish(pid, start + timeout_ms, grace_ms, r);
	r->ms = mono_ms() - start;
	return 0;
}

void
child_result_free(struct child_result *r)
{
	buf_free(&r->out);
}

void
child_describe(const struct child_result *r, char *buf, size_t len)
{
	if (r->timed_out)
		snprintf(buf, len, "timed out after %.1f s%s", (double)r->ms / 1000.0,
		    r->killed_hard ? " (ignored SIGTERM, killed)" : " (terminated)");
	else if (r->signal)
		snprintf(buf, len, "killed by signal %d%s%s", r->signal, r->err[0] ? ": " : "", r->err);
	else
		snprintf(buf, len, "exited %d%s%s", r->status, r->err[0] ? ": " : "", r->err);
}
