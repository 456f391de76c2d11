/// Something a ``KeyedRegistry`` decided under its lock and does after releasing it.
///
/// Everything here wakes a task, starts one, or calls code the registry does not own (a
/// clock is user code; a terminated cell tells its watchers; the logger is the user's), so
/// the lock rule of ``Lock`` keeps it out of the critical section. The registry performs a
/// decision's effects in the order it made them, on the thread that made it, before the
/// call that made it returns.
enum KeyedEffect: Sendable {
    /// Start the cell's next incarnation (its first, or a restart). Counted as in flight
    /// from the decision until it is performed: see ``KeyedRegistry``'s stopAll.
    case launch(CellBase)
    /// Ask the cell's incarnation to stop: `drain` (its queue first) or `terminate`.
    case stop(CellBase, StopMode)
    /// End a slot waiter's wait with `outcome` and cancel its timer.
    case endWait(SlotWaiter, UnsafeContinuation<SlotWaiter.Outcome, Never>, SlotWaiter.Outcome)
    /// The cell is gone for good: close its mailbox, tell its watchers.
    case terminate(CellBase, ExitReason)
    /// Hand `timer` to `clock`.
    case schedule(ClockTimer, on: any ActorClock)
    /// Log a line; the text is made after unlocking too (it describes a user error).
    case log(ActorSystem, LogLevel, @Sendable () -> String)
}
