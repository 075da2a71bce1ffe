#!/bin/bash
# The loss meter's command line: bad arguments get a clear error naming what
# was wrong (exit status 2), bad files a clear error naming the file (exit
# status 1), and --help works for every command.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_lossmeter

# expect STATUS PATTERN ARGS...: the loss meter exits with STATUS and says
# something matching PATTERN on stderr.
expect() {
    expect_exit "$LOSSMETER" "$@"
}

step "usage errors"
expect 2 "a command is required"
expect 2 "unknown command 'sned'" sned
expect 2 "send: --dest is required" send
expect 2 "--dest: 'nowhere' is not an address and port" send --dest nowhere
expect 2 "--dest: '10.0.0.1' is not an address and port" send --dest 10.0.0.1
expect 2 "--rate: '0' is not an integer from 1 to 1000000" \
    send --dest 127.0.0.1:9 --rate 0
expect 2 "--rate: 'fast' is not an integer" send --dest 127.0.0.1:9 --rate fast
expect 2 "--rate: '2000000' is not an integer" \
    send --dest 127.0.0.1:9 --rate 2000000
expect 2 "--duration: 'soon' is not a positive duration" \
    send --dest 127.0.0.1:9 --duration soon
expect 2 "give --duration or --count, not both" \
    send --dest 127.0.0.1:9 --duration 1 --count 5
expect 2 "--size: '10' is not an integer from 24 to 1472" \
    send --dest 127.0.0.1:9 --size 10
expect 2 "unexpected argument 'extra'" send --dest 127.0.0.1:9 extra
expect 2 "recv: --listen is required" recv --log /dev/null
expect 2 "recv: --log is required" recv --listen 9000
expect 2 "--listen: '70000' is not an integer from 1 to 65535" \
    recv --listen 70000 --log /dev/null
expect 2 "--label: .* is longer than 31 bytes" \
    recv --listen 9000 --log /dev/null --label aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect 2 "report: no log files given" report
expect 2 "dump: expected exactly one log file" dump
expect 2 "--hold: 'dst' is not LABEL@NS" report --hold dst /dev/null
expect 2 "--cut: '@5' is not LABEL@NS" report --cut @5 /dev/null
expect 2 "--hold: 'soon' is not an integer" report --hold dst@soon /dev/null

step "bad files"
expect 1 "/nonexistent.log: cannot open \(No such file or directory\)" \
    report /nonexistent.log
echo "this is not a log" > "$TEST_TMP/garbage"
expect 1 "$TEST_TMP/garbage: not a loss meter log" report "$TEST_TMP/garbage"
echo '{"stream": 1}' > "$TEST_TMP/partial.json"
expect 1 "partial.json: sender log lacks a non-negative integer \"rate\"" \
    report "$TEST_TMP/partial.json"
"$LOSSMETER" recv --listen 127.0.0.1:$((20000 + $$ % 20000)) --duration 100ms \
    --label src --log "$TEST_TMP/src.rx" -q || fail "recv for 100 ms failed"
expect 1 "--hold: no receiver log is labelled 'dst'" \
    report --hold dst@1 "$TEST_TMP/src.rx"
expect 1 "--resume: .*/nonexistent.json: cannot open" \
    send --dest 127.0.0.1:9 --resume /nonexistent.json
expect 1 "cannot create receiver log /nonexistent/dir/rx.log" \
    recv --listen 9000 --log /nonexistent/dir/rx.log

step "help and version"
for cmd in send recv report dump; do
    "$LOSSMETER" "$cmd" --help | grep -q "^usage: .* $cmd" \
        || fail "'$cmd --help' prints no usage"
done
"$LOSSMETER" --help | grep -q "report  merge sender and receiver logs" \
    || fail "--help lists no commands"
"$LOSSMETER" --version | grep -q "(cutover)" || fail "--version"
echo "ok: help and version"
