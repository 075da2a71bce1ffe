# Fuzz target nb-check: its seed corpus and bounded mutations (tests/fuzz/).
exec bash "$top_srcdir/tests/fuzz/run-target" nb-check
