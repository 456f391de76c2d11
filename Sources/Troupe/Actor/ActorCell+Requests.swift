/// Sends of an ask's request that also settle the asking handler's edge
/// in the ``WaitForGraph`` with the request's ordinal in this mailbox, under the same lock
/// hold as the offer, so before this actor can take the request (see ``WaitForGraph``).
///
/// A ref's ask uses ``ActorCell/offerWithoutWaiting(_:settling:)``; a keyed actor's,
/// ``sendRequestUnlessClosed(_:waitLimit:settling:)`` below, which must stay in step with
/// ``ActorCell/sendUnlessClosed(_:waitLimit:)``: the only difference is the settling.
extension ActorCell {
    /// ``sendUnlessClosed(_:waitLimit:)`` for an ask's request (keyed actors).
    @inlinable
    final nonisolated(nonsending) func sendRequestUnlessClosed(
        _ message: Message,
        waitLimit: Duration?,
        settling waiter: CellBase?
    ) async -> (SendOutcome, Message?) {
        lock.lock()
        if user.isClosed {
            lock.unlock()
            return (.stopped, message)
        }
        let offer = user.offer(message, mayWait: true)
        if let waiter { settleWaitLocked(of: waiter, entered: offer.entered) }
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.resume()
        if case .mustWait(let message) = offer {
            return await park(message, waitLimit: waitLimit, handBackIfClosed: true)
        }
        return (settle(offer), nil)
    }

    /// Under `lock`, right after the offer: the request's ordinal here if it `entered` the
    /// mailbox, else 0 (it waits for room and is admitted at an ordinal nobody records, or
    /// it was refused), for `waiter`'s edge if that edge names this cell.
    @inlinable
    final func settleWaitLocked(of waiter: CellBase, entered: Bool) {
        waiter.settleWait(on: self, ordinal: entered ? user.enqueuedTotal : 0)
    }
}

extension UserQueue.Offer {
    /// True if the message entered the lane.
    @inlinable
    var entered: Bool {
        switch self {
        case .enqueued, .enqueuedEvicting: true
        case .rejected, .mustWait: false
        }
    }
}
