#!/usr/bin/env bash
# Every benchmark of the extension, one after the other, each on its own
# throwaway cluster: the rule-based models (bench/run.sh), the path summaries
# and data-driven models (bench/paths.sh), the demand waterfall
# (bench/waterfall.sh).  Each prints its table of ratios; the figures of the
# last runs are in bench/RESULTS*.md.  At the default sizes this takes about
# an hour on 2 cores; the size variables of each script make it quicker.
#
#   bash bench/run-all.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/run.sh"
[ -f "$here/paths.sh" ] && bash "$here/paths.sh"
bash "$here/waterfall.sh"
