/* profile.c — the optional record of a model's kernel calls: the real
 * forward, backward, loss and Adam add their time, flops and bytes to it, so
 * that a speed benchmark reads the model's own kernel sequence. */
#include "gnn/kernels.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gnnkd_profile_group_name(gnnkd_profile_group g) {
    static const char *const names[GNNKD_PROFILE_NGROUPS] = {"sparse features", "adjacency",
                                                             "gemm", "elementwise"};
    return g >= 0 && g < GNNKD_PROFILE_NGROUPS ? names[g] : "?";
}

void gnnkd_profile_clear(gnnkd_profile *p) {
    if (p) memset(p, 0, sizeof *p);
}

void gnnkd_model_set_profile(gnnkd_model *m, gnnkd_profile *p) {
    if (m) m->profile = p;
}

gnnkd_profile *gkd_model_profile(const gnnkd_model *m) { return m->profile; }

void gkd_profile_add(gnnkd_profile *p, gnnkd_profile_group group, double seconds, double flops,
                     double bytes, const char *fmt, ...) {
    char name[sizeof p->entry[0].name];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    gnnkd_profile_entry *e = NULL;
    for (int k = 0; k < p->nentries && e == NULL; k++)
        if (!strcmp(p->entry[k].name, name)) e = &p->entry[k];
    if (e == NULL) {
        if (p->nentries == GNNKD_PROFILE_MAX) {
            p->dropped++;
            return;
        }
        e = &p->entry[p->nentries++];
        memset(e, 0, sizeof *e);
        memcpy(e->name, name, sizeof name);
        e->group = group;
        e->seconds_min = seconds;
    }
    e->calls++;
    e->seconds += seconds;
    if (seconds < e->seconds_min) e->seconds_min = seconds;
    e->flops += flops;
    e->bytes += bytes;
}

const char *gkd_epilogue_text(const gkd_epilogue *ep) {
    if (ep == NULL || (ep->bias == NULL && !ep->relu)) return "";
    if (!ep->relu) return "+bias";
    return ep->p > 0.0f ? "+bias,relu,dropout" : "+bias,relu";
}
