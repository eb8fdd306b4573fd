/* addtree: what `ipfs add` does with the paths it is given, without a daemon.
 *
 *  - a regular file: the file importer (importer.h);
 *  - a directory: only with recursive (else EX_USAGE "'P' is a directory, use
 *    the '-r' flag to specify directories", as Kubo says), entries read in
 *    bytewise name order, built with unixdir_build (plain or HAMT as the
 *    options say), empty directories included;
 *  - hidden entries (a name starting with '.') inside a directory are skipped
 *    unless hidden is set; a path given by the user is never skipped;
 *  - a symbolic link (given or found) becomes a UnixFS Symlink node holding
 *    its target; it is never followed;
 *  - "-" is standard input, named stdin_name, or by its own CID as Kubo does
 *    when no name is given;
 *  - "." (or a path ending in "." or "..") is named after the real directory;
 *  - several paths are added one after the other (each its own root), in
 *    bytewise order of their names; with wrap they become the entries of one
 *    directory whose name is "" (a repeated path is added once; two different
 *    paths with one name cannot be wrapped together: EX_USAGE).
 *
 * Events come in Kubo's order: files and symlinks as they are added (a
 * depth-first walk in name order), then the directories of that path after
 * their contents (post-order, name order), the root of each added path last.
 * Names are Kubo's: "dir/sub/file" relative to the added path's parent;
 * the wrapping directory is "". */
#ifndef WANDA_ADDTREE_H
#define WANDA_ADDTREE_H
#include <stddef.h>
#include <stdint.h>
#include "ipld/cid.h"
#include "ipld/importer.h"
#include "ipld/unixdir.h"
#include "base/werr.h"

struct add_opts {
	struct import_opts imp;
	struct dir_opts dir;    /* cid_version and mh_code are taken from imp */
	int recursive;          /* -r */
	int wrap;               /* -w */
	int hidden;             /* -H */
	const char *stdin_name; /* --stdin-name, NULL: named by its CID */
};

struct add_event {
	const char *name;
	struct cid cid;
	uint64_t size;  /* cumulative DAG size (Tsize): Kubo's AddEvent Size */
	uint64_t bytes; /* file bytes: a file's size, the sum of the files
	                           * under a directory, 0 for a symlink */
	int root;       /* 1 for the root of an added path (or of the wrap) */
};
typedef int (*add_event_fn)(void *ctx, const struct add_event *ev, struct werr *e);

/* Add paths in Kubo's manner; every block goes to sink (may be NULL), every
 * entry to ev (may be NULL); *root (may be NULL) gets the last root. */
int add_paths(const char *const *paths, size_t n, const struct add_opts *o,
    block_sink_fn sink, void *sctx, add_event_fn ev, void *ectx,
    struct cid *root, struct werr *e);

#endif
