/* The northbound database's cross-row rules: what no single row shows
 * wrong, but two rows together make inconsistent.
 *
 *   - a MAC address belongs to one port or elastic IP;
 *   - a port's addresses lie in its subnet (not its network, broadcast or
 *     gateway address), and no other port of the network has them;
 *   - the subnets of one network do not overlap (networks are isolated:
 *     different networks' subnets may);
 *   - an elastic IP maps to an IPv4 address the port has, and one address
 *     of a port has at most one elastic IP.
 *
 * cutoverctl checks a row against them before it writes it (the functions
 * that take one row), and cutoverd checks the whole database whenever it
 * changes (nb_rules_check_all()), so that what another writer made
 * inconsistent is named where the pipeline would otherwise only count the
 * flows it had to leave out.  Per-row rules (syntax, ranges) are
 * nb-check.h's; per-table uniqueness (names, tunnel IPs) is the schema's
 * indexes'. */

#ifndef NB_RULES_H
#define NB_RULES_H 1

struct nbrec_eip;
struct nbrec_network;
struct nbrec_port;
struct nbrec_subnet;
struct ovsdb_idl;
struct svec;

/* Returns NULL if no port or elastic IP other than 'self' has 'mac', else
 * an error to free: "MAC M is port P's already". */
char *nb_rules_mac(const struct ovsdb_idl *, const char *mac,
                   const void *self);

/* Returns NULL if 'ip' may be an address of a port (other than 'self') of
 * subnet 's', else an error to free. */
char *nb_rules_port_ip(const struct ovsdb_idl *, const struct nbrec_subnet *,
                       const char *ip, const struct nbrec_port *self);

/* Returns NULL if a subnet of network 'net' with 'cidr' and 'cidr6' (may
 * be NULL) overlaps none of the network's subnets but 'self', else an
 * error to free. */
char *nb_rules_subnet_overlap(const struct ovsdb_idl *,
                              const struct nbrec_network *, const char *cidr,
                              const char *cidr6,
                              const struct nbrec_subnet *self);

/* For elastic IP 'address' (row 'self', NULL if new) mapped to 'port' at
 * 'private_ip' (NULL: the port's first IPv4 address): stores the address
 * it maps to in '*mappedp' and returns NULL, or returns an error to free. */
char *nb_rules_eip(const struct ovsdb_idl *, const struct nbrec_eip *self,
                   const char *address, const struct nbrec_port *port,
                   const char *private_ip, const char **mappedp);

/* Checks every row against every rule above, in time linear in the rows,
 * and adds what is wrong to 'problems', each problem once, sorted. */
void nb_rules_check_all(const struct ovsdb_idl *, struct svec *problems);

#endif /* nb-rules.h */
