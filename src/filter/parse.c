/*
 * parse.c: filter text -> node tree (filter_compile), and the error display.
 *
 * A hand-written lexer and recursive-descent parser for the nfdump filter
 * syntax (docs/filter.md): or < and < not in precedence, n-ary AND/OR built
 * directly (a chain of a thousand `or`s is one node, never a thousand-deep
 * tree), and nesting by parentheses and `not` limited to FILTER_MAX_DEPTH so
 * that neither this parser nor the evaluator can run out of stack.  Each term
 * is rewritten on the spot into the few node kinds of filter_impl.h; the
 * tree is then simplified (eval.c) and its column mask taken.
 *
 * Tokens: words (runs of anything but blanks, control characters and
 * `( ) [ ] , ! = < > & | #`), those punctuation tokens, and `#` comments to
 * the end of the line, as nfdump.  Keywords are words compared without
 * case.  Every error names the token it is about by byte offset and length,
 * so that filter_error_format can underline it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter/filter_impl.h"

typedef enum tok_kind {
    T_END, T_WORD, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA,
    T_BANG, T_ANDAND, T_OROR, T_CMP, T_BAD
} tok_kind;

typedef struct tok {
    tok_kind    kind;
    size_t      pos, len;           /* bytes of the text */
    fcmp        op;                 /* T_CMP */
    const char *bad;                /* T_BAD: what is wrong */
} tok;

typedef struct parser {
    const char   *s;                /* the text */
    size_t        n;                /* its length */
    size_t        at;               /* lexer position: end of cur */
    tok           cur, prev;        /* the token to look at, the one before */
    filter       *f;                /* being built: owns the sets */
    const char   *base_dir;         /* for @FILE; NULL = current directory */
    filter_error *err;
    int           failed;           /* err holds the first error */
    int           depth;            /* open parentheses and nots */
    int           negated;          /* odd number of nots around cur */
} parser;

/* Directions of address, port and AS terms. */
enum { D_NONE, D_SRC, D_DST, D_AND, D_OR };

/* ---- lexer ---- */

static int is_word_char(unsigned char c)
{
    if (c <= ' ' || c == 0x7f) return 0;
    return strchr("()[],!=<>&|#", c) == NULL;
}

static void lex(parser *p)
{
    const char *s = p->s;
    size_t i = p->at;
    p->prev = p->cur;
    for (;;) {
        while (i < p->n && isspace((unsigned char)s[i])) i++;
        if (i < p->n && s[i] == '#') {
            while (i < p->n && s[i] != '\n') i++;
            continue;
        }
        break;
    }
    tok t = {.kind = T_WORD, .pos = i, .len = 1};
    if (i >= p->n) {
        t.kind = T_END;
        t.len = 0;
        p->cur = t;
        p->at = i;
        return;
    }
    char c = s[i], d = i + 1 < p->n ? s[i + 1] : '\0';
    switch (c) {
    case '(': t.kind = T_LPAREN; break;
    case ')': t.kind = T_RPAREN; break;
    case '[': t.kind = T_LBRACK; break;
    case ']': t.kind = T_RBRACK; break;
    case ',': t.kind = T_COMMA; break;
    case '!':
        if (d == '=') {
            t.kind = T_CMP, t.op = FC_NE, t.len = 2;
        } else {
            t.kind = T_BANG;
        }
        break;
    case '=': t.kind = T_CMP, t.op = FC_EQ, t.len = d == '=' ? 2 : 1; break;
    case '<': t.kind = T_CMP, t.op = d == '=' ? FC_LE : FC_LT, t.len = d == '=' ? 2 : 1; break;
    case '>': t.kind = T_CMP, t.op = d == '=' ? FC_GE : FC_GT, t.len = d == '=' ? 2 : 1; break;
    case '&':
        if (d == '&') t.kind = T_ANDAND, t.len = 2;
        else t.kind = T_BAD, t.bad = "unexpected '&' (write 'and' or '&&')";
        break;
    case '|':
        if (d == '|') t.kind = T_OROR, t.len = 2;
        else t.kind = T_BAD, t.bad = "unexpected '|' (write 'or' or '||')";
        break;
    default:
        if (!is_word_char((unsigned char)c)) {
            t.kind = T_BAD;
            t.bad = "unexpected control character";
            break;
        }
        if (c == '@' && (d == '"' || d == '\'')) {   /* @"file name" */
            const char *q = memchr(s + i + 2, d, p->n - i - 2);
            if (!q) {
                t.kind = T_BAD;
                t.len = p->n - i;
                t.bad = "unterminated quote";
                break;
            }
            t.len = (size_t)(q - (s + i)) + 1;
            break;
        }
        while (i + t.len < p->n && is_word_char((unsigned char)s[i + t.len])) t.len++;
        break;
    }
    p->cur = t;
    p->at = t.pos + t.len;
}

/* ---- errors ---- */

/* The token as it may be quoted in a message (long ones shortened). */
static const char *show(const parser *p, const tok *t, char *buf, size_t size)
{
    if (t->kind == T_END) return "";
    size_t n = t->len;
    if (n > 40) {
        snprintf(buf, size, "%.37s...", p->s + t->pos);
        return buf;
    }
    snprintf(buf, size, "%.*s", (int)n, p->s + t->pos);
    return buf;
}

/* Record the first error, about token t.  Returns NULL for `return fail()`. */
static void *fail(parser *p, const tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail(parser *p, const tok *t, const char *fmt, ...)
{
    if (p->failed) return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    for (char *c = p->err->msg; *c; c++)     /* one line, even when a quoted */
        if ((unsigned char)*c < ' ' || *c == 0x7f) *c = '?';   /* name has breaks */
    p->err->pos = t->pos;
    p->err->len = t->len ? t->len : 1;
    p->failed = 1;
    return NULL;
}

/* The tokens from a to b as one, for errors about a phrase. */
static tok span(const tok *a, const tok *b)
{
    tok t = *a;
    t.len = b->pos + b->len - a->pos;
    return t;
}

static void *oom(parser *p)
{
    return fail(p, &p->cur, "out of memory");
}

/* "expected WHAT after 'PREV'" at the current token. */
static void *expected(parser *p, const char *what)
{
    char a[64], b[64];
    const char *prev = show(p, &p->prev, a, sizeof a);
    const char *here = show(p, &p->cur, b, sizeof b);
    if (p->cur.kind == T_BAD) return fail(p, &p->cur, "%s", p->cur.bad);
    if (p->prev.len == 0)           /* nothing before: the very first token */
        return p->cur.kind == T_END ? fail(p, &p->cur, "expected %s", what)
                                    : fail(p, &p->cur, "expected %s, not '%s'", what, here);
    if (p->cur.kind == T_END)
        return fail(p, &p->cur, "expected %s after '%s'", what, prev);
    return fail(p, &p->cur, "expected %s after '%s', not '%s'", what, prev, here);
}

/* ---- token tests ---- */

static int is_word(const parser *p, const tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->kind == T_WORD && t->len == n && strncasecmp(p->s + t->pos, w, n) == 0;
}

static int cur_is(const parser *p, const char *w) { return is_word(p, &p->cur, w); }

/* Copy a word into buf; -1 if it does not fit. */
static int word_copy(const parser *p, const tok *t, char *buf, size_t size)
{
    if (t->len >= size) return -1;
    memcpy(buf, p->s + t->pos, t->len);
    buf[t->len] = '\0';
    return 0;
}

/* The token after cur, without consuming anything. */
static tok peek(const parser *p)
{
    parser q = *p;
    lex(&q);
    return q.cur;
}

/* A comparison word or symbol at cur: 1 with *op, else 0. */
static int cur_cmp(const parser *p, fcmp *op)
{
    static const struct { const char *w; fcmp op; } words[] = {
        {"eq", FC_EQ}, {"lt", FC_LT}, {"gt", FC_GT}, {"le", FC_LE},
        {"ge", FC_GE}, {"ne", FC_NE},
    };
    if (p->cur.kind == T_CMP) {
        *op = p->cur.op;
        return 1;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (cur_is(p, words[i].w)) {
            *op = words[i].op;
            return 1;
        }
    return 0;
}

/* ---- numbers ---- */

/* Decimal with an optional k/m/g/t suffix (powers of 1000, as nfdump), or
 * 0x hex.  0, -1 when it is not a number at all, -2 malformed, -3 too big. */
static int parse_number(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    if (n == 0 || !isdigit((unsigned char)s[0])) return -1;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (i = 2; i < n; i++) {
            int c = (unsigned char)s[i], d;
            if (isdigit(c)) d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else return -2;
            if (v >> 60) return -3;
            v = v << 4 | (uint64_t)d;
        }
        *out = v;
        return 0;
    }
    for (; i < n && isdigit((unsigned char)s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -3;
        v = v * 10 + d;
    }
    if (i < n) {
        uint64_t scale;
        switch (s[i]) {
        case 'k': case 'K': scale = 1000ULL; break;
        case 'm': case 'M': scale = 1000000ULL; break;
        case 'g': case 'G': scale = 1000000000ULL; break;
        case 't': case 'T': scale = 1000000000000ULL; break;
        default: return -2;
        }
        if (i + 1 != n) return -2;
        if (v > UINT64_MAX / scale) return -3;
        v *= scale;
    }
    *out = v;
    return 0;
}

/* What a numeric term takes. */
typedef struct numterm {
    const char *what;               /* "a port number" */
    const char *name;               /* "port", for range messages */
    uint64_t    max;
    int         proto_names;        /* protocol names allowed */
} numterm;

/* The value at cur (consumed).  0 or -1. */
static int parse_value(parser *p, const numterm *nt, uint64_t *out)
{
    char a[64], name[32];
    const tok *t = &p->cur;
    if (t->kind != T_WORD) {
        expected(p, nt->what);
        return -1;
    }
    int rc = parse_number(p->s + t->pos, t->len, out);
    if (rc == -1 && nt->proto_names) {
        int pr = word_copy(p, t, name, sizeof name) == 0 ? flow_proto_lookup(name) : -1;
        if (pr < 0) {
            fail(p, t, "unknown protocol '%s'", show(p, t, a, sizeof a));
            return -1;
        }
        *out = (uint64_t)pr;
        lex(p);
        return 0;
    }
    if (rc == -1) {
        expected(p, nt->what);
        return -1;
    }
    if (rc == -2) {
        fail(p, t, "bad number '%s'", show(p, t, a, sizeof a));
        return -1;
    }
    if (rc == -3 || *out > nt->max) {
        fail(p, t, "%s %s is out of range 0..%llu", nt->name,
             show(p, t, a, sizeof a), (unsigned long long)nt->max);
        return -1;
    }
    lex(p);
    return 0;
}

/* ---- leaves ---- */

/* One test, before it is given its column(s). */
typedef struct leafspec {
    fnode_kind   kind;
    fcmp         op;
    uint64_t     value, mask;
    uint64_t    *list;              /* owned by the spec, copied to nodes */
    size_t       nlist;
    flow_addr    addr, amask;
    unsigned     prefix;
    const ipset *set;
} leafspec;

static fnode *leaf(parser *p, const leafspec *ls, int field)
{
    if (ls->kind == FN_LIST && field == FILTER_DURATION) {
        /* the duration is computed, not a column: a list is an OR of == */
        fnode *any = fnode_new(FN_OR);
        if (!any) return oom(p);
        for (size_t i = 0; i < ls->nlist; i++) {
            leafspec eq = {.kind = FN_CMP, .op = FC_EQ, .value = ls->list[i]};
            if (fnode_add(any, leaf(p, &eq, field)) != 0) {
                fnode_free(any);
                return p->failed ? NULL : oom(p);
            }
        }
        return any;
    }
    fnode *n = fnode_new(ls->kind);
    if (!n) return oom(p);
    n->field = field;
    n->op = ls->op;
    n->value = ls->value;
    n->mask = ls->mask;
    n->addr = ls->addr;
    n->amask = ls->amask;
    n->prefix = ls->prefix;
    n->set = ls->set;
    if (ls->kind == FN_LIST) {
        n->list = malloc(ls->nlist * sizeof *n->list);
        if (!n->list) {
            fnode_free(n);
            return oom(p);
        }
        memcpy(n->list, ls->list, ls->nlist * sizeof *n->list);
        n->nlist = ls->nlist;
        flow_type t = flow_field_type((flow_field)field);
        if (t == FLOW_T_U8 || t == FLOW_T_U16) {
            n->bitmap = calloc(65536 / 8, 1);
            if (!n->bitmap) {
                fnode_free(n);
                return oom(p);
            }
            for (size_t i = 0; i < n->nlist; i++)
                if (n->list[i] <= 0xffff)
                    n->bitmap[n->list[i] >> 3] |= (uint8_t)(1u << (n->list[i] & 7));
        }
    }
    return n;
}

static fnode *pair(parser *p, fnode_kind kind, fnode *a, fnode *b)
{
    fnode *n = a && b ? fnode_new(kind) : NULL;
    if (!n) {
        fnode_free(a);
        fnode_free(b);
        return p->failed ? NULL : oom(p);
    }
    if (fnode_add(n, a) != 0) {
        fnode_free(b);
        fnode_free(n);
        return oom(p);
    }
    if (fnode_add(n, b) != 0) {
        fnode_free(n);
        return oom(p);
    }
    return n;
}

static fnode *negate(parser *p, fnode *a)
{
    fnode *n = a ? fnode_new(FN_NOT) : NULL;
    if (!n || fnode_add(n, a) != 0) {
        if (!n) fnode_free(a);
        free(n);
        return p->failed ? NULL : oom(p);
    }
    return n;
}

static fnode *cmp_node(parser *p, int field, fcmp op, uint64_t v)
{
    leafspec ls = {.kind = FN_CMP, .op = op, .value = v};
    return leaf(p, &ls, field);
}

/* The spec applied to the source and/or destination column. */
static fnode *sides(parser *p, int dir, int fsrc, int fdst, const leafspec *ls)
{
    switch (dir) {
    case D_SRC: return leaf(p, ls, fsrc);
    case D_DST: return leaf(p, ls, fdst);
    case D_AND: return pair(p, FN_AND, leaf(p, ls, fsrc), leaf(p, ls, fdst));
    default: return pair(p, FN_OR, leaf(p, ls, fsrc), leaf(p, ls, fdst));
    }
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* `[comp] N` or `in [N N ...]` at cur into ls.  0 or -1. */
static int num_rhs(parser *p, const numterm *nt, leafspec *ls)
{
    fcmp op = FC_EQ;
    if (cur_is(p, "in")) {
        lex(p);
        if (p->cur.kind != T_LBRACK) {
            expected(p, "'['");
            return -1;
        }
        tok open = p->cur;
        size_t cap = 0;
        int after_comma = 0;
        lex(p);
        ls->kind = FN_LIST;
        for (;;) {
            if (p->cur.kind == T_RBRACK && ls->nlist && !after_comma) break;
            if (p->cur.kind == T_COMMA && ls->nlist && !after_comma) {
                after_comma = 1;
                lex(p);
                continue;
            }
            if (p->cur.kind == T_END) {
                fail(p, &open, "unbalanced bracket: this '[' is not closed");
                return -1;
            }
            uint64_t v;
            if (parse_value(p, nt, &v) != 0) return -1;
            if (ls->nlist == cap) {
                size_t nc = cap ? cap * 2 : 16;
                uint64_t *nl = realloc(ls->list, nc * sizeof *nl);
                if (!nl) {
                    oom(p);
                    return -1;
                }
                ls->list = nl;
                cap = nc;
            }
            ls->list[ls->nlist++] = v;
            after_comma = 0;
        }
        lex(p);
        qsort(ls->list, ls->nlist, sizeof *ls->list, u64_cmp);
        size_t w = 1;                   /* drop repeats */
        for (size_t i = 1; i < ls->nlist; i++)
            if (ls->list[i] != ls->list[w - 1]) ls->list[w++] = ls->list[i];
        ls->nlist = w;
        return 0;
    }
    if (cur_cmp(p, &op)) lex(p);
    ls->kind = FN_CMP;
    ls->op = op;
    return parse_value(p, nt, &ls->value);
}

/* A numeric term on one or two columns. */
static fnode *num_term(parser *p, const numterm *nt, int dir, int fsrc, int fdst)
{
    leafspec ls = {0};
    fnode *n = NULL;
    if (num_rhs(p, nt, &ls) == 0)
        n = fdst < 0 ? leaf(p, &ls, fsrc) : sides(p, dir, fsrc, fdst, &ls);
    free(ls.list);
    return n;
}

/* ---- addresses ---- */

static void mask_of(unsigned prefix, flow_addr *m)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
        m->b[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
    }
}

static void apply_mask(flow_addr *a, const flow_addr *m)
{
    for (unsigned i = 0; i < 16; i++) a->b[i] &= m->b[i];
}

/* "10.1" or "10.1.2" (nfdump's short network forms) padded to four parts. */
static int parse_short_v4(const char *s, flow_addr *a)
{
    char buf[32];
    int dots = 0;
    for (const char *q = s; *q; q++) {
        if (*q == '.') dots++;
        else if (!isdigit((unsigned char)*q)) return -1;
    }
    if (dots < 1 || dots > 2 || strlen(s) > 11) return -1;
    snprintf(buf, sizeof buf, "%s%s", s, dots == 1 ? ".0.0" : ".0");
    return flow_addr_parse(buf, a);
}

/* "ADDR/BITS" or a bare ADDR (a host) in a word: the prefix, host bits
 * cleared (nfdump accepts them), len in bits of the 128-bit form; with
 * short_v4, "10.1/16" too.  0, or -1 with the error set on t. */
static int parse_prefix(parser *p, const tok *t, int short_v4, flow_addr *a,
                        unsigned *len)
{
    char buf[64], shown[64];
    if (word_copy(p, t, buf, sizeof buf) != 0) {
        fail(p, t, "bad address '%s'", show(p, t, shown, sizeof shown));
        return -1;
    }
    char *slash = strchr(buf, '/');
    if (slash) *slash = '\0';
    if (flow_addr_parse(buf, a) != 0 && !(short_v4 && slash && parse_short_v4(buf, a) == 0)) {
        fail(p, t, "bad address '%s'", buf);
        return -1;
    }
    int v4 = strchr(buf, ':') == NULL;  /* ::ffff:10.0.0.0/104 counts 128 bits */
    unsigned max = v4 ? 32 : 128;
    uint64_t bits = max;
    if (slash && c2_u64_parse(slash + 1, max, &bits) != 0) {
        fail(p, t, "bad prefix length '/%s' (0..%u for an %s address)", slash + 1,
             max, v4 ? "IPv4" : "IPv6");
        return -1;
    }
    *len = (unsigned)bits + (v4 ? 96 : 0);
    flow_addr m;
    mask_of(*len, &m);
    apply_mask(a, &m);
    return 0;
}

/* Keep a set in the filter (it frees it).  0 or -1. */
static int own_set(parser *p, ipset *s)
{
    ipset **ns = realloc(p->f->sets, (p->f->nsets + 1) * sizeof *ns);
    if (!ns) {
        ipset_free(s);
        oom(p);
        return -1;
    }
    p->f->sets = ns;
    p->f->sets[p->f->nsets++] = s;
    return 0;
}

/* `[a b/24, c]` at cur into a new set. */
static const ipset *addr_list(parser *p)
{
    tok open = p->cur;
    ipset *s;
    c2_err e;
    int after_comma = 0;
    size_t count = 0;
    if (ipset_new(&s, &e) != 0) return oom(p);
    if (own_set(p, s) != 0) return NULL;
    lex(p);
    for (;;) {
        if (p->cur.kind == T_RBRACK && count && !after_comma) break;
        if (p->cur.kind == T_COMMA && count && !after_comma) {
            after_comma = 1;
            lex(p);
            continue;
        }
        if (p->cur.kind == T_END)
            return fail(p, &open, "unbalanced bracket: this '[' is not closed");
        if (p->cur.kind != T_WORD) return expected(p, "an address or network");
        flow_addr a;
        unsigned len;
        if (parse_prefix(p, &p->cur, 0, &a, &len) != 0) return NULL;
        if (ipset_add(s, &a, len, &e) != 0)
            return fail(p, &p->cur, "%s", e.msg);
        count++;
        after_comma = 0;
        lex(p);
    }
    lex(p);
    if (ipset_build(s, &e) != 0) return fail(p, &open, "%s", e.msg);
    return s;
}

/* `@FILE` (cur) into a new set. */
static const ipset *addr_file(parser *p)
{
    tok t = p->cur;
    const char *name = p->s + t.pos + 1;
    size_t nlen = t.len - 1;
    if (nlen >= 2 && (name[0] == '"' || name[0] == '\'')) {
        name++;
        nlen -= 2;
    }
    if (nlen == 0) return fail(p, &t, "expected a file name after '@'");
    if (memchr(name, '\0', nlen)) return fail(p, &t, "bad file name");
    size_t blen = p->base_dir && name[0] != '/' ? strlen(p->base_dir) : 0;
    char *path = malloc(blen + nlen + 2);
    if (!path) return oom(p);
    if (blen) {
        memcpy(path, p->base_dir, blen);
        path[blen] = '/';
        memcpy(path + blen + 1, name, nlen);
        path[blen + 1 + nlen] = '\0';
    } else {
        memcpy(path, name, nlen);
        path[nlen] = '\0';
    }
    ipset *s;
    c2_err e;
    if (ipset_new(&s, &e) != 0) {
        free(path);
        return oom(p);
    }
    if (own_set(p, s) != 0) {
        free(path);
        return NULL;
    }
    int rc = ipset_load_file(s, path, &e);
    free(path);
    if (rc == 0) rc = ipset_build(s, &e);
    if (rc != 0)
        return fail(p, &t, "cannot read @%.*s: %s", (int)(nlen < 200 ? nlen : 200),
                    name, e.msg);
    lex(p);
    return s;
}

/* `ADDR` or `in [list]` or `in @FILE` after ip/host/router ip/exporter. */
static fnode *addr_term(parser *p, int dir, int fsrc, int fdst)
{
    leafspec ls = {0};
    char a[64];
    if (cur_is(p, "in")) {
        lex(p);
        if (p->cur.kind == T_LBRACK) ls.set = addr_list(p);
        else if (p->cur.kind == T_WORD && p->s[p->cur.pos] == '@') ls.set = addr_file(p);
        else return expected(p, "'[' or @FILE");
        if (!ls.set) return NULL;
        ls.kind = FN_SET;
    } else {
        if (p->cur.kind != T_WORD) return expected(p, "an address");
        if (word_copy(p, &p->cur, a, sizeof a) != 0 || flow_addr_parse(a, &ls.addr) != 0) {
            char b[64];
            const char *w = show(p, &p->cur, b, sizeof b);
            if (strchr(w, '/'))
                return fail(p, &p->cur, "bad address '%s' (for a network write 'net %s')", w, w);
            return fail(p, &p->cur, "bad address '%s'", w);
        }
        ls.kind = FN_ADDR;
        ls.prefix = 128;
        mask_of(128, &ls.amask);
        lex(p);
    }
    return fdst < 0 ? leaf(p, &ls, fsrc) : sides(p, dir, fsrc, fdst, &ls);
}

/* `net 10.0.0.0/8`, `net 10.1/16`, `net 10.0.0.0 255.0.0.0`, IPv6 /bits. */
static fnode *net_term(parser *p, int dir)
{
    leafspec ls = {.kind = FN_ADDR};
    char buf[64], b2[64];
    if (p->cur.kind != T_WORD) return expected(p, "a network (ADDR/BITS)");
    tok t = p->cur;
    if (memchr(p->s + t.pos, '/', t.len)) {
        unsigned len;
        if (parse_prefix(p, &t, 1, &ls.addr, &len) != 0) return NULL;
        ls.prefix = len;
        mask_of(len, &ls.amask);
        lex(p);
        return sides(p, dir, FLOW_SRC_ADDR, FLOW_DST_ADDR, &ls);
    }
    /* ADDR NETMASK: IPv4 only, as nfdump */
    if (word_copy(p, &t, buf, sizeof buf) != 0 || flow_addr_parse(buf, &ls.addr) != 0)
        return fail(p, &t, "bad network '%s' (expected ADDR/BITS or ADDR NETMASK)",
                    show(p, &t, b2, sizeof b2));
    if (!flow_addr_is_v4(&ls.addr))
        return fail(p, &t, "an IPv6 network needs /BITS ('%s/64')", buf);
    lex(p);
    flow_addr m;
    if (p->cur.kind != T_WORD) return expected(p, "a netmask (or write ADDR/BITS)");
    if (word_copy(p, &p->cur, buf, sizeof buf) != 0 || flow_addr_parse(buf, &m) != 0 ||
        !flow_addr_is_v4(&m))
        return fail(p, &p->cur, "bad netmask '%s'", show(p, &p->cur, b2, sizeof b2));
    mask_of(96, &ls.amask);
    for (int i = 12; i < 16; i++) ls.amask.b[i] = m.b[i];
    /* leading ones: the part a zone test can use */
    ls.prefix = 0;
    while (ls.prefix < 128 &&
           (ls.amask.b[ls.prefix / 8] & (0x80u >> (ls.prefix % 8))))
        ls.prefix++;
    apply_mask(&ls.addr, &ls.amask);
    lex(p);
    return sides(p, dir, FLOW_SRC_ADDR, FLOW_DST_ADDR, &ls);
}

/* ---- other terms ---- */

static fnode *proto_is(parser *p, uint8_t proto)
{
    return cmp_node(p, FLOW_PROTO, FC_EQ, proto);
}

/* `flags SA` (all of them set), `flags 2` / `flags > 2` (the byte); both
 * imply proto tcp, as in nfdump.  Under an odd number of nots, letters test
 * "any of them set" instead, so that the negation reads "none of them":
 * nfdump's engine does this (an inverted CMP_FLAGS block tests flags & mask
 * != 0), and its manual's idiom `flags S and not flags AFRPU` (SYN only)
 * relies on it. */
static fnode *flags_term(parser *p)
{
    static const numterm nt = {"TCP flags (letters of CEUAPRSFX, or 0..255)", "flags", 255, 0};
    tok t = p->cur;
    fcmp op;
    if (t.kind == T_WORD && isalpha((unsigned char)p->s[t.pos]) && !cur_cmp(p, &op) &&
        !cur_is(p, "in")) {
        static const char letters[] = "FSRPAUEC";  /* bit 0 .. bit 7 */
        unsigned m = 0, seen = 0;
        for (size_t i = 0; i < t.len; i++) {
            char c = (char)toupper((unsigned char)p->s[t.pos + i]);
            const char *q = strchr(letters, c);
            unsigned bit = c == 'X' ? 1u << 8 : q && c ? 1u << (q - letters) : 0;
            if (!bit) {
                tok one = {.kind = T_WORD, .pos = t.pos + i, .len = 1};
                return fail(p, &one, "unknown TCP flag '%c' (flags are C E U A P R S F, "
                            "X = all of U A P R S F)", p->s[t.pos + i]);
            }
            if (seen & bit) {
                tok one = {.kind = T_WORD, .pos = t.pos + i, .len = 1};
                return fail(p, &one, "flag '%c' given twice", p->s[t.pos + i]);
            }
            seen |= bit;
            m |= c == 'X' ? 0x3f : bit;
        }
        lex(p);
        leafspec ls = {.kind = FN_MASK, .mask = m, .value = m};
        if (p->negated) {               /* any of them: not (none of them) */
            ls.value = 0;
            return pair(p, FN_AND, proto_is(p, 6), negate(p, leaf(p, &ls, FLOW_TCP_FLAGS)));
        }
        return pair(p, FN_AND, proto_is(p, 6), leaf(p, &ls, FLOW_TCP_FLAGS));
    }
    fnode *n = num_term(p, &nt, D_SRC, FLOW_TCP_FLAGS, -1);
    if (!n) return NULL;
    return pair(p, FN_AND, proto_is(p, 6), n);
}

/* `icmp-type N`, `icmp-code N`: proto icmp or icmp6 and a byte of dst_port
 * (type<<8 | code). */
static fnode *icmp_term(parser *p, int type)
{
    static const numterm nt_type = {"an ICMP type (0..255)", "icmp-type", 255, 0};
    static const numterm nt_code = {"an ICMP code (0..255)", "icmp-code", 255, 0};
    uint64_t v;
    fcmp op;
    if (cur_cmp(p, &op)) {
        if (op != FC_EQ)
            return fail(p, &p->cur, "%s compares only for equality",
                        type ? "icmp-type" : "icmp-code");
        lex(p);
    }
    if (parse_value(p, type ? &nt_type : &nt_code, &v) != 0) return NULL;
    fnode *icmp = pair(p, FN_OR, proto_is(p, 1), proto_is(p, 58));
    if (type)
        return pair(p, FN_AND, icmp,
                    pair(p, FN_AND, cmp_node(p, FLOW_DST_PORT, FC_GE, v << 8),
                         cmp_node(p, FLOW_DST_PORT, FC_LE, v << 8 | 0xff)));
    leafspec ls = {.kind = FN_MASK, .mask = 0xff, .value = v};
    return pair(p, FN_AND, icmp, leaf(p, &ls, FLOW_DST_PORT));
}

/* Words nfdump knows as terms that c2flow's records cannot answer. */
static const char *const nfdump_only[] = {
    "count", "ident", "tun", "geo", "tunip", "mask", "vlan", "mac", "mpls",
    "flow", "flowdir", "pps", "bps", "bpp", "engine-type", "engine-id",
    "sysid", "next", "bgpnext", "prev", "payload", "client", "server",
    "asa", "nat", "xip", "xport", "xnet", "nip", "nport", "ingress",
    "egress", "pblock", "observation", "fwdstat", "@include", "latency",
};

static const char *const keywords[] = {
    "any", "ip", "host", "net", "port", "as", "tos", "if", "in", "out",
    "packets", "bytes", "duration", "proto", "flags", "icmp-type",
    "icmp-code", "router", "exporter", "src", "dst", "ipv4", "ipv6", "inet",
    "inet6", "not", "and", "or",
};

static size_t edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), row[40];
    if (na >= 39 || nb >= 39) return 99;
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) != b[j - 1]);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[nb];
}

static void *unknown_term(parser *p)
{
    const tok *t = &p->cur;
    char a[64];
    const char *w = show(p, t, a, sizeof a);
    if (t->kind != T_WORD) {
        if (t->kind == T_BAD) return fail(p, t, "%s", t->bad);
        if (t->kind == T_END && p->prev.len == 0) return fail(p, t, "expected a filter term");
        if (t->kind == T_END || t->kind == T_RPAREN || t->kind == T_RBRACK)
            return expected(p, "a filter term");
        return fail(p, t, "expected a filter term, not '%s'", w);
    }
    for (size_t i = 0; i < sizeof nfdump_only / sizeof nfdump_only[0]; i++)
        if (is_word(p, t, nfdump_only[i]))
            return fail(p, t, "'%s' is an nfdump term that c2flow does not support "
                        "(see docs/filter.md)", w);
    if (isdigit((unsigned char)w[0]) || strchr(w, ':'))
        return fail(p, t, "expected a filter term, not '%s' (an address needs "
                    "'ip' or 'net' before it)", w);
    const char *best = NULL;
    size_t bestd = t->len <= 4 ? 1 : 2;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        size_t d = edit_distance(p->s + t->pos, t->len, keywords[i]);
        if (d <= bestd && (!best || d < bestd)) {
            best = keywords[i];
            bestd = d;
        }
    }
    if (best) return fail(p, t, "unknown keyword '%s' (did you mean '%s'?)", w, best);
    return fail(p, t, "unknown keyword '%s'", w);
}

static fnode *p_term(parser *p)
{
    static const numterm nt_port = {"a port number", "port", 65535, 0};
    static const numterm nt_as = {"an AS number", "AS", UINT32_MAX, 0};
    static const numterm nt_tos = {"a tos value", "tos", 255, 0};
    static const numterm nt_if = {"an interface number", "interface", UINT32_MAX, 0};
    /* numeric terms on one column, named by their keyword */
    static const struct { numterm nt; int field; int in_ok; } one_column[] = {
        {{"a number of packets", "packets", UINT64_MAX, 0}, FLOW_PACKETS, 1},
        {{"a number of bytes", "bytes", UINT64_MAX, 0}, FLOW_BYTES, 1},
        {{"a duration in ms", "duration", UINT64_MAX, 0}, FILTER_DURATION, 0},
        {{"a protocol name or number", "proto", 255, 1}, FLOW_PROTO, 0},
    };
    int dir = D_NONE, io = 0;           /* io: 1 in, 2 out */
    char a[64];

    if (p->cur.kind != T_WORD) return unknown_term(p);
    tok first = p->cur;
    if (cur_is(p, "src") || cur_is(p, "dst")) {
        int src = cur_is(p, "src");
        dir = src ? D_SRC : D_DST;
        lex(p);
        if (cur_is(p, "and") || cur_is(p, "or")) {
            tok nx = peek(p);
            if (is_word(p, &nx, src ? "dst" : "src")) {
                dir = cur_is(p, "and") ? D_AND : D_OR;
                lex(p);
                lex(p);
            }
        }
        if (!(cur_is(p, "ip") || cur_is(p, "host") || cur_is(p, "net") ||
              cur_is(p, "port") || cur_is(p, "as") || cur_is(p, "tos")))
            return expected(p, "'ip', 'host', 'net', 'port', 'as' or 'tos'");
    } else if (cur_is(p, "in") || cur_is(p, "out")) {
        io = cur_is(p, "in") ? 1 : 2;
        lex(p);
        if (!(cur_is(p, "if") || cur_is(p, "packets") || cur_is(p, "bytes")))
            return expected(p, "'if', 'packets' or 'bytes'");
        if (io == 2 && !cur_is(p, "if")) {
            tok both = span(&first, &p->cur);
            return fail(p, &both, "'out %s' (nfdump's reverse counter of a biflow) is "
                        "not available: c2flow records are one direction each",
                        show(p, &p->cur, a, sizeof a));
        }
    }
    tok kw = p->cur;
    int dirless = dir == D_NONE;
    if (cur_is(p, "ip") || cur_is(p, "host")) {
        lex(p);
        return addr_term(p, dir, FLOW_SRC_ADDR, FLOW_DST_ADDR);
    }
    if (cur_is(p, "net")) {
        lex(p);
        return net_term(p, dir);
    }
    if (cur_is(p, "port")) {
        lex(p);
        return num_term(p, &nt_port, dir, FLOW_SRC_PORT, FLOW_DST_PORT);
    }
    if (cur_is(p, "as")) {
        lex(p);
        return num_term(p, &nt_as, dir, FLOW_SRC_AS, FLOW_DST_AS);
    }
    if (cur_is(p, "tos")) {
        tok both = span(&first, &p->cur);
        if (dir != D_NONE && dir != D_SRC)
            return fail(p, &both, "c2flow keeps one tos per record (the source's): "
                        "only 'tos' and 'src tos' are available");
        lex(p);
        return num_term(p, &nt_tos, D_SRC, FLOW_TOS, -1);
    }
    if (cur_is(p, "if")) {
        lex(p);
        if (io == 1) return num_term(p, &nt_if, D_SRC, FLOW_IN_IF, -1);
        if (io == 2) return num_term(p, &nt_if, D_SRC, FLOW_OUT_IF, -1);
        return num_term(p, &nt_if, D_NONE, FLOW_IN_IF, FLOW_OUT_IF);
    }
    if (!dirless)
        return fail(p, &kw, "'%s' does not take 'src' or 'dst'", show(p, &kw, a, sizeof a));
    for (size_t i = 0; i < sizeof one_column / sizeof one_column[0]; i++) {
        if (!cur_is(p, one_column[i].nt.name)) continue;
        if (io && !one_column[i].in_ok) break;
        lex(p);
        return num_term(p, &one_column[i].nt, D_SRC, one_column[i].field, -1);
    }
    if (io)
        return fail(p, &kw, "'%s' does not take 'in' or 'out'", show(p, &kw, a, sizeof a));
    if (cur_is(p, "any")) {
        lex(p);
        fnode *n = fnode_new(FN_TRUE);
        return n ? n : oom(p);
    }
    if (cur_is(p, "ipv4") || cur_is(p, "inet") || cur_is(p, "ipv6") || cur_is(p, "inet6")) {
        int v6 = cur_is(p, "ipv6") || cur_is(p, "inet6");
        /* the family of a record is its source's: ::ffff:0:0/96 or not */
        leafspec ls = {.kind = FN_ADDR, .prefix = 96};
        mask_of(96, &ls.amask);
        ls.addr.b[10] = ls.addr.b[11] = 0xff;
        lex(p);
        fnode *n = leaf(p, &ls, FLOW_SRC_ADDR);
        return v6 ? negate(p, n) : n;
    }
    if (cur_is(p, "flags")) {
        lex(p);
        return flags_term(p);
    }
    if (cur_is(p, "icmp-type") || cur_is(p, "icmp-code")) {
        int type = cur_is(p, "icmp-type");
        lex(p);
        return icmp_term(p, type);
    }
    if (cur_is(p, "router")) {
        lex(p);
        if (!cur_is(p, "ip")) return expected(p, "'ip'");
        lex(p);
        return addr_term(p, D_SRC, FLOW_EXPORTER, -1);
    }
    if (cur_is(p, "exporter")) {
        lex(p);
        if (cur_is(p, "ip")) lex(p);
        uint64_t id;
        if (p->cur.kind == T_WORD && parse_number(p->s + p->cur.pos, p->cur.len, &id) == 0)
            return fail(p, &p->cur, "'exporter N' (nfdump's internal exporter id) is not "
                        "available: write the router's address, 'exporter 192.0.2.1'");
        return addr_term(p, D_SRC, FLOW_EXPORTER, -1);
    }
    return unknown_term(p);
}

/* ---- expressions: or < and < not ---- */

static fnode *p_or(parser *p);

static int deeper(parser *p, const tok *t)
{
    if (++p->depth <= FILTER_MAX_DEPTH) return 0;
    fail(p, t, "filter nested too deeply (more than %d parentheses or 'not's)",
         FILTER_MAX_DEPTH);
    return -1;
}

static fnode *p_not(parser *p)
{
    tok t = p->cur;
    if (t.kind == T_BANG || cur_is(p, "not")) {
        if (deeper(p, &t) != 0) return NULL;
        lex(p);
        p->negated ^= 1;
        fnode *k = p_not(p);
        p->negated ^= 1;
        p->depth--;
        return k ? negate(p, k) : NULL;
    }
    if (t.kind == T_LPAREN) {
        if (deeper(p, &t) != 0) return NULL;
        lex(p);
        fnode *e = p_or(p);
        p->depth--;
        if (!e) return NULL;
        if (p->cur.kind != T_RPAREN) {
            fnode_free(e);
            if (p->cur.kind == T_END)
                return fail(p, &t, "unbalanced parenthesis: this '(' is not closed");
            return expected(p, "'and', 'or' or ')'");
        }
        lex(p);
        return e;
    }
    return p_term(p);
}

static int is_and(const parser *p) { return p->cur.kind == T_ANDAND || cur_is(p, "and"); }
static int is_or(const parser *p) { return p->cur.kind == T_OROR || cur_is(p, "or"); }

/* a op b op c ... as one n-ary node. */
static fnode *p_chain(parser *p, fnode_kind kind)
{
    int (*is_op)(const parser *) = kind == FN_AND ? is_and : is_or;
    fnode *first = kind == FN_AND ? p_not(p) : p_chain(p, FN_AND);
    if (!first || !is_op(p)) return first;
    fnode *n = fnode_new(kind);
    if (!n || fnode_add(n, first) != 0) {
        if (!n) fnode_free(first);
        free(n);
        return oom(p);
    }
    while (is_op(p)) {
        lex(p);
        fnode *k = kind == FN_AND ? p_not(p) : p_chain(p, FN_AND);
        if (!k || fnode_add(n, k) != 0) {
            fnode_free(n);
            return p->failed ? NULL : oom(p);
        }
    }
    return n;
}

static fnode *p_or(parser *p) { return p_chain(p, FN_OR); }

/* ---- the API ---- */

int filter_compile(const char *text, const char *base_dir, filter **out,
                   filter_error *ferr)
{
    filter_error spare;
    if (!ferr) ferr = &spare;
    memset(ferr, 0, sizeof *ferr);
    *out = NULL;
    if (!text) text = "";
    parser p = {.s = text, .n = strlen(text), .base_dir = base_dir, .err = ferr};
    p.f = calloc(1, sizeof *p.f);
    if (!p.f) {
        snprintf(ferr->msg, sizeof ferr->msg, "out of memory");
        ferr->len = 1;
        return -1;
    }
    lex(&p);
    fnode *root;
    if (p.cur.kind == T_END) {
        root = fnode_new(FN_TRUE);
    } else {
        root = p_or(&p);
        if (root && p.cur.kind != T_END) {
            char a[64];
            if (p.cur.kind == T_RPAREN)
                fail(&p, &p.cur, "unbalanced parenthesis: this ')' has no '('");
            else if (p.cur.kind == T_BAD)
                fail(&p, &p.cur, "%s", p.cur.bad);
            else
                fail(&p, &p.cur, "expected 'and' or 'or' before '%s'",
                     show(&p, &p.cur, a, sizeof a));
            fnode_free(root);
            root = NULL;
        }
    }
    if (!root) {
        if (!p.failed) oom(&p);
        filter_free(p.f);
        return -1;
    }
    p.f->root = fnode_simplify(root);
    p.f->fields = fnode_fields(p.f->root);
    *out = p.f;
    return 0;
}

/* Display width of bytes [a, b): UTF-8 continuation bytes take none. */
static size_t width(const char *a, const char *b)
{
    size_t w = 0;
    for (; a < b; a++) w += ((unsigned char)*a & 0xc0) != 0x80;
    return w;
}

char *filter_error_format(const char *text, const filter_error *ferr, char *buf,
                          size_t len)
{
    enum { SPAN = 60 };                 /* bytes shown either side of a long line */
    if (!buf || len == 0) return buf;
    if (!text) text = "";
    size_t n = strlen(text);
    size_t pos = ferr->pos <= n ? ferr->pos : n;
    size_t tlen = ferr->len ? ferr->len : 1;
    size_t ls = pos, le = pos;          /* the line holding pos */
    while (ls > 0 && text[ls - 1] != '\n') ls--;
    while (le < n && text[le] != '\n') le++;
    const char *pre = "", *post = "";
    size_t from = ls, to = le;
    if (pos - ls > SPAN) {
        from = pos - SPAN;
        while (from < pos && ((unsigned char)text[from] & 0xc0) == 0x80) from++;
        pre = "...";
    }
    if (to > pos + tlen + SPAN) {
        to = pos + tlen + SPAN;
        while (to > pos && ((unsigned char)text[to] & 0xc0) == 0x80) to--;
        post = "...";
    }
    size_t o = 0;
#define PUT(...) do { int w_ = snprintf(buf + o, len - o, __VA_ARGS__);      \
                      if (w_ > 0) o += (size_t)w_ < len - o ? (size_t)w_ : len - o - 1; \
                 } while (0)
    PUT("%s%.*s%s\n", pre, (int)(to - from), text + from, post);
    /* the caret line: blanks (tabs kept) up to the token, ^ under it */
    size_t pad = strlen(pre);
    for (size_t i = 0; i < pad; i++) PUT(" ");
    for (const char *c = text + from; c < text + pos; c++)
        if (((unsigned char)*c & 0xc0) != 0x80) PUT("%c", *c == '\t' ? '\t' : ' ');
    size_t end = pos + tlen < to ? pos + tlen : to;
    size_t carets = end > pos ? width(text + pos, text + end) : 1;
    if (carets == 0) carets = 1;
    for (size_t i = 0; i < carets; i++) PUT("^");
    PUT("\n%s", ferr->msg);
#undef PUT
    return buf;
}
