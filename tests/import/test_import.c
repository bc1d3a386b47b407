/*
 * test_import.c: the importers on small hand-made inputs.
 *
 * Every fixture is built by a documented helper from named fields (one
 * struct per format, NULL fields taking a stated default), so a test reads
 * as "a TCP connection with history ShADar" rather than as a blob.  The
 * helpers write a whole file image into a growable text buffer that goes
 * through import_parse_buffer(); a collecting sink keeps every record.
 *
 * Time used throughout: 1700000000.123 s = 2023-11-14T22:13:20.123Z.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"

#define T0 1700000000123LL

/* ---- a growable text buffer ---- */

typedef struct text {
    char  *s;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* ---- a sink that keeps every record ---- */

typedef struct got {
    flow_record *r;
    size_t       n, cap;
    size_t       calls;
} got;

static int collect(const flow_record *recs, size_t n, void *arg, c2_err *err)
{
    got *g = arg;
    (void)err;
    assert_true(n >= 1 && n <= IMPORT_BATCH);
    if (g->n + n > g->cap) {
        g->cap = (g->n + n) * 2;
        g->r = realloc(g->r, g->cap * sizeof *g->r);
        assert_non_null(g->r);
    }
    memcpy(g->r + g->n, recs, n * sizeof *recs);
    g->n += n;
    g->calls++;
    return 0;
}

/* What most tests use: the input being built and what parsing it gave. */
typedef struct fx {
    text         t;
    got          g;
    import_stats st;
    c2_err       err;
} fx;

static int fx_setup(void **state)
{
    *state = calloc(1, sizeof(fx));
    return *state ? 0 : -1;
}

/* Start a new input (and forget the last result). */
static void reset(fx *x)
{
    free(x->t.s);
    free(x->g.r);
    memset(x, 0, sizeof *x);
}

static int fx_teardown(void **state)
{
    reset(*state);
    free(*state);
    return 0;
}

/* Parse x->t as fmt; returns import_parse_buffer's result and checks the
 * line accounting invariant when it succeeded. */
static int run(fx *x, import_format fmt, import_labels *labels)
{
    free(x->g.r);
    memset(&x->g, 0, sizeof x->g);
    int rc = import_parse_buffer(fmt, x->t.s ? x->t.s : "", x->t.len,
                                 collect, &x->g, labels, &x->st, &x->err);
    uint64_t skipped = 0;
    for (int i = 0; i < IMPORT_SKIP_COUNT; i++)
        skipped += x->st.skipped[i];
    if (rc == 0) {
        assert_int_equal(x->st.lines, x->st.flows + x->st.bad + skipped);
        assert_int_equal(x->st.records, x->g.n);
    }
    return rc;
}

static void addr(const char *s, flow_addr *a)
{
    assert_int_equal(flow_addr_parse(s, a), 0);
}

static void assert_addr(const flow_addr *a, const char *s)
{
    flow_addr b;
    addr(s, &b);
    assert_memory_equal(a->b, b.b, 16);
}

static int has_bad(const import_stats *st, uint64_t line, const char *word)
{
    for (size_t i = 0; i < st->bad_kept; i++)
        if (st->bad_first[i].line == line &&
            strstr(st->bad_first[i].reason, word))
            return 1;
    return 0;
}

/* ---- Zeek conn.log fixtures ---- */

/* Fields of one conn.log line; NULL = the default in zeek_conn(). */
typedef struct zconn {
    const char *ts, *oh, *op, *rh, *rp, *proto, *dur, *hist;
    const char *opk, *oby, *rpk, *rby, *label, *dlabel;
} zconn;

/* The header Zeek writes: #separator, #unset_field ... #fields, #types.
 * labelled adds the Stratosphere label / detailedlabel columns. */
static void zeek_header(text *t, int labelled)
{
    add(t, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
           "#unset_field\t-\n#path\tconn\n#open\t2023-11-14-22-13-20\n");
    add(t, "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
           "proto\tservice\tduration\tconn_state\thistory\torig_pkts\t"
           "orig_ip_bytes\tresp_pkts\tresp_ip_bytes%s\n",
        labelled ? "\tlabel\tdetailedlabel" : "");
    add(t, "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\t"
           "interval\tstring\tstring\tcount\tcount\tcount\tcount%s\n",
        labelled ? "\tstring\tstring" : "");
}

/* One line for the header above.  Defaults: ts 1700000000.123456, a TCP
 * connection 10.0.0.1:40000 -> 192.0.2.7:443 lasting 1.5 s, history "S",
 * 1 packet / 60 bytes out, nothing back. */
static void zeek_conn(text *t, const zconn *c, int labelled)
{
#define D(f, v) (c->f ? c->f : (v))
    add(t, "%s\tCuid\t%s\t%s\t%s\t%s\t%s\t-\t%s\tS0\t%s\t%s\t%s\t%s\t%s",
        D(ts, "1700000000.123456"), D(oh, "10.0.0.1"), D(op, "40000"),
        D(rh, "192.0.2.7"), D(rp, "443"), D(proto, "tcp"), D(dur, "1.5"),
        D(hist, "S"), D(opk, "1"), D(oby, "60"), D(rpk, "0"), D(rby, "0"));
    if (labelled)
        add(t, "\t%s\t%s", D(label, "-"), D(dlabel, "-"));
    add(t, "\n");
#undef D
}

static void test_zeek_bidirectional_tcp(void **state)
{
    fx *x = *state;
    zeek_header(&x->t, 0);
    zeek_conn(&x->t, &(zconn){.hist = "ShADar", .opk = "5", .oby = "473",
                              .rpk = "4", .rby = "1281"}, 0);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->g.n, 2);
    assert_int_equal(x->st.flows, 1);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_HEADER], 8);
    const flow_record *f = &x->g.r[0], *r = &x->g.r[1];
    assert_int_equal(f->start_ms, T0);
    assert_int_equal(f->end_ms, T0 + 1500);
    assert_addr(&f->src_addr, "10.0.0.1");
    assert_addr(&f->dst_addr, "192.0.2.7");
    assert_int_equal(f->src_port, 40000);
    assert_int_equal(f->dst_port, 443);
    assert_int_equal(f->proto, 6);
    assert_int_equal(f->packets, 5);
    assert_int_equal(f->bytes, 473);
    assert_int_equal(f->sampling, 1);
    assert_int_equal(f->tcp_flags, 0x02 | 0x10 | 0x08);    /* S A D */
    assert_addr(&r->src_addr, "192.0.2.7");
    assert_addr(&r->dst_addr, "10.0.0.1");
    assert_int_equal(r->src_port, 443);
    assert_int_equal(r->dst_port, 40000);
    assert_int_equal(r->packets, 4);
    assert_int_equal(r->bytes, 1281);
    assert_int_equal(r->tcp_flags, 0x12 | 0x10 | 0x04);    /* h a r */
    assert_int_equal(r->start_ms, T0);
    assert_int_equal(r->end_ms, T0 + 1500);
    flow_addr zero = {{0}};
    assert_memory_equal(f->exporter.b, zero.b, 16);
}

static void test_zeek_unset_and_one_way(void **state)
{
    fx *x = *state;
    zeek_header(&x->t, 0);
    /* unset duration and counters: a zero-length, zero-count flow */
    zeek_conn(&x->t, &(zconn){.dur = "-", .opk = "-", .oby = "-", .rpk = "-",
                              .rby = "-", .hist = "-"}, 0);
    /* a UDP query never answered: one record, no TCP flags from "D" */
    zeek_conn(&x->t, &(zconn){.proto = "udp", .rp = "53", .hist = "D",
                              .rpk = "0"}, 0);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->g.n, 2);
    assert_int_equal(x->g.r[0].end_ms, x->g.r[0].start_ms);
    assert_int_equal(x->g.r[0].packets, 0);
    assert_int_equal(x->g.r[1].proto, 17);
    assert_int_equal(x->g.r[1].tcp_flags, 0);
    assert_int_equal(x->g.r[1].dst_port, 53);
}

static void test_zeek_icmp_and_ipv6(void **state)
{
    fx *x = *state;
    zeek_header(&x->t, 0);
    /* echo request answered: type 8 code 0 out, echo reply (0) back */
    zeek_conn(&x->t, &(zconn){.proto = "icmp", .op = "8", .rp = "0",
                              .rpk = "1", .rby = "84"}, 0);
    /* ICMPv6 echo over IPv6 addresses becomes protocol 58; Zeek puts the
     * counterpart type (129) in resp_p of request/reply pairs */
    zeek_conn(&x->t, &(zconn){.proto = "icmp", .oh = "2001:db8::1",
                              .rh = "2001:db8::2", .op = "128", .rp = "129",
                              .rpk = "1"}, 0);
    /* port unreachable (3/3) has no reply type: the reverse keeps 3/3 */
    zeek_conn(&x->t, &(zconn){.proto = "icmp", .op = "3", .rp = "3",
                              .rpk = "1"}, 0);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->g.n, 6);
    assert_int_equal(x->g.r[0].proto, 1);
    assert_int_equal(x->g.r[0].src_port, 0);
    assert_int_equal(x->g.r[0].dst_port, 0x0800);
    assert_int_equal(x->g.r[1].src_port, 0);
    assert_int_equal(x->g.r[1].dst_port, 0x0000);
    assert_addr(&x->g.r[1].src_addr, "192.0.2.7");
    assert_int_equal(x->g.r[2].proto, 58);
    assert_addr(&x->g.r[2].src_addr, "2001:db8::1");
    assert_int_equal(x->g.r[2].dst_port, 128 << 8);
    assert_int_equal(x->g.r[3].dst_port, 129 << 8);
    assert_int_equal(x->g.r[4].dst_port, 0x0303);
    assert_int_equal(x->g.r[5].src_port, 0);
    assert_int_equal(x->g.r[5].dst_port, 0x0303);
    /* neighbour solicitation 135, counterpart 136: code 0, not 136 */
    reset(x);
    zeek_header(&x->t, 0);
    zeek_conn(&x->t, &(zconn){.proto = "icmp", .oh = "::",
                              .rh = "ff02::1:ff7f:abb3",
                              .op = "135", .rp = "136"}, 0);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->g.n, 1);
    assert_int_equal(x->g.r[0].dst_port, 135 << 8);
}

static const import_label *find_label(const import_label *rows, size_t n,
                                      const char *ip, uint16_t port,
                                      uint8_t proto)
{
    flow_addr a;
    addr(ip, &a);
    for (size_t i = 0; i < n; i++)
        if (!flow_addr_cmp(&rows[i].ip, &a) && rows[i].port == port &&
            rows[i].proto == proto)
            return &rows[i];
    return NULL;
}

static void test_zeek_labels(void **state)
{
    fx *x = *state;
    import_labels *labels;
    assert_int_equal(import_labels_new(&labels, &x->err), 0);
    zeek_header(&x->t, 1);
    zeek_conn(&x->t, &(zconn){.rh = "41.108.179.197", .rp = "1177",
                              .label = "Malicious", .dlabel = "CC"}, 1);
    zeek_conn(&x->t, &(zconn){.rh = "41.108.179.197", .rp = "1177",
                              .ts = "1700000100.000", .dur = "2",
                              .label = "Malicious", .dlabel = "CC"}, 1);
    zeek_conn(&x->t, &(zconn){.rh = "8.8.8.8", .rp = "53", .proto = "udp",
                              .label = "Benign", .dlabel = "(empty)"}, 1);
    zeek_conn(&x->t, &(zconn){.rh = "9.9.9.9"}, 1);        /* unlabelled */
    assert_int_equal(run(x, IMPORT_ZEEK, labels), 0);
    assert_int_equal(x->g.n, 4);
    import_label *rows;
    size_t n;
    assert_int_equal(import_labels_list(labels, &rows, &n, &x->err), 0);
    assert_int_equal(n, 2);
    const import_label *cc = find_label(rows, n, "41.108.179.197", 1177, 6);
    assert_non_null(cc);
    assert_string_equal(cc->label, "Malicious-CC");
    assert_int_equal(cc->first_ms, T0);
    assert_int_equal(cc->last_ms, 1700000102000LL);
    assert_int_equal(cc->connections, 2);
    const import_label *dns = find_label(rows, n, "8.8.8.8", 53, 17);
    assert_non_null(dns);
    assert_string_equal(dns->label, "Benign");
    free(rows);

    char *csv = NULL;
    size_t csvlen = 0;
    FILE *f = open_memstream(&csv, &csvlen);
    assert_int_equal(import_labels_write_csv(labels, f, &x->err), 0);
    fclose(f);
    assert_string_equal(csv,
        "ip,port,proto,label,first,last\n"
        "8.8.8.8,53,udp,Benign,2023-11-14T22:13:20.123Z,"
        "2023-11-14T22:13:21.623Z\n"
        "41.108.179.197,1177,tcp,Malicious-CC,2023-11-14T22:13:20.123Z,"
        "2023-11-14T22:15:02.000Z\n");
    free(csv);
    import_labels_free(labels);
}

/* IoT-23 writes "tunnel_parents   label   detailed-label" (three spaces)
 * inside the last tab-separated field, header and data alike. */
static void test_zeek_three_space_labels(void **state)
{
    fx *x = *state;
    import_labels *labels;
    assert_int_equal(import_labels_new(&labels, &x->err), 0);
    add(&x->t, "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\t"
               "id.resp_h\tid.resp_p\tproto\tduration\torig_pkts\t"
               "orig_ip_bytes\tresp_pkts\tresp_ip_bytes\t"
               "tunnel_parents   label   detailed-label\n");
    add(&x->t, "1700000000.123\t10.0.0.1\t5000\t198.51.100.9\t6667\ttcp\t"
               "1\t3\t180\t0\t0\t-   Malicious   C&C-HeartBeat\n");
    add(&x->t, "1700000000.123\t10.0.0.1\t5001\t198.51.100.10\t23\ttcp\t"
               "1\t1\t60\t0\t0\t-   Benign   -\n");
    assert_int_equal(run(x, IMPORT_ZEEK, labels), 0);
    assert_int_equal(x->g.n, 2);
    import_label *rows;
    size_t n;
    assert_int_equal(import_labels_list(labels, &rows, &n, &x->err), 0);
    assert_int_equal(n, 2);
    const import_label *cc = find_label(rows, n, "198.51.100.9", 6667, 6);
    assert_non_null(cc);
    assert_string_equal(cc->label, "Malicious-C&C-HeartBeat");
    assert_string_equal(find_label(rows, n, "198.51.100.10", 23, 6)->label,
                        "Benign");
    free(rows);
    import_labels_free(labels);
}

static void test_zeek_bad_lines(void **state)
{
    fx *x = *state;
    zeek_header(&x->t, 0);                                   /* lines 1-8 */
    zeek_conn(&x->t, &(zconn){0}, 0);                        /* 9: good */
    zeek_conn(&x->t, &(zconn){.oh = "10.0.0.300"}, 0);       /* 10 */
    add(&x->t, "1700000000.1\tonly\tthree\n");               /* 11 */
    zeek_conn(&x->t, &(zconn){.ts = "17e8"}, 0);             /* 12 */
    zeek_conn(&x->t, &(zconn){.opk = "-3"}, 0);              /* 13 */
    zeek_conn(&x->t, &(zconn){.proto = "sctp"}, 0);          /* 14 */
    zeek_conn(&x->t, &(zconn){.proto = "unknown_transport"}, 0); /* 15 */
    add(&x->t, "\n");                                        /* 16 */
    zeek_conn(&x->t, &(zconn){.rp = "99999"}, 0);            /* 17 */
    zeek_conn(&x->t, &(zconn){.rh = "2001:db8::1"}, 0);      /* 18 */
    zeek_conn(&x->t, &(zconn){.op = "7"}, 0);                /* 19: good */
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->st.lines, 19);
    assert_int_equal(x->st.flows, 2);
    assert_int_equal(x->st.bad, 7);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_UNKNOWN_PROTO], 1);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_BLANK], 1);
    assert_true(has_bad(&x->st, 10, "address"));
    assert_true(has_bad(&x->st, 11, "columns"));
    assert_true(has_bad(&x->st, 12, "ts"));
    assert_true(has_bad(&x->st, 13, "count"));
    assert_true(has_bad(&x->st, 14, "proto"));
    assert_true(has_bad(&x->st, 17, "port"));
    assert_true(has_bad(&x->st, 18, "famil"));
    assert_int_equal(x->g.r[1].src_port, 7);
}

static void test_zeek_header_errors(void **state)
{
    fx *x = *state;
    /* data before any #fields: the columns are unknown, so stop */
    zeek_conn(&x->t, &(zconn){0}, 0);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), -1);
    assert_non_null(strstr(x->err.msg, "#fields"));
    assert_non_null(strstr(x->err.msg, "line 1"));
    /* a #fields line without the address columns */
    reset(x);
    add(&x->t, "#fields\tts\tproto\n");
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), -1);
    assert_non_null(strstr(x->err.msg, "id.orig_h"));
    /* empty input has no header either */
    reset(x);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), -1);
    assert_non_null(strstr(x->err.msg, "header"));
}

/* #separator may name another byte; #unset_field another marker. */
static void test_zeek_other_separator(void **state)
{
    fx *x = *state;
    add(&x->t, "#separator \\x2c\n#unset_field,?\n#fields,ts,id.orig_h,"
               "id.orig_p,id.resp_h,id.resp_p,proto,orig_pkts,orig_ip_bytes,"
               "resp_pkts,resp_ip_bytes\n"
               "1700000000.123,10.0.0.1,1,10.0.0.2,2,udp,?,100,1,50\r\n");
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->g.n, 2);
    assert_int_equal(x->g.r[0].packets, 0);
    assert_int_equal(x->g.r[0].bytes, 100);
    assert_int_equal(x->g.r[1].bytes, 50);
}

/* ---- binetflow fixtures ---- */

/* Columns of one binetflow line; NULL = the default in bn_line(). */
typedef struct bconn {
    const char *start, *dur, *proto, *saddr, *sport, *dir, *daddr, *dport;
    const char *state, *stos, *dtos, *totpkts, *totbytes, *srcbytes;
    const char *srcpkts, *label;
} bconn;

/* The CTU-13 header, with or without SrcPkts, joined by sep. */
static void bn_header(text *t, char sep, int srcpkts)
{
    add(t, "StartTime%cDur%cProto%cSrcAddr%cSport%cDir%cDstAddr%cDport%c"
           "State%csTos%cdTos%cTotPkts%cTotBytes%cSrcBytes%s%cLabel\n",
        sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep,
        srcpkts ? (sep == ',' ? ",SrcPkts" : "\tSrcPkts") : "", sep);
}

/* One line.  Defaults: 2023/11/14 22:13:20.123456, 1.5 s, TCP
 * 10.0.0.1:40000 -> 192.0.2.7:80, State S_RA, 3 packets / 300 bytes in all,
 * 1 packet / 60 bytes from the source, no label. */
static void bn_line(text *t, char sep, int srcpkts, const bconn *c)
{
#define D(f, v) (c->f ? c->f : (v))
    add(t, "%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s%c%s",
        D(start, "2023/11/14 22:13:20.123456"), sep, D(dur, "1.5"), sep,
        D(proto, "tcp"), sep, D(saddr, "10.0.0.1"), sep, D(sport, "40000"),
        sep, D(dir, "   ->"), sep, D(daddr, "192.0.2.7"), sep,
        D(dport, "80"), sep, D(state, "S_RA"), sep, D(stos, "0"), sep,
        D(dtos, "0"), sep, D(totpkts, "3"), sep, D(totbytes, "300"), sep,
        D(srcbytes, "60"));
    if (srcpkts)
        add(t, "%c%s", sep, D(srcpkts, "1"));
    add(t, "%c%s\n", sep, D(label, ""));
#undef D
}

static void test_binetflow_split_flags_label(void **state)
{
    fx *x = *state;
    import_labels *labels;
    assert_int_equal(import_labels_new(&labels, &x->err), 0);
    bn_header(&x->t, ',', 1);
    bn_line(&x->t, ',', 1, &(bconn){.state = "FSPA_FSA", .stos = "8",
                                    .dtos = "16", .dir = "  <?>",
                                    .label = "flow=From-Botnet-V42-TCP-CC1"});
    assert_int_equal(run(x, IMPORT_BINETFLOW, labels), 0);
    assert_int_equal(x->g.n, 2);
    const flow_record *f = &x->g.r[0], *r = &x->g.r[1];
    assert_int_equal(f->start_ms, T0);
    assert_int_equal(f->end_ms, T0 + 1500);
    assert_int_equal(f->packets, 1);
    assert_int_equal(f->bytes, 60);
    assert_int_equal(f->tcp_flags, 0x01 | 0x02 | 0x08 | 0x10);
    assert_int_equal(f->tos, 8);
    assert_int_equal(r->packets, 2);
    assert_int_equal(r->bytes, 240);
    assert_int_equal(r->tcp_flags, 0x01 | 0x02 | 0x10);
    assert_int_equal(r->tos, 16);
    assert_int_equal(r->src_port, 80);
    assert_int_equal(r->dst_port, 40000);
    import_label *rows;
    size_t n;
    assert_int_equal(import_labels_list(labels, &rows, &n, &x->err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].label, "From-Botnet-V42-TCP-CC1");
    assert_int_equal(rows[0].port, 80);
    free(rows);
    import_labels_free(labels);
}

static void test_binetflow_tab_and_states(void **state)
{
    fx *x = *state;
    bn_header(&x->t, '\t', 1);
    /* non-TCP and letterless TCP states give no flags */
    bn_line(&x->t, '\t', 1, &(bconn){.proto = "udp", .state = "CON"});
    bn_line(&x->t, '\t', 1, &(bconn){.state = "REQ", .dir = "  who"});
    bn_line(&x->t, '\t', 1, &(bconn){.state = "S_", .totpkts = "1",
                                     .totbytes = "60"});
    assert_int_equal(run(x, IMPORT_BINETFLOW, NULL), 0);
    assert_int_equal(x->g.n, 5);
    assert_int_equal(x->g.r[0].tcp_flags, 0);
    assert_int_equal(x->g.r[0].proto, 17);
    assert_int_equal(x->g.r[2].tcp_flags, 0);
    assert_int_equal(x->g.r[4].tcp_flags, 0x02);
    assert_int_equal(x->g.r[4].packets, 1);
}

/* Without SrcPkts, packets follow bytes (see binetflow.c). */
static void test_binetflow_missing_srcpkts(void **state)
{
    fx *x = *state;
    bn_header(&x->t, ',', 0);
    bn_line(&x->t, ',', 0, &(bconn){.totpkts = "10", .totbytes = "1000",
                                    .srcbytes = "250"});   /* 2.5 -> 3 / 7 */
    bn_line(&x->t, ',', 0, &(bconn){.totpkts = "4", .totbytes = "400",
                                    .srcbytes = "400"});   /* all forward */
    bn_line(&x->t, ',', 0, &(bconn){.totpkts = "2", .totbytes = "1000",
                                    .srcbytes = "1"});     /* at least 1 */
    bn_line(&x->t, ',', 0, &(bconn){.totpkts = "100", .totbytes = "1000",
                                    .srcbytes = "999"});   /* at most 99 */
    assert_int_equal(run(x, IMPORT_BINETFLOW, NULL), 0);
    assert_int_equal(x->g.n, 7);
    assert_int_equal(x->g.r[0].packets, 3);
    assert_int_equal(x->g.r[0].bytes, 250);
    assert_int_equal(x->g.r[1].packets, 7);
    assert_int_equal(x->g.r[1].bytes, 750);
    assert_int_equal(x->g.r[2].packets, 4);
    assert_int_equal(x->g.r[2].bytes, 400);
    assert_int_equal(x->g.r[3].packets, 1);
    assert_int_equal(x->g.r[4].packets, 1);
    assert_int_equal(x->g.r[4].bytes, 999);
    assert_int_equal(x->g.r[5].packets, 99);
    assert_int_equal(x->g.r[6].packets, 1);
}

static void test_binetflow_ports_and_icmp(void **state)
{
    fx *x = *state;
    bn_header(&x->t, ',', 1);
    bn_line(&x->t, ',', 1, &(bconn){.sport = "0x9c40", .dport = "0x0050"});
    /* Argus echo: Sport 0x0008 = type 8 code 0, Dport the ICMP id */
    bn_line(&x->t, ',', 1, &(bconn){.proto = "icmp", .sport = "0x0008",
                                    .dport = "0x7208", .state = "ECO"});
    /* Argus port unreachable: 0x0303 = type 3 code 3 */
    bn_line(&x->t, ',', 1, &(bconn){.proto = "icmp", .sport = "0x0303",
                                    .dport = "0x0ecc", .state = "URP",
                                    .totpkts = "1", .srcpkts = "1"});
    /* another writer: type in Sport, code in Dport */
    bn_line(&x->t, ',', 1, &(bconn){.proto = "icmp", .sport = "0x03",
                                    .dport = "0x01", .totpkts = "1"});
    bn_line(&x->t, ',', 1, &(bconn){.proto = "ipv6-icmp", .saddr = "fe80::1",
                                    .daddr = "ff02::1:ffdd:53e7",
                                    .sport = "135", .dport = "0",
                                    .totpkts = "1"});
    assert_int_equal(run(x, IMPORT_BINETFLOW, NULL), 0);
    assert_int_equal(x->g.n, 7);
    assert_int_equal(x->g.r[0].src_port, 40000);
    assert_int_equal(x->g.r[0].dst_port, 80);
    assert_int_equal(x->g.r[2].proto, 1);
    assert_int_equal(x->g.r[2].src_port, 0);
    assert_int_equal(x->g.r[2].dst_port, 0x0800);
    assert_int_equal(x->g.r[2].tcp_flags, 0);
    assert_int_equal(x->g.r[3].dst_port, 0x0000);   /* the echo reply */
    assert_int_equal(x->g.r[4].dst_port, 0x0303);
    assert_int_equal(x->g.r[5].dst_port, 0x0301);
    assert_int_equal(x->g.r[6].proto, 58);
    assert_int_equal(x->g.r[6].dst_port, 135 << 8);
    assert_addr(&x->g.r[6].dst_addr, "ff02::1:ffdd:53e7");
}

static void test_binetflow_skipped_and_bad(void **state)
{
    fx *x = *state;
    bn_header(&x->t, '\t', 1);                                        /* 1 */
    bn_line(&x->t, '\t', 1, &(bconn){.proto = "man", .saddr = "0",
                                     .daddr = "0", .dir = ""});        /* 2 */
    bn_line(&x->t, '\t', 1, &(bconn){.proto = "llc",
                                     .saddr = "00:00:00:00:00:00",
                                     .daddr = "00:00:00:00:00:00"});   /* 3 */
    bn_line(&x->t, '\t', 1, &(bconn){.proto = "arp", .sport = "",
                                     .dport = ""});                    /* 4 */
    bn_line(&x->t, '\t', 1, &(bconn){.proto = "unas"});               /* 5 */
    bn_line(&x->t, '\t', 1, &(bconn){.start = "2023/13/14 22:13:20"}); /* 6 */
    bn_line(&x->t, '\t', 1, &(bconn){.srcpkts = "4"});                /* 7 */
    bn_line(&x->t, '\t', 1, &(bconn){.srcbytes = "301"});             /* 8 */
    add(&x->t, "2023/11/14 22:13:20\t1\ttcp\n");                      /* 9 */
    bn_line(&x->t, '\t', 1, &(bconn){.sport = "0xfffff"});            /* 10 */
    bn_line(&x->t, '\t', 1, &(bconn){.stos = "256"});                 /* 11 */
    bn_line(&x->t, '\t', 1, &(bconn){.proto = "igmp", .sport = "",
                                     .dport = ""});                   /* 12 */
    assert_int_equal(run(x, IMPORT_BINETFLOW, NULL), 0);
    assert_int_equal(x->st.lines, 12);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_HEADER], 1);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_NON_IP], 3);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_UNKNOWN_PROTO], 1);
    assert_int_equal(x->st.bad, 6);
    assert_true(has_bad(&x->st, 6, "StartTime"));
    assert_true(has_bad(&x->st, 7, "SrcPkts"));
    assert_true(has_bad(&x->st, 8, "SrcBytes"));
    assert_true(has_bad(&x->st, 9, "columns"));
    assert_true(has_bad(&x->st, 10, "port"));
    assert_true(has_bad(&x->st, 11, "Tos"));
    assert_int_equal(x->st.flows, 1);
    assert_int_equal(x->g.r[0].proto, 2);              /* igmp, no ports */
    assert_int_equal(x->g.r[0].dst_port, 0);
    /* a first line that is no binetflow header stops the import */
    reset(x);
    add(&x->t, "ts,te,td,sa,da\n");
    assert_int_equal(run(x, IMPORT_BINETFLOW, NULL), -1);
    assert_non_null(strstr(x->err.msg, "StartTime"));
}

/* ---- nfdump CSV fixtures ---- */

/* The header nfdump 1.7 prints for -o csv. */
static void nf_header(text *t)
{
    add(t, "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,"
           "out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,"
           "osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,"
           "mpls10,cl,sl,al,ra,eng,exid,tr\n");
}

/* Fields of one line; NULL = default in nf_line(). */
typedef struct nconn {
    const char *ts, *td, *sa, *da, *sp, *dp, *pr, *flg, *stos, *ipkt, *ibyt;
    const char *opkt, *obyt, *in, *out, *sas, *das, *dtos, *ra, *eng;
} nconn;

/* One line.  Defaults: 2023-11-14 22:13:20, 1.234 s, TCP
 * 10.0.0.1:40000 -> 192.0.2.7:443 flags ...A..S., 2 packets / 120 bytes,
 * nothing back, interfaces 3 -> 4, AS 0, exporter 0.0.0.0, engine 0/0. */
static void nf_line(text *t, const nconn *c)
{
#define D(f, v) (c->f ? c->f : (v))
    add(t, "%s,2023-11-14 22:13:21,%s,%s,%s,%s,%s,%s,%s,0,%s,%s,%s,%s,%s,"
           "%s,%s,%s,%s,0,0,%s,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,"
           "00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,"
           "0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    "
           "0.000,    0.000,    0.000,%s,%s,1,1970-01-01 00:00:00.000\n",
        D(ts, "2023-11-14 22:13:20"), D(td, "1.234"), D(sa, "10.0.0.1"),
        D(da, "192.0.2.7"), D(sp, "40000"), D(dp, "443"), D(pr, "TCP"),
        D(flg, "...A..S."), D(stos, "0"), D(ipkt, "2"), D(ibyt, "120"),
        D(opkt, "0"), D(obyt, "0"), D(in, "3"), D(out, "4"), D(sas, "0"),
        D(das, "0"), D(dtos, "0"), D(ra, "0.0.0.0"), D(eng, "0/0"));
#undef D
}

/* The trailer nfdump prints after the records. */
static void nf_summary(text *t)
{
    add(t, "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
           "1,120,2,777,1,60\n");
}

static void test_nfcsv_record(void **state)
{
    fx *x = *state;
    nf_header(&x->t);
    nf_line(&x->t, &(nconn){.stos = "40", .sas = "64500", .das = "64501",
                            .ra = "192.0.2.254", .eng = "1/58",
                            .flg = "C..A.R.F"});
    nf_summary(&x->t);
    assert_int_equal(run(x, IMPORT_NFDUMP_CSV, NULL), 0);
    assert_int_equal(x->g.n, 1);
    const flow_record *f = &x->g.r[0];
    assert_int_equal(f->start_ms, T0 - 123);        /* ts to the second */
    assert_int_equal(f->end_ms, T0 - 123 + 1234);
    assert_int_equal(f->packets, 2);
    assert_int_equal(f->bytes, 120);
    assert_int_equal(f->tcp_flags, 0x80 | 0x10 | 0x04 | 0x01);
    assert_int_equal(f->tos, 40);
    assert_int_equal(f->in_if, 3);
    assert_int_equal(f->out_if, 4);
    assert_int_equal(f->src_as, 64500);
    assert_int_equal(f->dst_as, 64501);
    assert_int_equal(f->domain, 58);
    assert_addr(&f->exporter, "192.0.2.254");
    assert_int_equal(x->st.skipped[IMPORT_SKIP_HEADER], 1);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_TRAILER], 3);
    assert_int_equal(x->st.bad, 0);
}

static void test_nfcsv_biflow_icmp_ipv6(void **state)
{
    fx *x = *state;
    nf_header(&x->t);
    nf_line(&x->t, &(nconn){.opkt = "5", .obyt = "5000", .dtos = "8",
                            .sas = "1", .das = "2"});
    nf_line(&x->t, &(nconn){.pr = "ICMP", .sp = "0", .dp = "2048",
                            .flg = "........"});
    nf_line(&x->t, &(nconn){.pr = "ICMP", .sp = "0", .dp = "3.3"});
    nf_line(&x->t, &(nconn){.pr = "ICMP6", .sa = "2001:db8::1",
                            .da = "2001:db8::2", .dp = "128.0"});
    nf_line(&x->t, &(nconn){.pr = "47", .sp = "0", .dp = "0"});
    add(&x->t, "\n");
    nf_summary(&x->t);
    assert_int_equal(run(x, IMPORT_NFDUMP_CSV, NULL), 0);
    assert_int_equal(x->g.n, 6);
    const flow_record *r = &x->g.r[1];
    assert_int_equal(r->packets, 5);
    assert_int_equal(r->bytes, 5000);
    assert_int_equal(r->in_if, 4);
    assert_int_equal(r->out_if, 3);
    assert_int_equal(r->src_as, 2);
    assert_int_equal(r->dst_as, 1);
    assert_int_equal(r->tos, 8);
    assert_int_equal(r->src_port, 443);
    assert_int_equal(r->tcp_flags, x->g.r[0].tcp_flags);
    assert_int_equal(x->g.r[2].dst_port, 0x0800);
    assert_int_equal(x->g.r[2].tcp_flags, 0);
    assert_int_equal(x->g.r[3].dst_port, 0x0303);
    assert_int_equal(x->g.r[4].proto, 58);
    assert_int_equal(x->g.r[4].dst_port, 128 << 8);
    assert_int_equal(x->g.r[5].proto, 47);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_BLANK], 1);
}

static void test_nfcsv_bad_and_trailer(void **state)
{
    fx *x = *state;
    nf_header(&x->t);                                            /* 1 */
    nf_line(&x->t, &(nconn){.ts = "2023-11-14 25:00:00"});       /* 2 */
    nf_line(&x->t, &(nconn){.sa = "x.y"});                       /* 3 */
    add(&x->t, "2023-11-14 22:13:20,1,2\n");                     /* 4 */
    nf_line(&x->t, &(nconn){.flg = "...A..S?x"});                /* 5 */
    nf_line(&x->t, &(nconn){.ipkt = "many"});                    /* 6 */
    nf_line(&x->t, &(nconn){.pr = "ICMP", .dp = "300.1"});       /* 7 */
    nf_line(&x->t, &(nconn){0});                                 /* 8 good */
    add(&x->t, "No matching flows\n");                           /* 9 */
    nf_summary(&x->t);                                           /* 10-12 */
    assert_int_equal(run(x, IMPORT_NFDUMP_CSV, NULL), 0);
    assert_int_equal(x->st.lines, 12);
    assert_int_equal(x->st.bad, 6);
    assert_int_equal(x->st.flows, 1);
    assert_int_equal(x->st.skipped[IMPORT_SKIP_TRAILER], 4);
    assert_true(has_bad(&x->st, 2, "ts"));
    assert_true(has_bad(&x->st, 3, "address"));
    assert_true(has_bad(&x->st, 4, "columns"));
    assert_true(has_bad(&x->st, 5, "flg"));
    assert_true(has_bad(&x->st, 6, "count"));
    assert_true(has_bad(&x->st, 7, "port"));
}

/* ---- labels table ---- */

static void test_labels_table_grows(void **state)
{
    (void)state;
    import_labels *l;
    c2_err err;
    char label[32];
    assert_int_equal(import_labels_new(&l, &err), 0);
    /* 3000 addresses x 2 labels, each seen twice: 6000 rows */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < 3000; i++)
            for (int k = 0; k < 2; k++) {
                flow_addr a;
                flow_addr_from_v4(&a, 0x0a000000u + i);
                snprintf(label, sizeof label, "L%u", (unsigned)(i % 500 + k));
                assert_int_equal(import_labels_add(l, &a, 80, 6, label,
                                                   1000 + pass, 2000 + pass,
                                                   &err), 0);
            }
    assert_int_equal(import_labels_count(l), 6000);
    import_label *rows;
    size_t n;
    assert_int_equal(import_labels_list(l, &rows, &n, &err), 0);
    assert_int_equal(n, 6000);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].connections, 2);
        assert_int_equal(rows[i].first_ms, 1000);
        assert_int_equal(rows[i].last_ms, 2001);
        if (i > 0)
            assert_true(flow_addr_cmp(&rows[i - 1].ip, &rows[i].ip) < 0 ||
                        strcmp(rows[i - 1].label, rows[i].label) < 0);
    }
    free(rows);
    import_labels_free(l);
}

static void test_format_names(void **state)
{
    (void)state;
    assert_int_equal(import_format_lookup("zeek"), IMPORT_ZEEK);
    assert_int_equal(import_format_lookup("binetflow"), IMPORT_BINETFLOW);
    assert_int_equal(import_format_lookup("nfdump-csv"), IMPORT_NFDUMP_CSV);
    assert_int_equal(import_format_lookup("nfdump"), IMPORT_NFDUMP);
    assert_int_equal(import_format_lookup("netflow"), -1);
    assert_string_equal(import_format_name(IMPORT_NFDUMP_CSV), "nfdump-csv");
    assert_string_equal(import_skip_name(IMPORT_SKIP_NON_IP), "non-ip");
}

/* Batches: never more than IMPORT_BATCH, and all records arrive. */
static void test_batches(void **state)
{
    fx *x = *state;
    zeek_header(&x->t, 0);
    for (int i = 0; i < 5000; i++)
        zeek_conn(&x->t, &(zconn){.rpk = "1"}, 0);
    assert_int_equal(run(x, IMPORT_ZEEK, NULL), 0);
    assert_int_equal(x->g.n, 10000);
    assert_int_equal(x->g.calls, 3);       /* 4096 + 4096 + 1808 */
}

static int failing_sink(const flow_record *recs, size_t n, void *arg,
                        c2_err *err)
{
    (void)recs; (void)n; (void)arg;
    return c2_fail(err, "disk full");
}

static void test_sink_error_stops(void **state)
{
    (void)state;
    text t = {0};
    import_stats st;
    c2_err err;
    zeek_header(&t, 0);
    zeek_conn(&t, &(zconn){0}, 0);
    assert_int_equal(import_parse_buffer(IMPORT_ZEEK, t.s, t.len,
                                         failing_sink, NULL, NULL, &st,
                                         &err), -1);
    assert_non_null(strstr(err.msg, "disk full"));
    free(t.s);
}

static void test_files(void **state)
{
    (void)state;
    c2_err err;
    import_stats st;
    got g = {0};
    assert_int_equal(import_file(IMPORT_ZEEK, "/nonexistent/conn.log",
                                 collect, &g, NULL, &st, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/conn.log"));
    /* nfdump missing from PATH gives a clear message */
    char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent", 1);
    assert_int_equal(import_file(IMPORT_NFDUMP, "x.nfcapd", collect, &g,
                                 NULL, &st, &err), -1);
    assert_non_null(strstr(err.msg, "nfdump is not installed"));
    if (path) {
        setenv("PATH", path, 1);
        free(path);
    }
}

/* A stream with lines far over the limit: each is one bad line, skipped
 * without being held whole, and the lines around them still import. */
static void test_stream_overlong_lines(void **state)
{
    (void)state;
    text t = {0};
    bn_header(&t, ',', 1);
    bn_line(&t, ',', 1, &(bconn){0});
    FILE *f = tmpfile();
    assert_non_null(f);
    fwrite(t.s, 1, t.len, f);
    for (int k = 0; k < 2; k++) {              /* 3 MiB, then 3 MiB with no end */
        static char junk[1 << 16];
        memset(junk, 'x', sizeof junk);
        for (int i = 0; i < 48; i++) fwrite(junk, 1, sizeof junk, f);
        if (k == 0) {
            fputc('\n', f);
            fwrite(t.s + strcspn(t.s, "\n") + 1, 1,
                   t.len - strcspn(t.s, "\n") - 1, f);   /* a good line again */
        }
    }
    rewind(f);
    got g = {0};
    import_stats st;
    c2_err err;
    assert_int_equal(import_parse_stream(IMPORT_BINETFLOW, f, collect, &g, NULL, &st,
                                         &err), 0);
    fclose(f);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.bad, 2);
    assert_int_equal(st.bad_first[0].line, 3);
    assert_non_null(strstr(st.bad_first[0].reason, "longer than"));
    assert_int_equal(st.bad_first[1].line, 5);
    assert_int_equal(g.n, 4);                  /* two good lines, two records each */
    free(g.r);
    free(t.s);
}

/* A test run with the fx fixture. */
#define FX(test) cmocka_unit_test_setup_teardown(test, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_zeek_bidirectional_tcp),
        FX(test_zeek_unset_and_one_way),
        FX(test_zeek_icmp_and_ipv6),
        FX(test_zeek_labels),
        FX(test_zeek_three_space_labels),
        FX(test_zeek_bad_lines),
        FX(test_zeek_header_errors),
        FX(test_zeek_other_separator),
        FX(test_binetflow_split_flags_label),
        FX(test_binetflow_tab_and_states),
        FX(test_binetflow_missing_srcpkts),
        FX(test_binetflow_ports_and_icmp),
        FX(test_binetflow_skipped_and_bad),
        FX(test_nfcsv_record),
        FX(test_nfcsv_biflow_icmp_ipv6),
        FX(test_nfcsv_bad_and_trailer),
        cmocka_unit_test(test_labels_table_grows),
        cmocka_unit_test(test_format_names),
        FX(test_batches),
        cmocka_unit_test(test_sink_error_stops),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_stream_overlong_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
