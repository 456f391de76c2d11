/// The one database connection of a pool's connection thread (a Troupe `BlockingThread`
/// whose per-thread context this is): opened on that thread when first needed, again after
/// a failed open, and closed on it when the thread ends.
///
/// # Thread safety
/// Not `Sendable`: made, used and released only on its thread. Jobs receive it as the
/// thread's context while they run there.
final class ConnectionSession {
    private let configuration: DatabaseConfiguration
    /// Shared with the pool actor, which raises it when the pool stops: the session's
    /// connections (this one and any reopened after a failure) are interrupted through it.
    private let interrupt: ConnectionInterrupt
    private var connection: (any DatabaseConnection)?

    init(configuration: DatabaseConfiguration, interrupt: ConnectionInterrupt) {
        self.configuration = configuration
        self.interrupt = interrupt
    }

    deinit {
        // The thread releases its context as it exits: the connection closes there too.
        close()
    }

    /// True while a connection is open (it may still turn out broken on its next call; the
    /// PostgreSQL driver then reconnects by itself).
    var isOpen: Bool { connection != nil }

    /// The open connection, opened now if there is none. Blocking.
    ///
    /// - Throws: the driver's `unavailable` when the database cannot be reached; a failed
    ///   open leaves the session closed, so the next job tries again (that is how traffic
    ///   resumes after an outage without restarting anything); `unavailable` once the pool
    ///   stopping raised the interrupt switch.
    func open() throws(DatabaseError) -> any DatabaseConnection {
        if let connection { return connection }
        let opened = try configuration.connect(interrupt: interrupt)
        connection = opened
        return opened
    }

    /// After a job: rolls back a transaction the job left open, so the next job starts
    /// clean. A connection that cannot even roll back is closed and reopened on next use.
    func cleanUp() {
        guard let connection, connection.isInTransaction else { return }
        do {
            try connection.rollback()
        } catch {
            close()
        }
    }

    /// Closes the connection (reopened by the next ``open()``).
    func close() {
        connection?.close()
        connection = nil
    }
}
