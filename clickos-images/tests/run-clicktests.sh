#!/usr/bin/env bash
# run-clicktests.sh DIR|FILE... - runs Click-style .clicktest golden tests
# (the testie format: %info, %script, %file NAME, %expect [stdout|stderr|FILE],
# %ignore).  `click` and `clickos` resolve to $CLICKOS_BIN.  Expected text
# may contain {{REGEX}} wildcards (as in testie); comparison ignores trailing
# whitespace on each line and trailing blank lines.
set -u
: "${CLICKOS_BIN:?set CLICKOS_BIN to the directory holding clickos}"
files=()
for a in "$@"; do
  if [ -d "$a" ]; then for f in "$a"/*.clicktest; do files+=("$f"); done; else files+=("$a"); fi
done
pass=0; fail=0; failed=()
# wildmatch EXPECTED GOT: {{REGEX}} wildcards as in testie
wildmatch() {
  local -a e g
  mapfile -t e < <(normalize "$1")
  mapfile -t g < <(normalize "$2")
  [ "${#e[@]}" -eq "${#g[@]}" ] || return 1
  local i line rx rest lit pat
  for ((i = 0; i < ${#e[@]}; i++)); do
    line=${e[i]}; rx=""
    while [[ "$line" == *"{{"*"}}"* ]]; do
      lit=${line%%"{{"*}; rest=${line#*"{{"}; pat=${rest%%"}}"*}; line=${rest#*"}}"}
      rx+=$(printf '%s' "$lit" | sed -e 's/[][\.^$*+?(){}|/]/\\&/g')
      rx+="($pat)"
    done
    rx+=$(printf '%s' "$line" | sed -e 's/[][\.^$*+?(){}|/]/\\&/g')
    [[ "${g[i]}" =~ ^${rx}$ ]] || return 1
  done
  return 0
}
normalize() { sed -e 's/[[:space:]]*$//' "$1" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
for t in "${files[@]}"; do
  dir=$(mktemp -d /tmp/clicktest.XXXXXX)
  abs=$(cd "$(dirname "$t")" && pwd)/$(basename "$t")
  ( cd "$dir" && awk -v dir="$dir" '
      BEGIN { out = "" }
      /^%/ {
        split($0, w, /[ \t]+/)
        if (w[1] == "%script") { out = dir "/.script"; next }
        if (w[1] == "%file") { out = dir "/" w[2]; printf "" > out; next }
        if (w[1] == "%expect" || w[1] == "%expectx") { n = (w[2] == "" ? "stdout" : w[2]); out = dir "/.expect." n; printf "" > out; print n >> (dir "/.expects"); next }
        if (w[1] == "%ignore" || w[1] == "%info" || w[1] == "%require" || w[1] == "%cut") { out = ""; next }
        out = ""; next
      }
      { if (out != "") print >> out }
    ' "$abs" )
  ( cd "$dir" && PATH="$CLICKOS_BIN:$PATH" timeout 60 bash ./.script >.out.stdout 2>.out.stderr ) ; rc=$?
  ok=1; why=""
  if [ $rc -eq 124 ]; then ok=0; why="timeout"; fi
  if [ -f "$dir/.expects" ]; then
    while read -r n; do
      case "$n" in stdout|stderr) got="$dir/.out.$n";; *) got="$dir/$n";; esac
      [ -f "$got" ] || { ok=0; why="$why missing $n"; continue; }
      exp="$dir/.expect.$n"
      if grep -q '{{' "$exp"; then
        # wildcard comparison, line by line: text outside {{...}} is literal,
        # inside is an extended regular expression (pure bash, no python)
        if ! wildmatch "$exp" "$got"; then ok=0; why="$why $n differs"; fi
      else
        if ! diff <(normalize "$exp") <(normalize "$got") >"$dir/.diff.$n" 2>&1; then ok=0; why="$why $n differs"; fi
      fi
    done < "$dir/.expects"
  fi
  if [ $ok = 1 ]; then pass=$((pass+1)); rm -rf "$dir"
  else
    fail=$((fail+1)); failed+=("$t")
    echo "FAIL $t:$why (rc=$rc, kept $dir)"
    for d in "$dir"/.diff.*; do [ -f "$d" ] && head -20 "$d"; done
    head -5 "$dir/.out.stderr"
  fi
done
echo "clicktests: $pass passed, $fail failed"
[ $fail -eq 0 ]
