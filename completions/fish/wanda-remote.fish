# fish completion for wanda-remote
set -l cmds drain status retry backfill
complete -c wanda-remote -f
complete -c wanda-remote -n "not __fish_seen_subcommand_from $cmds" -a drain -d 'request and confirm until nothing is pending'
complete -c wanda-remote -n "not __fish_seen_subcommand_from $cmds" -a status -d 'each target: health and backlog'
complete -c wanda-remote -n "not __fish_seen_subcommand_from $cmds" -a retry -d 'failed pins back to queued'
complete -c wanda-remote -n "not __fish_seen_subcommand_from $cmds" -a backfill -d 'queue captures pinned before the target existed'
complete -c wanda-remote -l target -r -d 'only this remote target'
complete -c wanda-remote -l wait -r -d 'drain: give up waiting after this long'
complete -c wanda-remote -l home -r -d 'WANDA home'
complete -c wanda-remote -l api -r -d 'Kubo RPC API'
complete -c wanda-remote -l timeout -x -d 'give up after no progress for'
complete -c wanda-remote -l retries -x -d 'extra attempts for calls that may pass'
complete -c wanda-remote -l jq -r -d 'reshape the JSON output'
complete -c wanda-remote -l help -d 'print usage'
complete -c wanda-remote -l version -d 'print the version'
