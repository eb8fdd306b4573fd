# fish completion for wanda-discover
set -l cmds run peers announce
complete -c wanda-discover -f
complete -c wanda-discover -n "not __fish_seen_subcommand_from $cmds" -a run -d 'find peers, forever'
complete -c wanda-discover -n "not __fish_seen_subcommand_from $cmds" -a peers -d 'print the peer list'
complete -c wanda-discover -n "not __fish_seen_subcommand_from $cmds" -a announce -d 'announce once'
complete -c wanda-discover -l api -x -d 'daemon RPC address'
complete -c wanda-discover -l timeout -x -d 'give up after no progress for'
complete -c wanda-discover -l retries -x -d 'extra attempts for calls that may pass'
complete -c wanda-discover -l topic -x -d 'pubsub topic'
complete -c wanda-discover -l heartbeat -x -d 'time between announces'
complete -c wanda-discover -l jq -x -d 'reshape the JSON output'
complete -c wanda-discover -l help -d 'print usage'
complete -c wanda-discover -l version -d 'print the version'
