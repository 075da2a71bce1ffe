/* cutover-hook's front reads cutoverd's answer.  See hook-answer.h. */

#include <config.h>
#include "hook-answer.h"

#include <stdbool.h>
#include <string.h>

/* Where one complete JSON value that starts at 'p' ends (the byte after),
 * or NULL if it is not complete before 'end'. */
static const char *
json_end(const char *p, const char *end)
{
    int depth = 0;
    bool in_string = false;

    for (; p < end; p++) {
        if (in_string) {
            if (*p == '\\') {
                p++;
            } else if (*p == '"') {
                in_string = false;
            }
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) {
                return p + 1;
            }
        }
    }
    return NULL;
}

/* The 4 hex digits at 'p' (the caller checked there are 4 bytes), or -1. */
static int
hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        } else {
            return -1;
        }
    }
    return v;
}

/* Decodes the JSON string at '*pp' (after its opening quote) into 'out'
 * (as large as the input), moving '*pp' past its closing quote.  Returns
 * false if it is not a well-formed string. */
static bool
json_string(const char **pp, const char *end, char *out)
{
    const char *p = *pp;

    while (p < end && *p != '"') {
        if (*p != '\\') {
            *out++ = *p++;
            continue;
        }
        if (++p >= end) {
            return false;
        }
        switch (*p++) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '/': *out++ = '/'; break;
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u': {
            int c, lo;

            if (end - p < 4 || (c = hex4(p)) < 0) {
                return false;
            }
            p += 4;
            if (c >= 0xd800 && c < 0xdc00 && end - p >= 6 && p[0] == '\\'
                && p[1] == 'u') {
                lo = hex4(p + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                }
            }
            if (c < 0x80) {
                *out++ = c;
            } else if (c < 0x800) {
                *out++ = 0xc0 | (c >> 6);
                *out++ = 0x80 | (c & 0x3f);
            } else if (c < 0x10000) {
                *out++ = 0xe0 | (c >> 12);
                *out++ = 0x80 | ((c >> 6) & 0x3f);
                *out++ = 0x80 | (c & 0x3f);
            } else {
                *out++ = 0xf0 | (c >> 18);
                *out++ = 0x80 | ((c >> 12) & 0x3f);
                *out++ = 0x80 | ((c >> 6) & 0x3f);
                *out++ = 0x80 | (c & 0x3f);
            }
            break;
        }
        default:
            return false;
        }
    }
    if (p >= end) {
        return false;
    }
    *out = '\0';
    *pp = p + 1;
    return true;
}

/* Finds top-level member 'name' of the JSON object in [p, end) and, if it
 * is a string, decodes it into 'out' and returns 1; returns 0 if it is null
 * or absent, -1 if it is anything else or the object is not well formed. */
static int
json_member(const char *p, const char *end, const char *name, char *out)
{
    size_t len = strlen(name);

    for (p++; p < end; ) {
        const char *next;

        p += strspn(p, " \t\r\n,");
        if (p >= end || *p == '}') {
            return 0;
        }
        if (*p != '"') {
            return -1;
        }
        bool match = ((size_t) (end - p) > len + 1 && !strncmp(p + 1, name,
                                                               len)
                      && p[len + 1] == '"');
        /* Skip the key: a string. */
        for (next = p + 1; next < end && *next != '"'; next++) {
            if (*next == '\\') {
                next++;
            }
        }
        if (next >= end) {
            return -1;
        }
        p = next + 1;
        p += strspn(p, " \t\r\n");
        if (p >= end || *p != ':') {
            return -1;
        }
        p++;
        p += strspn(p, " \t\r\n");
        if (p >= end) {
            return -1;
        }
        if (*p == '"') {
            p++;
            if (match) {
                return json_string(&p, end, out) ? 1 : -1;
            }
            if (!json_string(&p, end, out)) {
                return -1;
            }
        } else if (*p == '{' || *p == '[') {
            if (match) {
                return -1;
            }
            next = json_end(p, end);
            if (!next) {
                return -1;
            }
            p = next;
        } else {
            size_t n = strcspn(p, ",} \t\r\n");

            if (match) {
                return n == 4 && !strncmp(p, "null", 4) ? 0 : -1;
            }
            p += n;
        }
    }
    return -1;
}

const char *
hook_answer_end(const char *p, const char *end)
{
    p += strspn(p, " \t\r\n");
    return p < end && *p == '{' ? json_end(p, end) : p < end ? p : NULL;
}

enum hook_answer
hook_answer_parse(const char *p, const char *end, char *text)
{
    enum hook_answer kind;
    size_t len;
    int r;

    p += strspn(p, " \t\r\n");
    if (p >= end || *p != '{') {
        return HOOK_ANSWER_BAD;
    }
    r = json_member(p, end, "error", text);
    if (r < 0) {
        return HOOK_ANSWER_BAD;
    } else if (r > 0) {
        kind = HOOK_ANSWER_ERROR;
    } else {
        r = json_member(p, end, "result", text);
        if (r < 0) {
            return HOOK_ANSWER_BAD;
        } else if (!r) {
            text[0] = '\0';
        }
        kind = HOOK_ANSWER_RESULT;
    }
    len = strlen(text);
    while (len > 0 && text[len - 1] == '\n') {
        text[--len] = '\0';
    }
    return kind;
}
