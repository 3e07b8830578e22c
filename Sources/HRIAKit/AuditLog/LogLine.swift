/// Turns an event into its stored line: canonical JSON (sorted keys, no whitespace, no floats) without `\n`.
public enum LogLine {
    /// The hash the next event records as `prev`: the RFC 6962 leaf hash of the line, SHA-256(0x00 ‖ line), in
    /// lowercase hex. One hash per line then serves both the chain and the Merkle tree.
    public static func chainHash(_ line: some Collection<UInt8>) -> String {
        Digest.hex(Merkle.leafHash(line))
    }

    /// The line's bytes; with a signature, `sig` is added as one more member of the same canonical object.
    public static func serialize(_ draft: EventDraft, seq: Int, prev: String, signature: String? = nil) -> [UInt8] {
        var object = draft.object(seq: seq, prev: prev)
        if let signature { object["sig"] = .string(signature) }
        return Array(JSONValue.object(object).rendered().utf8)
    }

    /// The bytes an event signature covers: the stored line with its `"sig":"..."` member taken out, byte for
    /// byte, so verifying never re-serialises. Nil when the line has no signature member.
    public static func signedBytes(of line: [UInt8]) -> (message: [UInt8], signature: String)? {
        // The last match is the top-level member: only stage, time, type and v follow it, none can hold it.
        let marker = Array("\"sig\":\"".utf8)
        guard let start = lastRange(of: marker, in: line) else { return nil }
        var end = start.upperBound
        while end < line.count, line[end] != UInt8(ascii: "\"") {
            // A base64 signature holds no quotes or escapes; anything else is not one of ours.
            if line[end] == UInt8(ascii: "\\") { return nil }
            end += 1
        }
        guard end < line.count else { return nil }
        let signature = String(decoding: line[start.upperBound..<end], as: UTF8.self)
        var removeFrom = start.lowerBound, removeTo = end + 1
        if removeTo < line.count, line[removeTo] == UInt8(ascii: ",") {
            removeTo += 1
        } else if removeFrom > 0, line[removeFrom - 1] == UInt8(ascii: ",") {
            removeFrom -= 1
        }
        return (Array(line[..<removeFrom]) + Array(line[removeTo...]), signature)
    }

    static func lastRange(of marker: [UInt8], in line: [UInt8]) -> Range<Int>? {
        guard line.count >= marker.count else { return nil }
        var i = line.count - marker.count
        while i >= 0 {
            if line[i] == marker[0], Array(line[i..<(i + marker.count)]) == marker { return i..<(i + marker.count) }
            i -= 1
        }
        return nil
    }

    /// Splits a log file into complete lines and the bytes after the last line break (a torn tail if any).
    public static func split(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], tail: ArraySlice<UInt8>) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                lines.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        return (lines, bytes[start...])
    }
}
