/*
 * graph.c: infected hosts, the rare servers they reach, and the groups
 * community detection finds among them (detect_impl.h, docs/detect.md
 * "Groups").
 *
 * The graph is bipartite: a node per infected host, a node per server that
 * two or more infected hosts reach and few healthy hosts do, and a node per
 * port scanned, so that hosts spreading the same way fall together even
 * before they share a server.  Louvain (igraph's multilevel modularity
 * optimisation) then splits it; a server's group is the community its node
 * lands in.  igraph is told never to abort: its errors come back as codes.
 */
#include "detect/detect_impl.h"

#include <stdlib.h>

#include "dynlib/igraph.h"

#define SCAN_EDGE_WEIGHT 0.5     /* a shared scanned port links less than a server */

int graph_dest_rare(const window *w, const w_dest *d, const detect_params *p)
{
    double limit = p->rare_share * w->active_hosts;
    if (limit < p->rare_min) limit = p->rare_min;
    return d->clients_est - d->infected <= limit;
}

static int in_graph(const window *w, const w_dest *d, const detect_params *p,
                    const ipset *allow)
{
    return d->infected >= 2 && graph_dest_rare(w, d, p) && !(allow && ipset_contains(allow, &d->ip));
}

typedef struct builder {
    igraph_vector_int_t edges;
    igraph_vector_t     weights;
    uint32_t           *host_node;   /* per w_host: node + 1, 0 = none */
    uint32_t            n_nodes;
} builder;

static int add_edge(builder *B, uint32_t a, uint32_t b, double weight)
{
    return igraph_vector_int_push_back(&B->edges, a) ||
           igraph_vector_int_push_back(&B->edges, b) ||
           igraph_vector_push_back(&B->weights, weight);
}

static uint32_t host_node(builder *B, uint32_t h)
{
    if (!B->host_node[h]) B->host_node[h] = ++B->n_nodes;
    return B->host_node[h] - 1;
}

/* Nodes: servers first (node = index among graph servers), then hosts and
 * scanned ports as edges reach them. */
static int build(const window *w, const detect_params *p, const ipset *allow, builder *B,
                 uint32_t *dest_node, graph_result *g)
{
    for (uint32_t i = 0; i < w->n_dest; i++)
        dest_node[i] = in_graph(w, &w->dest[i], p, allow) ? ++B->n_nodes : 0;
    g->nodes_dest = B->n_nodes;
    for (uint32_t i = 0; i < w->n_edge; i++) {
        const w_edge *e = &w->edge[i];
        if (!dest_node[e->dest]) continue;
        if (add_edge(B, dest_node[e->dest] - 1, host_node(B, e->host), 1.0)) return -1;
    }
    uint32_t *port_node = calloc(65536, sizeof *port_node);    /* node + 1 per port */
    if (!port_node) return -1;
    for (uint32_t h = 0; h < w->n_host; h++) {
        const w_host *x = &w->host[h];
        if (!B->host_node[h] || !(x->cause & CAUSE_SCAN) || !x->scan_port) continue;
        if (!port_node[x->scan_port]) port_node[x->scan_port] = ++B->n_nodes;
        if (add_edge(B, B->host_node[h] - 1, port_node[x->scan_port] - 1, SCAN_EDGE_WEIGHT)) {
            free(port_node);
            return -1;
        }
    }
    free(port_node);
    g->edges = (uint32_t)igraph_vector_size(&B->weights);
    for (uint32_t h = 0; h < w->n_host; h++) g->nodes_host += B->host_node[h] != 0;
    return 0;
}

/* Groups numbered 1.. by how many nodes they hold, largest first. */
static int number_groups(const igraph_vector_int_t *m, const uint32_t *dest_node,
                         uint32_t n_dest, uint32_t n_nodes, graph_result *g)
{
    uint32_t n_comm = 0;
    for (uint32_t i = 0; i < n_nodes; i++)
        if ((uint32_t)VECTOR(*m)[i] + 1 > n_comm) n_comm = (uint32_t)VECTOR(*m)[i] + 1;
    uint32_t *size = calloc(n_comm + 1, sizeof *size), *order = calloc(n_comm + 1, sizeof *order);
    uint32_t *id = calloc(n_comm + 1, sizeof *id);
    if (!size || !order || !id) {
        free(size); free(order); free(id);
        return -1;
    }
    for (uint32_t i = 0; i < n_nodes; i++) size[VECTOR(*m)[i]]++;
    for (uint32_t c = 0; c < n_comm; c++) order[c] = c;
    for (uint32_t a = 1; a < n_comm; a++)       /* insertion sort: few communities */
        for (uint32_t b = a; b > 0 && size[order[b]] > size[order[b - 1]]; b--) {
            uint32_t t = order[b]; order[b] = order[b - 1]; order[b - 1] = t;
        }
    for (uint32_t c = 0; c < n_comm; c++) id[order[c]] = c + 1;
    for (uint32_t i = 0; i < n_dest; i++)
        g->dest_group[i] = dest_node[i] ? id[VECTOR(*m)[dest_node[i] - 1]] : 0;
    g->groups = n_comm;
    free(size); free(order); free(id);
    return 0;
}

static int communities(builder *B, graph_result *g, const uint32_t *dest_node, uint32_t n_dest)
{
    igraph_t graph;
    igraph_vector_int_t membership;
    igraph_vector_t modularity;
    if (igraph_create(&graph, &B->edges, B->n_nodes, IGRAPH_UNDIRECTED)) return -1;
    int rc = -1;
    if (igraph_vector_int_init(&membership, 0) == IGRAPH_SUCCESS) {
        if (igraph_vector_init(&modularity, 0) == IGRAPH_SUCCESS) {
            igraph_rng_seed(igraph_rng_default(), 1);
            if (igraph_community_multilevel(&graph, &B->weights, 1.0, &membership, NULL,
                                            &modularity) == IGRAPH_SUCCESS) {
                igraph_integer_t levels = igraph_vector_size(&modularity);
                g->modularity = levels ? VECTOR(modularity)[levels - 1] : 0;
                rc = number_groups(&membership, dest_node, n_dest, B->n_nodes, g);
            }
            igraph_vector_destroy(&modularity);
        }
        igraph_vector_int_destroy(&membership);
    }
    igraph_destroy(&graph);
    return rc;
}

int graph_communities(const window *w, const detect_params *p, const ipset *allow,
                      graph_result *g, c2_err *err)
{
    memset(g, 0, sizeof *g);
    if (dynlib_need(DYNLIB_IGRAPH, err) != 0) return -1;
    igraph_set_error_handler(igraph_error_handler_ignore);
    igraph_set_warning_handler(igraph_warning_handler_ignore);
    builder B = {0};
    uint32_t *dest_node = calloc(w->n_dest + 1, sizeof *dest_node);
    B.host_node = calloc(w->n_host + 1, sizeof *B.host_node);
    g->dest_group = calloc(w->n_dest + 1, sizeof *g->dest_group);
    int rc = -1, vec = 0;
    if (!dest_node || !B.host_node || !g->dest_group) goto out;
    if (igraph_vector_int_init(&B.edges, 0)) goto out;
    vec |= 1;
    if (igraph_vector_init(&B.weights, 0)) goto out;
    vec |= 2;
    if (build(w, p, allow, &B, dest_node, g) < 0) goto out;
    rc = B.n_nodes ? communities(&B, g, dest_node, w->n_dest) : 0;
out:
    if (vec & 1) igraph_vector_int_destroy(&B.edges);
    if (vec & 2) igraph_vector_destroy(&B.weights);
    free(dest_node);
    free(B.host_node);
    if (rc < 0) {
        graph_result_free(g);
        return c2_fail(err, "building or splitting the graph failed (out of memory?)");
    }
    return 0;
}

void graph_result_free(graph_result *g)
{
    free(g->dest_group);
    g->dest_group = NULL;
}
