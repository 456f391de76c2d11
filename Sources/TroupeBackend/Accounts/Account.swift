/// A user account as a login binds it.
struct Account: Sendable, Hashable {
    let id: Int64
    let name: UserName
    let isAdmin: Bool
}
