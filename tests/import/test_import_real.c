/*
 * test_import_real.c: the importers on the public captures in
 * ../shared/data/real/ (C2FLOW_SHARED_DATA); exit 77 where they are absent.
 *
 * What each import should give is computed here from the file itself by
 * simpler, separate logic (split the line, read a few columns by header
 * name, add up), never taken from the importer: data lines, records
 * (one per data line plus one per line whose responder sent packets) and
 * packet and byte totals, which every record split must preserve.  For
 * the nfdump file the reference is `nfdump -I` (its own flow, packet and
 * byte counts).  The figures were also checked by hand with awk, e.g.
 *   awk -F'\t' '/^#fields/{...resp_pkts column...} !/^#/{n++; if($c>0)r++}'
 * and are asserted as constants too, so that a change of the reference
 * logic cannot hide a change of the importer:
 *   zeek_njrat_botnet-230-1_labeled-conn.log  992 lines -> 1431 records
 *   port-scans_horizontal_conn.log              41 lines ->   71 records
 *   test3-mixed.binetflow                       89 lines ->  141 records
 *   test4-malicious.binetflow  392 (+2 arp)         lines ->  512 records
 *   test5-mixed.binetflow      296 (+2 arp, llc, man)    ->  578 records
 *   test11-portscan.binetflow                   66 lines ->   86 records
 *   test1-malicious.nfdump   4593 flows (nfdump -I), 4652 packets,
 *                            241025 bytes, no reverse counters -> 4593
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import.h"

static const char *data_dir;

/* What a file should give. */
typedef struct expect {
    uint64_t flows, records, packets, bytes, non_ip;
} expect;

/* What the importer gave: totals and record sanity, no record kept. */
typedef struct totals {
    uint64_t records, packets, bytes;
} totals;

static int sum_sink(const flow_record *recs, size_t n, void *arg, c2_err *err)
{
    totals *t = arg;
    (void)err;
    for (size_t i = 0; i < n; i++) {
        const flow_record *r = &recs[i];
        assert_true(r->end_ms >= r->start_ms);
        assert_int_equal(r->sampling, 1);
        if (r->proto == 1 || r->proto == 58)
            assert_int_equal(r->src_port, 0);
        t->packets += r->packets;
        t->bytes += r->bytes;
    }
    t->records += n;
    return 0;
}

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", data_dir, name);
}

/* Split s at sep in place; returns the field count (at most max). */
static int split(char *s, char sep, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (; *s && n < max; s++)
        if (*s == sep) {
            *s = '\0';
            f[n++] = s + 1;
        }
    return n;
}

static int find(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return i;
    return -1;
}

/* Reference counts of a Zeek conn.log: columns from #fields. */
static void zeek_expect(const char *name, expect *e)
{
    char path[4096];
    path_of(path, sizeof path, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192], *f[64];
    int op = -1, ob = -1, rp = -1, rb = -1;
    memset(e, 0, sizeof *e);
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        int n = split(line, '\t', f, 64);
        if (strcmp(f[0], "#fields") == 0) {
            op = find(f + 1, n - 1, "orig_pkts");
            ob = find(f + 1, n - 1, "orig_ip_bytes");
            rp = find(f + 1, n - 1, "resp_pkts");
            rb = find(f + 1, n - 1, "resp_ip_bytes");
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        assert_true(rp >= 0);
        uint64_t resp = strtoull(f[rp], NULL, 10);
        e->flows++;
        e->records += 1 + (resp > 0);
        e->packets += strtoull(f[op], NULL, 10) + resp;
        e->bytes += strtoull(f[ob], NULL, 10) + strtoull(f[rb], NULL, 10);
    }
    fclose(fp);
}

static int is_non_ip(const char *proto)
{
    return !strcmp(proto, "arp") || !strcmp(proto, "llc") ||
           !strcmp(proto, "man") || !strcmp(proto, "rarp");
}

/* Reference counts of a binetflow file (tab or comma, header first). */
static void binetflow_expect(const char *name, expect *e)
{
    char path[4096];
    path_of(path, sizeof path, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192], *f[64];
    int pr = -1, tp = -1, tb = -1, sb = -1, sp = -1;
    char sep = 0;
    memset(e, 0, sizeof *e);
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!sep) {
            sep = strchr(line, '\t') ? '\t' : ',';
            int n = split(line, sep, f, 64);
            pr = find(f, n, "Proto");
            tp = find(f, n, "TotPkts");
            tb = find(f, n, "TotBytes");
            sb = find(f, n, "SrcBytes");
            sp = find(f, n, "SrcPkts");    /* absent from test4 */
            continue;
        }
        split(line, sep, f, 64);
        if (is_non_ip(f[pr])) {
            e->non_ip++;
            continue;
        }
        uint64_t pk = strtoull(f[tp], NULL, 10), by = strtoull(f[tb], NULL, 10);
        uint64_t sby = strtoull(f[sb], NULL, 10);
        int reverse = sp >= 0 ? strtoull(f[sp], NULL, 10) < pk
                              : (sby < by && pk >= 2);
        e->flows++;
        e->records += 1 + reverse;
        e->packets += pk;
        e->bytes += by;
    }
    fclose(fp);
}

/* Import name as fmt; what it gave must match e. */
static void import_checked(import_format fmt, const char *name,
                           const expect *e, import_labels *labels,
                           import_stats *st)
{
    char path[4096];
    totals t = {0};
    c2_err err;
    path_of(path, sizeof path, name);
    if (import_file(fmt, path, sum_sink, &t, labels, st, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(st->bad, 0);
    assert_int_equal(st->flows, e->flows);
    assert_int_equal(st->records, e->records);
    assert_int_equal(t.records, e->records);
    assert_int_equal(t.packets, e->packets);
    assert_int_equal(t.bytes, e->bytes);
}

static void import_zeek(const char *name, uint64_t flows, uint64_t records,
                        import_labels *labels)
{
    expect e;
    import_stats st;
    zeek_expect(name, &e);
    assert_int_equal(e.flows, flows);
    assert_int_equal(e.records, records);
    import_checked(IMPORT_ZEEK, name, &e, labels, &st);
    assert_int_equal(st.skipped[IMPORT_SKIP_HEADER], 8);
}

static void test_zeek_files(void **state)
{
    (void)state;
    import_zeek("port-scans_horizontal_conn.log", 41, 71, NULL);
    import_zeek("zeek_njrat_botnet-230-1_labeled-conn.log", 992, 1431, NULL);
}

static void test_njrat_labels(void **state)
{
    (void)state;
    import_labels *labels;
    c2_err err;
    flow_addr c2;
    assert_int_equal(import_labels_new(&labels, &err), 0);
    import_zeek("zeek_njrat_botnet-230-1_labeled-conn.log", 992, 1431, labels);
    import_label *rows;
    size_t n, found = 0;
    assert_int_equal(import_labels_list(labels, &rows, &n, &err), 0);
    assert_int_equal(flow_addr_parse("41.108.179.197", &c2), 0);
    for (size_t i = 0; i < n; i++)
        if (!flow_addr_cmp(&rows[i].ip, &c2) && rows[i].port == 1177 &&
            rows[i].proto == 6) {
            assert_non_null(strstr(rows[i].label, "CC"));
            assert_true(rows[i].connections > 1);
            found++;
        }
    assert_int_equal(found, 1);
    /* distinct (resp_h, resp_p, proto, label) counted with awk: 77 */
    assert_int_equal(n, 77);
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    assert_int_equal(import_labels_write_csv(labels, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(csv, "\n41.108.179.197,1177,tcp,Malicious-CC,"
                                "1970-01-01T"));
    free(csv);
    free(rows);
    import_labels_free(labels);
}

static void import_binetflow(const char *name, uint64_t records,
                             uint64_t non_ip)
{
    expect e;
    import_stats st;
    binetflow_expect(name, &e);
    assert_int_equal(e.records, records);
    assert_int_equal(e.non_ip, non_ip);
    import_checked(IMPORT_BINETFLOW, name, &e, NULL, &st);
    assert_int_equal(st.skipped[IMPORT_SKIP_NON_IP], e.non_ip);
    assert_int_equal(st.skipped[IMPORT_SKIP_HEADER], 1);
}

static void test_binetflow_files(void **state)
{
    (void)state;
    import_binetflow("test3-mixed.binetflow", 141, 0);
    import_binetflow("test4-malicious.binetflow", 512, 2);
    import_binetflow("test5-mixed.binetflow", 578, 4);
    import_binetflow("test11-portscan.binetflow", 86, 0);
}

static void test_binetflow_labels(void **state)
{
    (void)state;
    char path[4096];
    import_labels *labels;
    import_stats st;
    totals t = {0};
    c2_err err;
    assert_int_equal(import_labels_new(&labels, &err), 0);
    path_of(path, sizeof path, "test5-mixed.binetflow");
    assert_int_equal(import_file(IMPORT_BINETFLOW, path, sum_sink, &t, labels,
                                 &st, &err), 0);
    import_label *rows;
    size_t n, malware = 0;
    assert_int_equal(import_labels_list(labels, &rows, &n, &err), 0);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_null(strstr(rows[i].label, "flow="));
        malware += strcmp(rows[i].label, "Malware-TCP") == 0;
    }
    assert_true(malware > 0);
    free(rows);
    import_labels_free(labels);
}

/* nfdump -I's "Name: value" lines for path. */
static int nfdump_info(const char *path, expect *e)
{
    char cmd[4200], line[256];
    memset(e, 0, sizeof e[0]);
    snprintf(cmd, sizeof cmd, "nfdump -I -r '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        unsigned long long v;
        if (sscanf(line, "Flows: %llu", &v) == 1) e->flows = v;
        if (sscanf(line, "Packets: %llu", &v) == 1) e->packets = v;
        if (sscanf(line, "Bytes: %llu", &v) == 1) e->bytes = v;
    }
    return pclose(p) == 0 && e->flows > 0 ? 0 : -1;
}

static void test_nfdump_file(void **state)
{
    (void)state;
    char path[4096];
    expect e;
    totals t = {0};
    import_stats st;
    c2_err err;
    if (system("nfdump -V >/dev/null 2>&1") != 0) {
        print_message("nfdump not installed: skipping the nfdump file\n");
        skip();
    }
    path_of(path, sizeof path, "test1-malicious.nfdump");
    assert_int_equal(nfdump_info(path, &e), 0);
    assert_int_equal(e.flows, 4593);
    e.records = e.flows;            /* no record has reverse counters */
    import_checked(IMPORT_NFDUMP, "test1-malicious.nfdump", &e, NULL, &st);
    assert_int_equal(st.skipped[IMPORT_SKIP_HEADER], 1);
    assert_int_equal(st.skipped[IMPORT_SKIP_TRAILER], 4);  /* Summary, window, totals, times */
    /* a file that is not nfdump's: nfdump says so (exit status 0!) */
    path_of(path, sizeof path, "README.md");
    assert_int_equal(import_file(IMPORT_NFDUMP, path, sum_sink, &t, NULL,
                                 &st, &err), -1);
    assert_non_null(strstr(err.msg, "nfdump"));
    assert_non_null(strstr(err.msg, "README.md"));
}

int main(void)
{
    struct stat sb;
    data_dir = getenv("C2FLOW_SHARED_DATA");
    if (!data_dir || stat(data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf("skip: C2FLOW_SHARED_DATA (%s) is not a directory; the public "
               "captures live in ../shared/data/real\n",
               data_dir ? data_dir : "unset");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeek_files),
        cmocka_unit_test(test_njrat_labels),
        cmocka_unit_test(test_binetflow_files),
        cmocka_unit_test(test_binetflow_labels),
        cmocka_unit_test(test_nfdump_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
