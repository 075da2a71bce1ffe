/* Which port (Port.name in cutover's northbound database) a libvirt domain
 * is, from what libvirt says of it.
 *
 * First a metadata element of cutover's namespace:
 *
 *   <metadata>
 *     <cutover:port xmlns:cutover="https://cutover.dev/libvirt/1">vm1</cutover:port>
 *   </metadata>
 *
 * (virsh metadata DOMAIN https://cutover.dev/libvirt/1 --key cutover
 * --set '<port>vm1</port>'), else the interfaceid of the domain's first
 * interface with <virtualport type='openvswitch'>, which is what Nova
 * writes and what libvirt gives Open vSwitch as external_ids:iface-id.
 *
 * Pure code over the text libvirt gives (virDomainGetMetadata(),
 * virDomainGetXMLDesc()), read with libxml2 (libvirt's own XML library);
 * a document that is not well-formed names no port.  Callable from any
 * thread. */

#ifndef DOMAIN_PORT_H
#define DOMAIN_PORT_H 1

/* The namespace of cutover's libvirt metadata. */
#define DOMAIN_PORT_NS "https://cutover.dev/libvirt/1"

/* The longest port name taken. */
#define DOMAIN_PORT_MAX_LEN 255

/* Returns the port named by 'element', the metadata element of cutover's
 * namespace as virDomainGetMetadata(VIR_DOMAIN_METADATA_ELEMENT) returns it
 * (libvirt drops the namespace: "<port>vm1</port>"), its text trimmed, or
 * NULL if it names none or not a valid one.  To free. */
char *domain_port_from_metadata(const char *element);

/* Returns the interfaceid of the first <interface> under <devices> of
 * domain XML 'xml' that has a <virtualport type='openvswitch'>, or NULL if
 * there is none or it is not a valid port name.  To free. */
char *domain_port_from_xml(const char *xml);

#endif /* domain-port.h */
