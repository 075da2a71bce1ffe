# Fuzz target hook-answer: its seed corpus and bounded mutations (tests/fuzz/).
exec bash "$top_srcdir/tests/fuzz/run-target" hook-answer
