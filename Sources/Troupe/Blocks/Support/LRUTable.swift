/// A dictionary that remembers the order in which its entries were last used: O(1) lookup,
/// insert, removal, "mark as used" and "remove the least recently used".
///
/// A value type (entries live in one array linked by indices, not in objects), so a state
/// machine that holds one keeps value semantics and can be copied, compared in tests and
/// embedded in a behavior's state. Freed slots are reused; the array never shrinks, so its
/// size is the most entries ever held at once (the owner's cap bounds that).
///
/// Inlinable, like the state machines built on it, so that it is specialized for the
/// concrete key and value types where it is used (unspecialized, every hash and copy goes
/// through a witness table: measured, a cache hit cost 5 times as much).
@usableFromInline
struct LRUTable<Key: Hashable, Value> {
    @usableFromInline
    struct Slot {
        @usableFromInline var key: Key?
        @usableFromInline var value: Value?
        @usableFromInline var older = -1
        @usableFromInline var newer = -1

        @inlinable
        init(key: Key?, value: Value?) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline var slots: [Slot] = []
    @usableFromInline var index: [Key: Int] = [:]
    @usableFromInline var free: [Int] = []
    /// Least and most recently used slots; -1 when empty.
    @usableFromInline var oldest = -1
    @usableFromInline var newest = -1

    @inlinable
    init() {}

    @inlinable var count: Int { index.count }
    @inlinable var isEmpty: Bool { index.isEmpty }

    /// The value for `key`, without marking it as used.
    @inlinable
    func peek(_ key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        return slots[slot].value
    }

    @inlinable
    func contains(_ key: Key) -> Bool { index[key] != nil }

    /// Runs `body` on the value for `key` in place and returns its result; nil if absent.
    /// With `touch`, the entry becomes the most recently used.
    @inlinable
    mutating func update<Result>(_ key: Key, touch: Bool, _ body: (inout Value) -> Result) -> Result? {
        guard let slot = index[key] else { return nil }
        if touch { moveToNewest(slot) }
        return body(&slots[slot].value!)
    }

    /// Adds or replaces the entry for `key` as the most recently used.
    @inlinable
    mutating func set(_ key: Key, _ value: Value) {
        if let slot = index[key] {
            slots[slot].value = value
            moveToNewest(slot)
            return
        }
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            slots[slot].key = key
            slots[slot].value = value
        } else {
            slot = slots.count
            slots.append(Slot(key: key, value: value))
        }
        index[key] = slot
        linkAsNewest(slot)
    }

    /// Removes the entry for `key` and returns its value.
    @inlinable
    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        guard let slot = index.removeValue(forKey: key) else { return nil }
        return release(slot)
    }

    /// The least recently used entry, without removing it.
    @inlinable
    var leastRecentlyUsed: (key: Key, value: Value)? {
        guard oldest >= 0 else { return nil }
        return (slots[oldest].key!, slots[oldest].value!)
    }

    /// Removes and returns the least recently used entry.
    @inlinable
    mutating func removeLeastRecentlyUsed() -> (key: Key, value: Value)? {
        guard oldest >= 0 else { return nil }
        let slot = oldest
        let key = slots[slot].key!
        index.removeValue(forKey: key)
        return (key, release(slot))
    }

    /// Removes every entry for which `shouldRemove` is true and returns them.
    @inlinable
    mutating func removeAll(where shouldRemove: (Key, Value) -> Bool) -> [(key: Key, value: Value)] {
        var removed: [(key: Key, value: Value)] = []
        var slot = oldest
        while slot >= 0 {
            let next = slots[slot].newer
            let key = slots[slot].key!
            if shouldRemove(key, slots[slot].value!) {
                index.removeValue(forKey: key)
                removed.append((key, release(slot)))
            }
            slot = next
        }
        return removed
    }

    /// Keys from least to most recently used.
    @inlinable
    var keysOldestFirst: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(count)
        var slot = oldest
        while slot >= 0 {
            keys.append(slots[slot].key!)
            slot = slots[slot].newer
        }
        return keys
    }

    @inlinable
    mutating func release(_ slot: Int) -> Value {
        unlink(slot)
        let value = slots[slot].value.take()!
        slots[slot].key = nil
        free.append(slot)
        return value
    }

    @inlinable
    mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    @inlinable
    mutating func linkAsNewest(_ slot: Int) {
        slots[slot].older = newest
        slots[slot].newer = -1
        if newest >= 0 { slots[newest].newer = slot } else { oldest = slot }
        newest = slot
    }

    @inlinable
    mutating func unlink(_ slot: Int) {
        let older = slots[slot].older
        let newer = slots[slot].newer
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
        if newer >= 0 { slots[newer].older = older } else { newest = older }
        slots[slot].older = -1
        slots[slot].newer = -1
    }
}

extension LRUTable: Sendable where Key: Sendable, Value: Sendable {}

extension LRUTable.Slot: Sendable where Key: Sendable, Value: Sendable {}
