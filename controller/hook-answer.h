/* Reading cutoverd's answer to one JSON-RPC request, with the C library
 * only (cutover-hook's front, hook-step.c): where the answer ends, and its
 * "result" or "error" text.  cutoverd answers {"id": N, "result": TEXT,
 * "error": null} or {"id": N, "result": null, "error": TEXT}
 * (migration-client.h). */

#ifndef HOOK_ANSWER_H
#define HOOK_ANSWER_H 1

/* Where the JSON object at the start of [p, end) (after white space) ends,
 * or NULL if it is not complete yet. */
const char *hook_answer_end(const char *p, const char *end);

enum hook_answer {
    HOOK_ANSWER_RESULT,         /* Confirmed: 'text' is its result. */
    HOOK_ANSWER_ERROR,          /* Refused: 'text' is its error. */
    HOOK_ANSWER_BAD,            /* Not an answer of that shape. */
};

/* Reads the answer in [p, end) (hook_answer_end() found its end) into
 * 'text', at least as large as the answer plus one byte: the result's or
 * error's string, decoded, without its final new lines ("" for a null
 * result). */
enum hook_answer hook_answer_parse(const char *p, const char *end,
                                   char *text);

#endif /* hook-answer.h */
