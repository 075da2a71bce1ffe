# Fuzz target announcer-args: its seed corpus and bounded mutations (tests/fuzz/).
exec bash "$top_srcdir/tests/fuzz/run-target" announcer-args
