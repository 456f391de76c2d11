public import Troupe

/// Which database to use and how: what the pool (and start-up code) holds to open
/// connections of either driver.
public enum DatabaseConfiguration: Sendable, Hashable {
    /// The embedded default: a SQLite file.
    case sqlite(SQLiteConfiguration)
    /// A PostgreSQL server.
    case postgres(PostgresConfiguration)

    /// The dialect connections of this configuration speak.
    public var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Checks the driver's settings (see ``SQLiteConfiguration/validate()`` and
    /// ``PostgresConfiguration/validate()``). ``DatabasePool/childSpec(_:restart:)`` calls it.
    public func validate() throws(ConfigurationError) {
        switch self {
        case .sqlite(let configuration): try configuration.validate()
        case .postgres(let configuration): try configuration.validate()
        }
    }

    /// Opens a connection. Blocking (file I/O or a network handshake): call it on the thread
    /// that will use the connection, never on the cooperative pool.
    public func connect() throws(DatabaseError) -> any DatabaseConnection {
        try connect(interrupt: ConnectionInterrupt())
    }

    /// Opens a connection that `interrupt` can stop from another thread.
    func connect(interrupt: ConnectionInterrupt) throws(DatabaseError) -> any DatabaseConnection {
        switch self {
        case .sqlite(let configuration): try SQLiteConnection(configuration: configuration, interrupt: interrupt)
        case .postgres(let configuration): try PostgresConnection(configuration: configuration, interrupt: interrupt)
        }
    }
}
