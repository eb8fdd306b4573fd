# fish completion for wanda-dag(1)
set -l cmds add verify ls session root
complete -c wanda-dag -f
complete -c wanda-dag -l jq -r -d 'reshape output with a jq filter'
complete -c wanda-dag -l help -d 'print usage'
complete -c wanda-dag -n "not __fish_seen_subcommand_from $cmds" -l version -d 'print version'
complete -c wanda-dag -n "not __fish_seen_subcommand_from $cmds" -a add -d 'compute the root CID ipfs add would print'
complete -c wanda-dag -n "not __fish_seen_subcommand_from $cmds" -a verify -d 'check every block of a CAR file'
complete -c wanda-dag -n "not __fish_seen_subcommand_from $cmds" -a ls -d 'list the blocks of a CAR file'
complete -c wanda-dag -n "not __fish_seen_subcommand_from $cmds" -a session -d 'build a session directory DAG'
complete -c wanda-dag -n "not __fish_seen_subcommand_from $cmds" -a root -d 'build the node root DAG'
complete -c wanda-dag -n "__fish_seen_subcommand_from verify ls" -F -a '(__fish_complete_suffix .car)'
complete -c wanda-dag -n "__fish_seen_subcommand_from add" -F
