import Glibc

/// Milliseconds since the Unix epoch on the wall clock: what the schema stores for every
/// point in time (`BIGINT` in both dialects, the unit the protocol replies with).
func unixMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}
