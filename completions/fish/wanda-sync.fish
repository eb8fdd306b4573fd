# fish completion for wanda-sync
set -l cmds get cat
complete -c wanda-sync -f
complete -c wanda-sync -n "not __fish_seen_subcommand_from $cmds" -a get -d 'fetch a file or directory, verified'
complete -c wanda-sync -n "not __fish_seen_subcommand_from $cmds" -a cat -d 'write a file to stdout'
complete -c wanda-sync -s o -l output -r -a '(__fish_complete_directories)' -d 'directory to write into'
complete -c wanda-sync -l api -x -d 'daemon RPC address'
complete -c wanda-sync -l timeout -x -d 'give up after no progress for'
complete -c wanda-sync -l retries -x -d 'extra attempts of a failed call'
complete -c wanda-sync -l jq -x -d 'reshape the JSON output'
complete -c wanda-sync -l help -d 'print usage'
complete -c wanda-sync -l version -d 'print the version'
