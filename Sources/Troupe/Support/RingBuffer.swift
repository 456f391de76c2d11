/// A first-in first-out queue in one growable circular allocation.
///
/// Storage grows by doubling as elements arrive and is allocated lazily, so an idle
/// mailbox costs no buffer at all. It never shrinks on its own; `releaseStorage()` frees it
/// when empty. The bound (mailbox capacity) is the owner's business, not the ring's.
///
/// Inlinable so that a mailbox of a concrete message type is specialized where it is used.
@usableFromInline
package struct RingBuffer<Element>: ~Copyable {
    @usableFromInline var storage: UnsafeMutablePointer<Element>?
    @usableFromInline var allocated = 0
    @usableFromInline var head = 0
    @usableFromInline package private(set) var count = 0

    @inlinable
    package init() {}

    deinit {
        if let storage {
            for index in 0..<count {
                (storage + ((head &+ index) & (allocated &- 1))).deinitialize(count: 1)
            }
            storage.deallocate()
        }
    }

    @inlinable
    package var isEmpty: Bool { count == 0 }

    @inlinable
    package mutating func append(_ element: consuming Element) {
        if count == allocated { grow() }
        let slot = (head &+ count) & (allocated &- 1)
        (storage.unsafelyUnwrapped + slot).initialize(to: element)
        count &+= 1
    }

    /// Inserts `element` before the first one.
    @inlinable
    package mutating func prepend(_ element: consuming Element) {
        if count == allocated { grow() }
        head = (head &- 1) & (allocated &- 1)
        (storage.unsafelyUnwrapped + head).initialize(to: element)
        count &+= 1
    }

    @inlinable
    package mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = (storage.unsafelyUnwrapped + head).move()
        head = (head &+ 1) & (allocated &- 1)
        count &-= 1
        return element
    }

    @inlinable
    package var first: Element? {
        guard count > 0 else { return nil }
        return storage.unsafelyUnwrapped[head]
    }

    /// Moves up to `limit` elements from the front into `destination`, in order.
    @inlinable
    package mutating func moveFront(_ limit: Int, into destination: inout [Element]) {
        var remaining = Swift.min(limit, count)
        while remaining > 0, let element = popFirst() {
            destination.append(element)
            remaining &-= 1
        }
    }

    /// Removes every element, front first, handing each to `body`.
    @inlinable
    package mutating func drain(_ body: (consuming Element) -> Void) {
        while let element = popFirst() { body(element) }
    }

    /// Frees the allocation if the ring is empty (an idle owner gives its memory back).
    @inlinable
    package mutating func releaseStorage() {
        guard count == 0, let storage else { return }
        storage.deallocate()
        self.storage = nil
        allocated = 0
        head = 0
    }

    @inlinable
    mutating func grow() {
        let newAllocated = Swift.max(4, allocated &* 2)
        let newStorage = UnsafeMutablePointer<Element>.allocate(capacity: newAllocated)
        if let storage {
            for index in 0..<count {
                (newStorage + index).moveInitialize(from: storage + ((head &+ index) & (allocated &- 1)), count: 1)
            }
            storage.deallocate()
        }
        storage = newStorage
        allocated = newAllocated
        head = 0
    }
}
