/* A libvirt domain's port, from its metadata or its XML (domain-port.h). */

#include <config.h>

#include "domain-port.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ovs-thread.h"
#include "util.h"

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

/* Returns 's' less its leading and trailing XML white space, as a new
 * string if it is a valid port name, else NULL. */
static char *
port_from_text(const char *s)
{
    const char *end = s + strlen(s);
    char *port;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'
                       || end[-1] == '\n' || end[-1] == '\r')) {
        end--;
    }
    port = xmemdup0(s, end - s);
    if (!valid_port(port)) {
        free(port);
        port = NULL;
    }
    return port;
}

/* Parses 'text', a document libvirt formatted, with libxml2: no network,
 * no external entities, no messages on stderr.  Returns NULL if it is not
 * well-formed. */
static xmlDoc *
parse(const char *text)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        xmlInitParser();
        ovsthread_once_done(&once);
    }
    return xmlReadMemory(text, strlen(text), "domain.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR
                         | XML_PARSE_NOWARNING);
}

char *
domain_port_from_metadata(const char *element)
{
    xmlDoc *doc = parse(element);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    char *port = NULL;

    /* libvirt picks the element by its namespace and gives it without
     * one ("<port>vm1</port>"), so any element is taken. */
    if (root) {
        xmlChar *text = xmlNodeGetContent(root);

        if (text) {
            port = port_from_text((const char *) text);
            xmlFree(text);
        }
    }
    xmlFreeDoc(doc);
    return port;
}

char *
domain_port_from_xml(const char *xml)
{
    /* The first Open vSwitch virtual port's interface id: that interface
     * is the VM's, whatever the others are. */
    static const char path[] =
        "string((/domain/devices/interface/virtualport"
        "[@type='openvswitch'])[1]/parameters/@interfaceid)";
    xmlDoc *doc = parse(xml);
    xmlXPathContext *ctx = doc ? xmlXPathNewContext(doc) : NULL;
    xmlXPathObject *obj = NULL;
    char *port = NULL;

    if (ctx) {
        obj = xmlXPathEvalExpression((const xmlChar *) path, ctx);
    }
    if (obj && obj->type == XPATH_STRING && obj->stringval) {
        const char *s = (const char *) obj->stringval;

        /* An interface id is taken as it is, not trimmed. */
        if (valid_port(s)) {
            port = xstrdup(s);
        }
    }
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return port;
}
