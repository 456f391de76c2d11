/// Statements several parts of the backend run, written once (each is in
/// `BackendSchema.plannedQueries`, whose test checks that an index serves it).
enum BackendSQL {
    /// A user's id, password hash and admin flag by name (`users_name_key`).
    static let userByName = "SELECT id, password_hash, is_admin FROM users WHERE name = $1"
}
