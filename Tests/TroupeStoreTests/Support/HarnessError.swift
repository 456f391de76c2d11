/// A failure of the test harness itself (not of the code under test), with what to do.
struct HarnessError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
