# The usual start of a .bats file that talks to one real IPFS node: the
# node is started once for the whole file (it takes seconds); tests see what
# ipfs_start exported (WANDA_API, IPFS_PATH...).
#   load helper
#   load ipfs
#   load one-node
#   setup() { wanda_fresh_home; ...; }
# (`load ipfs` stays in the file: tests/run --kubo picks the files that
# start nodes by it.) A file that needs more nodes, or more in setup_file,
# writes its own setup_file/teardown_file.
setup_file() { ipfs_start 1; }
teardown_file() { ipfs_stop; }
