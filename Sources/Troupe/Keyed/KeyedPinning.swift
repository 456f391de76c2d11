/// What a keyed actor's context calls to pin or unpin the actor (``ActorContext/keepAlive(_:)``).
///
/// ``KeyedRegistry`` implements it; a context finds it as its parent's external children,
/// so the context needs to know neither the key type nor whether its actor is keyed (an
/// actor whose parent has no registry is simply not pinnable).
protocol KeyedPinning: AnyObject, Sendable {
    /// Pins (`on`) or unpins the running keyed actor whose cell is `cell`; returns whether
    /// it is pinned afterwards.
    func keepAlive(_ on: Bool, for cell: CellBase) -> Bool
}
