/// A failure of the test harness itself (not of the code under test), with what to do.
package struct HarnessError: Error, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
