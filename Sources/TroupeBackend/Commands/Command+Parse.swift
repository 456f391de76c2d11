extension Command {
    /// Parses one request: `arguments[0]` is the command name (any case), the rest its
    /// arguments. Arity and form are checked before anything else, as Redis does.
    ///
    /// - Throws: the ``ErrorReply`` to answer with, its text exactly as PROTOCOL.md says.
    public static func parse<Argument: Collection<UInt8>>(_ arguments: [Argument]) throws(ErrorReply) -> Command {
        throw .err("not implemented")
    }
}
