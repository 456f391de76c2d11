// glibc's malloc tuning call, which Swift's Glibc module does not export (malloc.h and its
// macro constants), as a static inline wrapper. Nothing here allocates or keeps state.
#ifndef TROUPE_CMALLOC_H
#define TROUPE_CMALLOC_H

#include <malloc.h>

/// mallopt(M_TRIM_THRESHOLD, bytes): 1 on success, 0 on failure (as mallopt).
static inline int cmalloc_set_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }

#endif
