# fish completion for wanda-push
set -l cmds pin status
complete -c wanda-push -n "not __fish_seen_subcommand_from $cmds" -a pin -d 'pin add, rm or ls'
complete -c wanda-push -n "not __fish_seen_subcommand_from $cmds" -a status -d 'daemon status'
complete -c wanda-push -n "__fish_seen_subcommand_from pin; and not __fish_seen_subcommand_from add rm ls" -f -a 'add rm ls'
complete -c wanda-push -l via -x -a 'add car' -d 'how blocks reach the daemon'
complete -c wanda-push -l offline -d 'queue every file in the outbox'
complete -c wanda-push -l no-outbox -d 'fail instead of queuing when unreachable'
complete -c wanda-push -l flush -d 'import the outbox'
complete -c wanda-push -l api -x -d 'daemon RPC address'
complete -c wanda-push -l timeout -x -d 'give up after no progress for'
complete -c wanda-push -l jq -x -d 'reshape the JSON output'
complete -c wanda-push -l help -d 'print usage'
complete -c wanda-push -l version -d 'print the version'
