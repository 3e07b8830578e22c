/// Parses a whole JSON text into a `JSONValue`, through the one `JSONReader` (UTF-8 only, integers only, no
/// duplicate keys, bounded depth). Anything else is a `JSONParseError` with the byte offset where it went wrong.
public enum JSONParser {
    static var maximumDepth: Int { JSONReader.maximumDepth }

    /// Parses one complete JSON value; anything but whitespace after it is an error.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = withBuffer(bytes) { buffer in
            do throws(JSONParseError) {
                var reader = JSONReader(buffer)
                let value = try reader.value()
                try reader.expectEnd()
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Runs `body` on the bytes in contiguous memory, copying only when they are not already.
    static func withBuffer<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
        return Array(bytes).withUnsafeBufferPointer(body)
    }
}

/// Why a JSON text was refused, and where.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "\(message) at byte \(offset)" }
}
