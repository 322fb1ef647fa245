#!/bin/bash
# The code review's seven mutants (code-review.md §6.4), each the equivalent one-line change to
# ivr/call/step.py; each must make the fast layer (tests/test_call.py) fail. Restores the file.
# Each mutant: a one-line change to ivr/call/step.py (python replace of exactly one occurrence), then the fast layer.
cd "$(dirname "$0")/../.."
cp ivr/call/step.py /tmp/step.py.orig
trap 'cp /tmp/step.py.orig ivr/call/step.py' EXIT
run() {
  name=$1; old=$2; new=$3
  cp /tmp/step.py.orig ivr/call/step.py
  python3 - "$old" "$new" <<'PY'
import sys
p='ivr/call/step.py'; s=open(p).read(); old,new=sys.argv[1],sys.argv[2]
assert s.count(old)==1, (old, s.count(old))
open(p,'w').write(s.replace(old,new))
PY
  [ $? -eq 0 ] || { echo "$name: the line to change was not found"; return; }
  out=$(${PYTEST:-.venv/bin/pytest} -q -x --no-header -p no:cacheprovider tests/test_call.py 2>&1 | tail -1)
  echo "$name: $out"
}
run M1 "return _language_menu(graph, call, fresh.moved(errors=errors), _notice(graph, errors))" "return _language_menu(graph, call, fresh.moved(errors=errors), (graph.rules.invalid,))"
run M2 "return _retry(graph, Position(\"retry\", at.lang, errors=errors), _notice(graph, errors))" "return _retry(graph, Position(\"retry\", at.lang, errors=errors), (graph.rules.invalid,))"
run M3 "return _language_menu(graph, call, fresh.moved(page=max(page - 1, 1)))" "return _language_menu(graph, call, fresh.moved(page=page))"
run M4 "    if ended == \"answered\":" "    if ended == \"answered\" and service == ROSA:"
run M5 "    if at.silence > rules.silence_repeats:
        return give_up(graph, at.lang, node.id, call)" "    if at.silence >= rules.silence_repeats:
        return give_up(graph, at.lang, node.id, call)"
run M6 "    if at.silence > rules.silence_repeats:
        parts" "    if at.silence >= rules.silence_repeats:
        parts"
run M7 "*((rules.free_call,) if graph.free_call else ())) if welcome else ()" "*((rules.free_call,) if graph.free_call else ()))"
