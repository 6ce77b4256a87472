/*
 * npy.h — the .npy header dictionary (loaders/npy.c), shared with the .npz
 * reader (loaders/npz.c); private to loaders/.
 */
#ifndef GKD_LOADERS_NPY_H
#define GKD_LOADERS_NPY_H

#include "core/internal.h"

/* Parses the header text of a .npy file, "{'descr': '<f4', 'fortran_order':
 * False, 'shape': (3, 4), }", len bytes (padding included): descr (dlen
 * bytes), fortran order and up to 8 dims. 0, with *bad saying what was
 * expected, if it is not such a dict. */
int gkd_npy_parse_header(const char *text, size_t len, char *descr, size_t dlen, int *fortran,
                         int64_t dims[8], int *ndim, const char **bad);

#endif /* GKD_LOADERS_NPY_H */
