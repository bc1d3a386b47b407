/*
 * firewall.c: the list as packet-filter sets: an nftables script and an
 * ipset restore file (docs/export.md).
 *
 * Both key by (address, protocol, port), IPv4 and IPv6 in separate sets as
 * the kernel wants.  The nftables script replaces its table whole (declare,
 * delete, define: loading it twice gives the same ruleset) and carries an
 * example chain that only counts packets to listed servers; dropping is a
 * documented one-word change, left to the operator.  ipset's hash:ip,port
 * has ports only for tcp, udp, sctp and udplite: rows of other protocols
 * become comments, counted in the header.
 */
#include <string.h>

#include "export/export_impl.h"

/* nft's name for the protocols it surely knows, else the number. */
static const char *nft_proto(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    case 136: return "udplite";
    default: snprintf(buf, len, "%u", proto); return buf;
    }
}

static void nft_set(const c2list *l, int v4, FILE *f)
{
    fprintf(f, "\tset %s {\n\t\ttype %s . inet_proto . inet_service\n", v4 ? "c2_v4" : "c2_v6",
            v4 ? "ipv4_addr" : "ipv6_addr");
    size_t k = 0;
    for (size_t i = 0; i < c2list_count(l); i++) {
        const c2_entry *e = c2list_get(l, i);
        if (flow_addr_is_v4(&e->ip) != v4) continue;
        char ip[FLOW_ADDR_STRLEN], proto[8];
        fprintf(f, "%s\t\t\t%s . %s . %u", k++ ? ",\n" : "\t\telements = {\n",
                export_ip(e, ip, sizeof ip), nft_proto(e->proto, proto, sizeof proto), e->port);
    }
    if (k) fputs("\n\t\t}\n", f);
    fputs("\t}\n", f);
}

int export_nftables(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    (void)err;
    const char *t = export_opt_name(opt);
    fprintf(f, "#!/usr/sbin/nft -f\n"
               "# c2flow C2 list: %zu servers as (address . protocol . port) sets.\n"
               "# Load with 'nft -f FILE'; the table is replaced whole.\n"
               "table inet %s\n"
               "delete table inet %s\n"
               "table inet %s {\n", c2list_count(l), t, t, t);
    nft_set(l, 1, f);
    nft_set(l, 0, f);
    fputs("\n"
          "\t# Example: count forwarded packets to listed servers.  To drop them,\n"
          "\t# write \"counter drop\" for \"counter\"; for this host's own traffic,\n"
          "\t# add the same rules to a chain on hook output.\n"
          "\tchain forward {\n"
          "\t\ttype filter hook forward priority filter; policy accept;\n"
          "\t\tip daddr . meta l4proto . th dport @c2_v4 counter\n"
          "\t\tip6 daddr . meta l4proto . th dport @c2_v6 counter\n"
          "\t}\n"
          "}\n", f);
    return 0;
}

/* ipset's name of a protocol whose port it can hold, or NULL. */
static const char *ipset_proto(uint8_t proto)
{
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    case 136: return "udplite";
    default: return NULL;
    }
}

int export_ipset(const c2list *l, const export_options *opt, FILE *f, c2_err *err)
{
    (void)err;
    const char *t = export_opt_name(opt);
    size_t n = c2list_count(l), v4 = 0, v6 = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        const c2_entry *e = c2list_get(l, i);
        if (!ipset_proto(e->proto)) skipped++;
        else if (flow_addr_is_v4(&e->ip)) v4++;
        else v6++;
    }
    size_t max = v4 > v6 ? v4 : v6;
    if (max < 65536) max = 65536;
    fprintf(f, "# c2flow C2 list: %zu servers as hash:ip,port sets.  Rows of protocols\n"
               "# without ports (not tcp, udp, sctp, udplite), left out as comments: %zu.\n"
               "# Load with 'ipset restore -exist < FILE'.\n"
               "create %s-v4 hash:ip,port family inet maxelem %zu\n"
               "create %s-v6 hash:ip,port family inet6 maxelem %zu\n",
            n, skipped, t, max, t, max);
    for (int pass = 1; pass >= 0; pass--)
        for (size_t i = 0; i < n; i++) {
            const c2_entry *e = c2list_get(l, i);
            if (flow_addr_is_v4(&e->ip) != pass) continue;
            char ip[FLOW_ADDR_STRLEN], proto[16];
            const char *p = ipset_proto(e->proto);
            if (p)
                fprintf(f, "add %s-%s %s,%s:%u\n", t, pass ? "v4" : "v6",
                        export_ip(e, ip, sizeof ip), p, e->port);
            else
                fprintf(f, "# left out: %s proto %s port %u\n", export_ip(e, ip, sizeof ip),
                        c2list_proto_format(e->proto, proto, sizeof proto), e->port);
        }
    return 0;
}
