#!/usr/bin/env bash
# Quality over training time, for README curves (recipe vs reference configuration, same machine, same minutes).
#
#   bench/quality-curve.sh train RUN TOTAL_MIN EVERY_MIN [biggan train options...]
#       trains into RUN in EVERY_MIN-minute pieces (a new run, then --resume) up to TOTAL_MIN minutes, keeping the
#       checkpoint of each boundary; RUN/curve-points.jsonl gets {"minutes", "step", "checkpoint", "load"} per boundary.
#       Start two of these at once with --threads 1 each to compare configurations over the same minutes.
#   bench/quality-curve.sh evaluate RUN NAME CLASSIFIER [biggan evaluate options...]
#       scores every boundary checkpoint (biggan evaluate --run CHECKPOINT --classifier CLASSIFIER ...) and prints one
#       JSON line per point: {"series": NAME, "minutes", "step", "load", "evaluation": {...}} — the input of
#       `biggan plot --series series --x minutes --y class_agreement,cas,fid`. A point already scored (its
#       CHECKPOINT/evaluation.json) is not scored again, so this can run while training goes on; delete those to rescore.
# BIGGAN overrides the tool (default: the Release build of src/BigGan.Cli, built here if missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${BIGGAN:-}" ]]; then
    dll="$root/src/BigGan.Cli/bin/Release/net10.0/biggan.dll"
    [[ -f "$dll" ]] || dotnet build "$root/src/BigGan.Cli/BigGan.Cli.csproj" -c Release -v q -nologo -clp:ErrorsOnly >&2
    BIGGAN="dotnet $dll"
fi
load() { cut -d' ' -f1 /proc/loadavg; }

case "${1:-}" in
train)
    [[ $# -ge 4 ]] || { echo "usage: $0 train RUN TOTAL_MIN EVERY_MIN [biggan train options...]" >&2; exit 2; }
    run=$2 total=$3 every=$4; shift 4
    [[ ! -e "$run" ]] || { echo "$run exists: give a new run folder" >&2; exit 2; }
    pieces=$(( (total + every - 1) / every ))
    for ((i = 1; i <= pieces; i++)); do
        # One checkpoint per piece (at its end), all kept.
        if (( i == 1 )); then
            $BIGGAN train --out "$run" --max-minutes "$every" --save-every 100000000 --num-save-copies $((pieces + 1)) "$@" >&2
        else
            $BIGGAN train --resume "$run" --max-minutes "$every" >&2
        fi
        latest=$(ls -d "$run"/checkpoints/step-* | sort | tail -1)
        step=$((10#${latest##*step-}))
        echo "{\"minutes\": $((i * every)), \"step\": $step, \"checkpoint\": \"$latest\", \"load\": $(load)}" >> "$run/curve-points.jsonl"
    done
    ;;
evaluate)
    [[ $# -ge 4 ]] || { echo "usage: $0 evaluate RUN NAME CLASSIFIER [biggan evaluate options...]" >&2; exit 2; }
    run=$2 name=$3 classifier=$4; shift 4
    while read -r point; do
        checkpoint=$(sed -E 's/.*"checkpoint": "([^"]*)".*/\1/' <<< "$point")
        [[ -f "$checkpoint/evaluation.json" ]] || $BIGGAN evaluate --run "$checkpoint" --classifier "$classifier" --json "$checkpoint/evaluation.json" "$@" >&2
        inner=${point#\{}
        printf '{"series": "%s", %s, "evaluation": %s}\n' "$name" "${inner%\}}" "$(tr -d '\n' < "$checkpoint/evaluation.json")"
    done < "$run/curve-points.jsonl"
    ;;
*)
    echo "usage: $0 train RUN TOTAL_MIN EVERY_MIN [train options...] | $0 evaluate RUN NAME CLASSIFIER [evaluate options...]" >&2
    exit 2
    ;;
esac
