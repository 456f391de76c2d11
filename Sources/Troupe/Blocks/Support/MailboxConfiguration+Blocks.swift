extension MailboxConfiguration {
    /// The default mailbox of a building block's actor: 1,024 requests; senders wait for
    /// room (backpressure) rather than lose a request. Valid by construction.
    public static let buildingBlockDefault = try! MailboxConfiguration(capacity: 1_024, overflow: .suspend())
}
