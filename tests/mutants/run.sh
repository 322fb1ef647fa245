#!/bin/bash
# The code review's seven mutants (code-review.md §6.4), each the equivalent one-line change to
# ivr/call/step.py or menus.py; each must make the fast layer (tests/test_call.py) fail. Restores the file.
cd "$(dirname "$0")/../.."
for f in step menus; do cp ivr/call/$f.py /tmp/mutant-$f.py.orig; done
restore() { for f in step menus; do cp /tmp/mutant-$f.py.orig ivr/call/$f.py; done; }
trap restore EXIT
run() {
  name=$1; file=$2; old=$3; new=$4
  restore
  python3 - "$file" "$old" "$new" <<'PY'
import sys
p, old, new = f"ivr/call/{sys.argv[1]}.py", sys.argv[2], sys.argv[3]
s = open(p).read()
assert s.count(old)==1, (old, s.count(old))
open(p,'w').write(s.replace(old,new))
PY
  [ $? -eq 0 ] || { echo "$name: the line to change was not found"; return; }
  out=$(${PYTEST:-.venv/bin/pytest} -q -x --no-header -p no:cacheprovider tests/test_call.py 2>&1 | tail -1)
  echo "$name: $out"
}
run M1 menus "return play_languages(graph, call, fresh.moved(errors=errors), notice_for(graph, errors))" "return play_languages(graph, call, fresh.moved(errors=errors), (graph.rules.invalid,))"
run M2 step "return _retry(graph, Position(\"retry\", at.lang, errors=errors), notice_for(graph, errors))" "return _retry(graph, Position(\"retry\", at.lang, errors=errors), (graph.rules.invalid,))"
run M3 menus "return play_languages(graph, call, fresh.moved(page=max(page - 1, 1)))" "return play_languages(graph, call, fresh.moved(page=page))"
run M4 step "    if ended == \"answered\":" "    if ended == \"answered\" and service == ROSA:"
run M5 menus "    if at.silence > rules.silence_repeats:
        return give_up(graph, at.lang, node.id, call)" "    if at.silence >= rules.silence_repeats:
        return give_up(graph, at.lang, node.id, call)"
run M6 step "    if at.silence > rules.silence_repeats:
        parts" "    if at.silence >= rules.silence_repeats:
        parts"
run M7 menus "*((rules.free_call,) if graph.free_call else ())) if welcome else ()" "*((rules.free_call,) if graph.free_call else ()))"
