import Synchronization

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

/// Marks the task that runs an actor's incarnation, so a wait inside a handler registers
/// with the actor's cell instead of installing a cancellation handler: cancelling the cell
/// (after a shutdown timeout) ends its waits. Installing a handler costs a lock in the Swift
/// runtime twice per wait; this costs a task-local read and the cell's own lock.
///
/// Task-locals are inherited by child tasks (`async let`, task groups, `Task {}`), which
/// can be cancelled on their own; so the scope also records which task it was bound in,
/// and only that task takes the shortcut. Inheriting tasks may outlive it (an incarnation's
/// task ends when it goes dormant, while its background work runs on), and a new task may
/// then get its address: so the task marks the scope ended before it ends, and an ended
/// scope matches no task.
@usableFromInline
// Unchecked Sendable: `cell` is Sendable; `task` is only compared for identity with the
// current task (never used to act on the task), and is compared only while `bound` says the
// task it names has not ended.
final class IncarnationScope: @unchecked Sendable {
    @TaskLocal
    @usableFromInline
    static var current: IncarnationScope?

    @usableFromInline let cell: CellBase
    /// The address of the task the scope was bound in, only ever compared: keeping the
    /// `UnsafeCurrentTask` itself cost a retain and a release of the task (through an
    /// unspecialized copy of the optional) on every ask from a handler.
    private let task: UnsafeRawPointer?
    /// Cleared (releasing) by the task as it ends; read (acquiring) before `task` is compared.
    private let bound = Atomic<Bool>(true)

    /// Made inside the incarnation's task.
    @usableFromInline
    init(cell: CellBase) {
        self.cell = cell
        self.task = Self.currentTaskAddress()
    }

    /// The cell, if the calling task is the incarnation's own task.
    @usableFromInline
    var cellForCurrentTask: CellBase? {
        bound.load(ordering: .acquiring) && Self.currentTaskAddress() == task ? cell : nil
    }

    /// Called by the scope's task as it ends.
    func taskEnded() {
        bound.store(false, ordering: .releasing)
    }

    private static func currentTaskAddress() -> UnsafeRawPointer? {
        withUnsafeCurrentTask { current in
            current.map { unsafeBitCast($0, to: UnsafeRawPointer.self) }
        }
    }
}

/// Waits for `node` (`wait` suspends until someone finishes it), ending it with
/// `cancelWait()` if the task is cancelled first.
@inlinable
nonisolated(nonsending) func awaitCancellably<Value>(
    _ node: WaitNode,
    _ wait: nonisolated(nonsending) () async -> Value
) async -> Value {
    await awaitCancellably(node, registeringWith: IncarnationScope.current?.cellForCurrentTask, wait)
}

/// ``awaitCancellably(_:_:)`` for a caller that already looked up the incarnation's cell
/// (`IncarnationScope.current?.cellForCurrentTask`): a wait in an incarnation's own task
/// registers with its cell, any other installs a cancellation handler.
@inlinable
nonisolated(nonsending) func awaitCancellably<Value>(
    _ node: WaitNode,
    registeringWith cell: CellBase?,
    _ wait: () async -> Value
) async -> Value {
    if let cell {
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
