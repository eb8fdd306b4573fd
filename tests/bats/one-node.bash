# The usual start of a .bats file that talks to one real IPFS node: the
# node is started once for the whole file (it takes seconds), tests get the
# ipfs.bash helpers and what ipfs_start exported (WANDA_API, IPFS_PATH...).
#   load helper
#   load one-node
#   setup() { wanda_fresh_home; ...; }
# A file that needs more nodes, or more in setup_file, loads ipfs and
# writes its own setup_file/teardown_file.
load ipfs

setup_file() { ipfs_start 1; }
teardown_file() { ipfs_stop; }
