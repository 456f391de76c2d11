/// Sends of an ask's request: ``ActorCell/send(_:waitLimit:)`` and
/// ``ActorCell/sendUnlessClosed(_:waitLimit:)`` that also say at which ordinal the request
/// entered the mailbox (read under the same lock hold as the offer), for the edge of the
/// ``WaitForGraph``.
///
/// Keep these in step with the plain sends: the only difference is the ordinal.
extension ActorCell {
    /// ``send(_:waitLimit:)`` for an ask's request.
    @inlinable
    final nonisolated(nonsending) func sendRequest(_ message: Message, waitLimit: Duration?) async -> RequestDelivery {
        lock.lock()
        let offer = user.offer(message, mayWait: true)
        let ordinal = user.enqueuedTotal
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.resume()
        if case .mustWait(let message) = offer {
            // Admitted later, at an ordinal the sender does not learn: no edge.
            return RequestDelivery(outcome: await park(message, waitLimit: waitLimit).0)
        }
        return RequestDelivery(outcome: settle(offer), receiver: self, ordinal: ordinal)
    }

    /// ``sendUnlessClosed(_:waitLimit:)`` for an ask's request (keyed actors).
    @inlinable
    final nonisolated(nonsending) func sendRequestUnlessClosed(
        _ message: Message,
        waitLimit: Duration?
    ) async -> (RequestDelivery, handedBack: Message?) {
        lock.lock()
        if user.isClosed {
            lock.unlock()
            return (RequestDelivery(outcome: .stopped), message)
        }
        let offer = user.offer(message, mayWait: true)
        let ordinal = user.enqueuedTotal
        let wake = takeConsumerIfEnqueued(offer)
        lock.unlock()
        wake?.resume()
        if case .mustWait(let message) = offer {
            let (outcome, handedBack) = await park(message, waitLimit: waitLimit, handBackIfClosed: true)
            return (RequestDelivery(outcome: outcome), handedBack)
        }
        return (RequestDelivery(outcome: settle(offer), receiver: self, ordinal: ordinal), nil)
    }
}
