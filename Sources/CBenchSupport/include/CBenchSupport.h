#ifndef C_BENCH_SUPPORT_H
#define C_BENCH_SUPPORT_H

#include <stddef.h>

/// Bytes the C allocator has handed out and not taken back (glibc mallinfo2: arena and
/// mmapped blocks). Benchmarks only: it walks the allocator's arenas.
size_t troupe_bench_heap_in_use(void);

#endif
