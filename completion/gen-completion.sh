#!/bin/sh
# Makes a shell completion script from its template and the command table
# of the opsdeck binary itself, so that the two never drift apart:
#   gen-completion.sh TEMPLATE OPSDECK > SCRIPT
# The template's line @OPSDECK_COMMANDS@ becomes `opsdeck complete
# --commands` (one line per command: NOUN VERB ARG...), and the line
# @OPSDECK_GLOBALS@ the options of `opsdeck --help` that come before a
# command (-c=<file> --config=<file> -r --read-only ...).
set -eu

template=$1
opsdeck=$2

# A settings file of the user's must not change what is generated.
commands=$("$opsdeck" -c /dev/null complete --commands)
globals=$("$opsdeck" -c /dev/null --help | sed -n \
	-e 's/^  \(-[a-zA-Z]\), \(--[a-z-]*\) \([A-Z][A-Z]*\)  .*/\1=<\3> \2=<\3>/p' \
	-e 's/^  \(-[a-zA-Z]\), \(--[a-z-]*\)  .*/\1 \2/p' \
	-e 's/^      \(--[a-z-]*\) \([A-Z][A-Z]*\)  .*/\1=<\2>/p' \
	-e 's/^      \(--[a-z-]*\)  .*/\1/p' |
	sed -e 's/=<FILE>/=<file>/g' -e 's/=<[A-Z][A-Z]*>/=<any>/g' | tr '\n' ' ' | sed 's/ $//')

if [ -z "$commands" ] || [ -z "$globals" ]; then
	echo "gen-completion.sh: $opsdeck gave no command table" >&2
	exit 1
fi
case "$commands$globals" in
*"'"*)
	echo "gen-completion.sh: a quote in the command table" >&2
	exit 1
	;;
esac

while IFS= read -r line; do
	case "$line" in
	@OPSDECK_COMMANDS@) printf '%s\n' "$commands" ;;
	@OPSDECK_GLOBALS@) printf '%s\n' "$globals" ;;
	*) printf '%s\n' "$line" ;;
	esac
done <"$template"
