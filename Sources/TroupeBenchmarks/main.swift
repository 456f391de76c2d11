import Foundation
import TroupeServer

// TroupeBenchmarks [suite] [runs=3] [scale=1.0]
//   suite: runtime (default: the runtime's figures, then the building blocks')
//          | blocks | store | backend | server | all
//          | store.pool (the pool's overhead alone)
//          | fanin | pingpong | pingpong.immediate | ring | ring.immediate | spawn | memory
//            (one runtime figure, no peers)
// TroupeBenchmarks idle-clients PORT COUNT: the server suite's helper process (IdleClients).
// Release builds only: `make bench-runtime`, `make bench-store`, `make bench-server`, `make bench`.
// The server's allocator policy, so in-process figures measure what `troupe serve` runs.
AllocatorPolicy.apply(environment: ProcessInfo.processInfo.environment)
let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "idle-clients" {
    // A child of the server suite, not a suite: no banner, its output is read by the parent.
    let values = arguments.dropFirst().compactMap { Int($0) }
    guard values.count == 2 else {
        emit("error: usage: TroupeBenchmarks idle-clients PORT COUNT")
        exit(2)
    }
    IdleClients.run(port: values[0], count: values[1])
}
let suite = arguments.first ?? "runtime"
let runs = arguments.dropFirst().first.flatMap(Int.init) ?? 3
let scale = arguments.dropFirst(2).first.flatMap(Double.init) ?? 1.0
let harness = Harness(runs: runs, scale: scale)

#if DEBUG
emit("warning: a debug build; benchmark figures are meaningless (use make bench-runtime)")
#endif
emit("# troupe benchmarks: suite=\(suite) runs=\(runs) scale=\(scale) cores=\(ProcessInfo.processInfo.activeProcessorCount)")

switch suite {
case "runtime", "all":
    try await RuntimeBenchmarks(harness: harness).run()
    if suite == "all" {
        try await StoreBenchmarks(harness: harness).run()
        try await BackendBenchmarks(harness: harness).run()
        try await ServerBenchmarks(harness: harness).run()
    }
case "store":
    try await StoreBenchmarks(harness: harness).run()
case "store.pool":
    try await StoreBenchmarks(harness: harness).runPoolOverhead()
case "backend":
    try await BackendBenchmarks(harness: harness).run()
case "backend-say", "backend-login", "backend-memory":
    try await BackendBenchmarks(harness: harness).run(only: String(suite.dropFirst("backend-".count)))
case "server":
    try await ServerBenchmarks(harness: harness).run()
case "blocks":
    try await BlocksBenchmarks(harness: harness).run()
case "fanin", "fanin.burst", "pingpong", "pingpong.immediate", "ring", "ring.immediate", "spawn", "memory":
    try await RuntimeBenchmarks(harness: harness).run(only: suite)
default:
    emit("unknown suite \(suite); use runtime, blocks, store, store.pool, backend, server, all, or one of fanin, fanin.burst, pingpong, ring, spawn, memory")
    exit(2)
}
