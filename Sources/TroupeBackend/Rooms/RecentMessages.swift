/// A room's most recent messages, oldest first, at most `capacity`, ids strictly increasing.
struct RecentMessages {
    let capacity: Int
    private var records: [RoomRecord] = []
    /// Index of the oldest record in `records` (a ring once full).
    private var head = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { records.count }

    private var newestID: Int64? {
        records.isEmpty ? nil : records[(head + records.count - 1) % records.count].id
    }

    /// Adds a newly committed message; one at or below the newest id is already here.
    mutating func append(_ record: RoomRecord) {
        if let newest = newestID, record.id <= newest { return }
        if records.count < capacity {
            records.append(record)
        } else {
            records[head] = record
            head = (head + 1) % capacity
        }
    }

    /// The last `count` messages, oldest first.
    func last(_ count: Int) -> [RoomRecord] {
        let taken = min(count, records.count)
        guard taken > 0 else { return [] }
        return (records.count - taken..<records.count).map { records[(head + $0) % records.count] }
    }

    /// Replaces the contents with `older` (oldest first, from storage) followed by the
    /// records here that are newer than all of them, keeping the last `capacity`.
    mutating func merge(_ older: [RoomRecord]) {
        let mine = last(records.count)
        let boundary = older.last?.id ?? Int64.min
        let combined = older + mine.filter { $0.id > boundary }
        records = Array(combined.suffix(capacity))
        head = 0
    }
}
