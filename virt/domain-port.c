/* A libvirt domain's port, from its metadata or its XML (domain-port.h). */

#include <config.h>

#include "domain-port.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "util.h"

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether 's' may be a port name: printable ASCII without spaces, not
 * empty, not too long. */
static bool
valid_port(const char *s)
{
    size_t len = strlen(s);

    if (!len || len > DOMAIN_PORT_MAX_LEN) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] <= ' ' || s[i] > '~') {
            return false;
        }
    }
    return true;
}

/* Decodes the XML character data 's[0..len-1]' (the predefined entities
 * and ASCII character references).  Returns it (to free), or NULL if it
 * has an entity this does not know. */
static char *
decode(const char *s, size_t len)
{
    static const struct {
        const char *name;
        char c;
    } entities[] = {
        { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' },
        { "apos;", '\'' },
    };
    struct ds out = DS_EMPTY_INITIALIZER;
    size_t i = 0;

    while (i < len) {
        const char *rest = s + i + 1;
        size_t left = len - i - 1;
        bool known = false;

        if (s[i] != '&') {
            ds_put_char(&out, s[i++]);
            continue;
        }
        for (size_t j = 0; j < ARRAY_SIZE(entities); j++) {
            size_t n = strlen(entities[j].name);

            if (left >= n && !memcmp(rest, entities[j].name, n)) {
                ds_put_char(&out, entities[j].c);
                i += 1 + n;
                known = true;
                break;
            }
        }
        if (!known && left >= 3 && rest[0] == '#') {
            bool hex = rest[1] == 'x';
            unsigned int value = 0;
            size_t k = hex ? 2 : 1;
            size_t digits = 0;

            for (; k < left && rest[k] != ';' && digits < 4; k++, digits++) {
                char c = rest[k];
                int d = (c >= '0' && c <= '9' ? c - '0'
                         : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                         : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                         : -1);
                if (d < 0) {
                    break;
                }
                value = value * (hex ? 16 : 10) + d;
            }
            if (k < left && rest[k] == ';' && digits && value
                && value < 128) {
                ds_put_char(&out, value);
                i += 1 + k + 1;
                known = true;
            }
        }
        if (!known) {
            ds_destroy(&out);
            return NULL;
        }
    }
    return ds_steal_cstr(&out);
}

/* Returns the start ('<') of the first tag named 'name' in [p, end), or
 * NULL. */
static const char *
find_tag(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);

    for (; p && p < end; p++) {
        p = memchr(p, '<', end - p);
        if (!p) {
            return NULL;
        }
        if ((size_t) (end - p) > n + 1 && !memcmp(p + 1, name, n)
            && (is_space(p[n + 1]) || p[n + 1] == '>' || p[n + 1] == '/')) {
            return p;
        }
    }
    return NULL;
}

/* Returns the '>' that ends the tag that starts at 'tag', or NULL. */
static const char *
tag_close(const char *tag, const char *end)
{
    char quote = 0;

    for (const char *p = tag; p < end; p++) {
        if (quote) {
            if (*p == quote) {
                quote = 0;
            }
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '>') {
            return p;
        }
    }
    return NULL;
}

/* Returns the decoded value (to free) of attribute 'name' of the tag in
 * [tag, close), or NULL if it has none. */
static char *
get_attr(const char *tag, const char *close, const char *name)
{
    size_t n = strlen(name);
    const char *p = tag + 1;

    /* Skip the tag's name. */
    while (p < close && !is_space(*p) && *p != '/') {
        p++;
    }
    while (p < close) {
        const char *attr, *value;
        char quote;

        while (p < close && (is_space(*p) || *p == '/')) {
            p++;
        }
        attr = p;
        while (p < close && *p != '=' && !is_space(*p)) {
            p++;
        }
        size_t attr_len = p - attr;
        while (p < close && is_space(*p)) {
            p++;
        }
        if (p >= close || *p != '=') {
            return NULL;
        }
        p++;
        while (p < close && is_space(*p)) {
            p++;
        }
        if (p >= close || (*p != '\'' && *p != '"')) {
            return NULL;
        }
        quote = *p++;
        value = p;
        p = memchr(p, quote, close - p);
        if (!p) {
            return NULL;
        }
        if (attr_len == n && !memcmp(attr, name, n)) {
            return decode(value, p - value);
        }
        p++;
    }
    return NULL;
}

char *
domain_port_from_metadata(const char *element)
{
    const char *end = element + strlen(element);
    const char *start = memchr(element, '<', end - element);
    const char *close, *text, *text_end;
    char *port;

    if (!start) {
        return NULL;
    }
    close = tag_close(start, end);
    if (!close || close[-1] == '/') {
        return NULL;            /* <cutover:port/>: no text. */
    }
    text = close + 1;
    text_end = memchr(text, '<', end - text);
    if (!text_end) {
        return NULL;
    }
    while (text < text_end && is_space(*text)) {
        text++;
    }
    while (text_end > text && is_space(text_end[-1])) {
        text_end--;
    }
    port = decode(text, text_end - text);
    if (port && !valid_port(port)) {
        free(port);
        port = NULL;
    }
    return port;
}

char *
domain_port_from_xml(const char *xml)
{
    const char *end = xml + strlen(xml);
    const char *devices = find_tag(xml, end, "devices");
    const char *devices_end, *p;

    if (!devices) {
        return NULL;
    }
    devices_end = strstr(devices, "</devices>");
    if (!devices_end) {
        return NULL;
    }
    for (p = devices; (p = find_tag(p, devices_end, "interface")); p++) {
        const char *iface_end = strstr(p, "</interface>");
        const char *vp, *vp_close, *params, *params_close;
        char *type;
        bool ovs;

        if (!iface_end || iface_end > devices_end) {
            return NULL;
        }
        vp = find_tag(p, iface_end, "virtualport");
        vp_close = vp ? tag_close(vp, iface_end) : NULL;
        if (!vp_close) {
            continue;
        }
        type = get_attr(vp, vp_close, "type");
        ovs = type && !strcmp(type, "openvswitch");
        free(type);
        if (!ovs) {
            continue;
        }
        params = find_tag(vp_close, iface_end, "parameters");
        params_close = params ? tag_close(params, iface_end) : NULL;
        if (params_close) {
            char *port = get_attr(params, params_close, "interfaceid");

            if (port && valid_port(port)) {
                return port;
            }
            free(port);
        }
        /* The first Open vSwitch interface is the VM's: no further. */
        return NULL;
    }
    return NULL;
}
