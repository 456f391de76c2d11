import Glibc
public import TroupeBackend

/// Reads an operator's progression tree file (``ProgressionTree/parse(_:)``'s format) with a
/// size cap, so a wrong path (a log, a device) never makes start-up read without bound.
///
/// Blocking file I/O: call it at start-up, before any actor or the cooperative pool is busy.
public enum TreeFile {
    /// The largest tree file read: 1 MiB (a tree of ``ProgressionTree/maxNodes`` nodes at
    /// their longest titles and levels takes well under that).
    public static let maxBytes = 1 << 20

    /// The tree in the file at `path`.
    ///
    /// - Throws: ``CLIError/treeUnreadable(path:reason:)`` (missing, a directory, not UTF-8),
    ///   ``CLIError/treeTooLarge(path:maxBytes:)`` past `maxBytes`, or
    ///   ``CLIError/treeInvalid(path:error:)`` with the parse error's line and field.
    public static func load(path: String, maxBytes: Int = TreeFile.maxBytes) throws(CLIError) -> ProgressionTree {
        let bytes = try read(path: path, maxBytes: maxBytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .treeUnreadable(path: path, reason: "not UTF-8 text")
        }
        do {
            return try ProgressionTree.parse(text)
        } catch {
            throw .treeInvalid(path: path, error: error)
        }
    }

    /// At most `maxBytes` bytes of the file (clamped to 0...1 GiB, so the buffer stays
    /// bounded whatever the caller passes); one more byte is an error. The size is found by
    /// reading, not by `stat`, so a pipe or a growing file is bounded too.
    static func read(path: String, maxBytes requested: Int) throws(CLIError) -> [UInt8] {
        let maxBytes = min(max(0, requested), 1 << 30)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .treeUnreadable(path: path, reason: systemError(errno)) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .treeUnreadable(path: path, reason: systemError(errno))
            }
            if result == 0 { break }
            count += result
        }
        guard count <= maxBytes else { throw .treeTooLarge(path: path, maxBytes: maxBytes) }
        return Array(bytes[..<count])
    }

    /// The C library's text for `code` (`No such file or directory`).
    private static func systemError(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
