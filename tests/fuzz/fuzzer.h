/* The interface of a fuzz target, as libFuzzer and OSS-Fuzz define it (and
 * as Open vSwitch's tests/oss-fuzz/fuzzer.h declares it).
 *
 * Each tests/fuzz/TARGET-target.c defines LLVMFuzzerTestOneInput(), which takes
 * one input of any bytes, feeds it to the code under test and returns 0.  A
 * bug shows as a crash, a sanitizer report, or an ovs_assert()/abort() of an
 * invariant the target checks.  The same target links either with
 * tests/fuzz/fuzz-driver.c (the default: runs a corpus and deterministic
 * mutations of it, for 'make check') or with libFuzzer (configure
 * --enable-fuzz with CC=clang).  docs/testing.md says how to run them. */

#ifndef FUZZER_H
#define FUZZER_H 1

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* fuzzer.h */
