/* car_reexport: test tool. Read a CAR into a blockstore (memory limit -m
 * BYTES, default 4 MiB, so -m 0 exercises the spill file), then export the
 * DAG under its roots to stdout with car_export. For a CAR written in
 * `ipfs dag export` order the output is byte-identical to the input.
 *   car_reexport [-m BYTES] FILE.car > OUT.car */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "ipld/car.h"

int
main(int argc, char **argv)
{
	struct werr e = { 0 };
	struct blockstore *bs;
	struct car_reader *r;
	struct car_block b;
	size_t limit = BS_DEFAULT_MEM;
	int ch, fd, rc;

	while ((ch = getopt(argc, argv, "m:")) != -1) {
		if (ch != 'm')
			errx(EX_USAGE, "usage: car_reexport [-m BYTES] FILE.car");
		limit = strtoul(optarg, NULL, 10);
	}
	if (argc - optind != 1)
		errx(EX_USAGE, "usage: car_reexport [-m BYTES] FILE.car");
	if ((fd = open(argv[optind], O_RDONLY)) < 0)
		err(EX_NOINPUT, "%s", argv[optind]);
	if ((bs = bs_new(limit, NULL, &e)) == NULL || (r = car_reader_open(fd, argv[optind], &e)) == NULL)
		errx(e.code, "%s", e.msg);
	while ((rc = car_reader_next(r, &b, &e)) == 1)
		if (bs_put(bs, &b.cid, b.data, b.len, &e) < 0)
			errx(e.code, "%s", e.msg);
	if (rc < 0)
		errx(e.code, "%s", e.msg);
	struct cid *roots = calloc(car_reader_nroots(r) + 1, sizeof *roots);
	for (size_t i = 0; i < car_reader_nroots(r); i++)
		roots[i] = *car_reader_root(r, i);
	if (car_export(bs, roots, car_reader_nroots(r), 1, "stdout", &e) < 0)
		errx(e.code, "%s", e.msg);
	struct bs_stats st;
	bs_stats(bs, &st);
	fprintf(stderr, "car_reexport: %zu blocks, %llu spilled bytes\n", st.blocks, (unsigned long long)st.spilled);
	car_reader_close(r);
	free(roots);
	bs_free(bs);
	return 0;
}
