/// Something a task waits for that a cancellation must end: an ask's reply, room in a full
/// mailbox, a keyed slot. It may also have a deadline (it is a ``DeadlineNode``).
@usableFromInline
// Unchecked Sendable: subclasses guard their own state; the links below are guarded by
// the registering cell's lock.
class WaitNode: DeadlineNode, @unchecked Sendable {
    var waitPrevious: WaitNode?
    var waitNext: WaitNode?
    var isRegistered = false

    /// Ends the wait because the waiting task was cancelled.
    @usableFromInline
    func cancelWait() {}
}

/// Marks the tasks that run an actor's incarnation (and their structured child tasks), so
/// a wait inside an actor registers with the actor's cell instead of installing a
/// cancellation handler: cancelling the cell (after a shutdown timeout) ends its waits.
/// Installing a handler costs a lock in the Swift runtime twice per wait; this costs a
/// task-local read and the cell's own lock.
@usableFromInline
enum IncarnationScope {
    @TaskLocal
    @usableFromInline
    static var cell: CellBase?
}

/// Waits for `node` (`wait` suspends until someone finishes it), ending it with
/// `cancelWait()` if the task is cancelled first.
@inlinable
nonisolated(nonsending) func awaitCancellably<Value>(
    _ node: WaitNode,
    _ wait: () async -> Value
) async -> Value {
    if let cell = IncarnationScope.cell {
        cell.registerWait(node)
        if Task.isCancelled { node.cancelWait() }
        let value = await wait()
        cell.unregisterWait(node)
        return value
    }
    return await withTaskCancellationHandler {
        await wait()
    } onCancel: {
        node.cancelWait()
    }
}
