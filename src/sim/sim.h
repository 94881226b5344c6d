/*
 * sim.h - the public header of src/sim: `sluice sim`, a simulated Kubernetes API server with a
 * cluster model behind it (nodes, scheduler, kubelet, Spark driver model, fault injection).
 * Tests and the CLI start one in-process with sim_start and talk to it over HTTP(S) on
 * 127.0.0.1, or reach its object store directly with sim_get_store.
 */
#ifndef SLU_SIM_H
#define SLU_SIM_H

#include <stdbool.h>

#include "base/base.h"

struct sim_options {
    const char *listen_host;    /* NULL: "127.0.0.1" (only loopback addresses are accepted) */
    int port;                   /* 0: a free port (read it back with sim_port) */
    const char *kubeconfig_out; /* NULL: none; written atomically once the server answers */
    const char *nodes_spec;     /* NULL: "3x8c32Gi" */
    const char *faults_spec;    /* NULL: no faults */
    double time_scale;          /* <= 0: 1 */
    bool tls;                   /* serve HTTPS with a generated CA (in the kubeconfig) */
    bool no_cluster;            /* do not start the cluster model (API server only) */
};

struct sim;
struct sim_store;

/* Starts the store, the cluster model and the HTTP server. *out returned owned (sim_stop). */
int sim_start(const struct sim_options *o, struct sim **out, struct slu_err *err);
/* The port being served. */
int sim_port(struct sim *s);
/* "http://127.0.0.1:PORT" or "https://..." (borrowed, valid until sim_stop). */
const char *sim_url(struct sim *s);
/* The CA certificate (PEM, borrowed) when serving TLS, else NULL. */
const char *sim_ca_pem(struct sim *s);
/* The object store (borrowed). */
struct sim_store *sim_get_store(struct sim *s);
/* Writes a kubeconfig pointing at the server to path (atomically, mode 0600). */
int sim_write_kubeconfig(struct sim *s, const char *path, struct slu_err *err);
/* Stops serving (ending watches and streams), stops the cluster model, frees everything. */
void sim_stop(struct sim *s);

#endif
