#!/usr/bin/env bash
# Every benchmark of the extension, one after the other, each on its own
# throwaway cluster: the rule-based models (bench/run.sh), the path summaries
# and data-driven models (bench/paths.sh), the demand waterfall
# (bench/waterfall.sh).  Each prints its table of ratios; the figures of the
# last runs are in bench/RESULTS*.md.  At the default sizes this takes about
# an hour on 2 cores; the size variables of each script make it quicker.
#
#   bash bench/run-all.sh              # PostgreSQL 15 (or PG_MAJOR)
#   bash bench/run-all.sh 17           # another major version
#
# Every script follows PG_MAJOR.  A version that this machine's Debian release
# does not ship runs inside the root of the Debian suite that does, made and
# cached by test/matrix.sh (as root); one script alone on 17, for example:
# bash test/matrix.sh --run 17 bash bench/waterfall.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
	exec bash "$here/../test/matrix.sh" --run "$1" bash bench/run-all.sh
fi
bash "$here/run.sh"
[ -f "$here/paths.sh" ] && bash "$here/paths.sh"
bash "$here/waterfall.sh"
