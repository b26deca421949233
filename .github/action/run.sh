#!/usr/bin/env bash
# The run step of action.yml: run `dbt-armor $ARMOR_ARGS` with every report it can write
# landing in $ARMOR_REPORTS, and set the step outputs. Never echoes the API key.
# In: ARMOR_ARGS, ARMOR_REPORTS, GITHUB_OUTPUT (and optionally GITHUB_STEP_SUMMARY).
set -uo pipefail
set -f   # ARMOR_ARGS is split on spaces below; never glob-expand it

# an empty input means "not given": let dbt-armor's own resolution (flags > env > files) decide
[ -n "${ARMOR_API_KEY:-}" ] || unset ARMOR_API_KEY
[ -n "${ARMOR_API_URL:-}" ] || unset ARMOR_API_URL

mkdir -p "$ARMOR_REPORTS"
reports="$(cd "$ARMOR_REPORTS" && pwd)"
read -r -a args <<< "$ARMOR_ARGS"
cmd="${args[0]:-}"
sub="${args[1]:-}"
[[ "$sub" == -* ]] && sub=""   # an option, not a subcommand
has() { local a; for a in "${args[@]}"; do [ "$a" = "$1" ] || [[ "$a" == "$1="* ]] && return 0; done; return 1; }

extra=()
json_out=""
case "$cmd" in
  ci)
    extra=(--comment-file "$reports/pr-comment.md" --junit-xml "$reports/junit.xml"
           --markdown "$reports/summary.md" --json-file "$reports/ci.json")
    echo "comment-file=$reports/pr-comment.md" >> "$GITHUB_OUTPUT"
    echo "json-file=$reports/ci.json" >> "$GITHUB_OUTPUT"
    ;;
  gate|run|build|seed|snapshot)
    has --junit-xml || extra+=(--junit-xml "$reports/junit.xml")
    has --markdown || extra+=(--markdown "$reports/summary.md")
    ;;
  sync)
    if [ "$sub" = "plan" ] && ! has --out; then extra=(--out "$reports/sync-plan.json"); fi
    has --format || { extra+=(--format json); json_out="$reports/sync-$sub.json"; }
    ;;
  lineage|map|doctor|validate)
    has --format || { extra+=(--format json); json_out="$reports/${cmd}${sub:+-$sub}.json"; }
    ;;
esac

if [ -n "$json_out" ]; then
  # JSON mode: the document is the only thing on stdout; human lines are on stderr.
  dbt-armor "${args[@]}" "${extra[@]}" > "$json_out"
  code=$?
  cat "$json_out"
  echo "json-file=$json_out" >> "$GITHUB_OUTPUT"
else
  dbt-armor "${args[@]}" "${extra[@]}"
  code=$?
fi

case "$cmd" in
  gate|run|build|seed|snapshot)
    for f in target/armor_gate.json target/armor_skipped.txt; do
      [ -f "$f" ] && cp "$f" "$reports/"
    done
    [ -f "$reports/armor_gate.json" ] && echo "json-file=$reports/armor_gate.json" >> "$GITHUB_OUTPUT"
    ;;
esac
for kind in junit.xml:junit-file summary.md:markdown-file; do
  file="${kind%%:*}"
  if [ -f "$reports/$file" ]; then
    echo "${kind##*:}=$reports/$file" >> "$GITHUB_OUTPUT"
    if [ "$file" = summary.md ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "$cmd" = ci ]; then
      cat "$reports/$file" >> "$GITHUB_STEP_SUMMARY"
    fi
  fi
done
echo "reports-dir=$reports" >> "$GITHUB_OUTPUT"
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
exit "$code"
