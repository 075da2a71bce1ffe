/* Fuzz target hook-answer: cutoverd's answer as cutover-hook's front reads
 * it (controller/hook-answer.c): any bytes from the server, complete or
 * not, must be judged without reading out of bounds. */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "fuzzer.h"
#include "hook-answer.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The front keeps what it received NUL-terminated, as here. */
    char *buf = malloc(size + 1);
    char *text = malloc(size + 1);
    const char *end;

    memcpy(buf, data, size);
    buf[size] = '\0';
    end = hook_answer_end(buf, buf + size);
    if (end) {
        hook_answer_parse(buf, end, text);
    }
    free(buf);
    free(text);
    return 0;
}
