#include "base/cli.h"
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include "base/clock.h"
#include <string.h>
#include <time.h>
#include <unistd.h>

void
cli_locale(void)
{
	if (setlocale(LC_CTYPE, "") == NULL || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

void
cli_version(const char *prog)
{
	printf("%s (WANDA) %s\n", prog, WANDA_VERSION);
}

int
cli_config_opt(struct config *cf, const struct cli_key_opt *t, int ch, const char *arg, struct werr *e)
{
	for (; t->key != NULL; t++)
		if (t->ch == ch)
			return config_set(cf, t->key, arg, e) < 0 ? -1 : 1;
	return 0;
}

int
cli_stderr_tty(void)
{
	return isatty(2);
}

void
progress_start(struct progress *p, const char *label, unsigned long long total)
{
	memset(p, 0, sizeof *p);
	p->label = label;
	p->total = total;
	p->started_ms = mono_ms();
	p->enabled = cli_stderr_tty();
}

void
progress_update(struct progress *p, unsigned long long done)
{
	long long now = mono_ms();
	double secs, rate;
	char bar[31];
	int fill = 0;

	if (!p->enabled || now - p->last_ms < 100)
		return;
	p->last_ms = now;
	secs = (double)(now - p->started_ms) / 1000.0;
	rate = secs > 0 ? (double)done / secs / 1048576.0 : 0;
	if (p->total > 0)
		fill = (int)(30.0 * (double)done / (double)p->total);
	if (fill > 30)
		fill = 30;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(30 - fill));
	bar[30] = '\0';
	if (p->total > 0)
		fprintf(stderr, "\r%s [%s] %3d%% %.1f MiB/s", p->label, bar,
		    (int)(100.0 * (double)done / (double)p->total), rate);
	else
		fprintf(stderr, "\r%s %.1f MiB %.1f MiB/s", p->label,
		    (double)done / 1048576.0, rate);
}

void
progress_end(struct progress *p)
{
	if (p->enabled && p->last_ms != 0)
		fprintf(stderr, "\r\033[K");
}

void
cli_input_unbuffered(void)
{
	setvbuf(stdin, NULL, _IONBF, 0);
}

int
cli_wait_input(void)
{
	struct pollfd pf[2] = { { STDIN_FILENO, POLLIN, 0 }, { STDOUT_FILENO, 0, 0 } };

	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pf[1].revents & (POLLERR | POLLHUP | POLLNVAL))
			return 1;
		if (pf[0].revents)
			return 0;
	}
}
