/// Base64 (RFC 4648) in the two forms hria uses, from one codec:
///
/// - `Base64.standard` (§4, `+/`, padded): signed notes and checkpoints (C2SP signed-note, as Go's
///   `encoding/base64.StdEncoding` writes them), proof files, event signatures, roots shown to people;
/// - `Base64.url` (§5, `-_`, no padding): disclosures and their digests, as SD-JWT writes them.
///
/// Decoding refuses what the form does not allow (a character outside the alphabet, padding where there is none or
/// in the middle). `strict` also refuses any text that is not the one encoding of its bytes (non-zero trailing
/// bits), so that a value has one spelling; `ignoringNewlines` skips CR and LF as Go's decoder does.
public struct Base64: Sendable {
    public static let standard = Base64(last: (UInt8(ascii: "+"), UInt8(ascii: "/")), padded: true)
    public static let url = Base64(last: (UInt8(ascii: "-"), UInt8(ascii: "_")), padded: false)

    private let alphabet: [UInt8]
    private let values: [UInt8]
    private let padded: Bool
    private static let pad = UInt8(ascii: "=")

    private init(last: (UInt8, UInt8), padded: Bool) {
        alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8) + [last.0, last.1]
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        values = table
        self.padded = padded
    }

    public func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
            if padded { out += [Self.pad, Self.pad] }
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
            if padded { out.append(Self.pad) }
        default: break
        }
        return String(decoding: out, as: UTF8.self)
    }

    public func decode(_ text: String, strict: Bool = false, ignoringNewlines: Bool = false) -> [UInt8]? {
        decode(Array(text.utf8), strict: strict, ignoringNewlines: ignoringNewlines)
    }

    public func decode(_ text: some Collection<UInt8>, strict: Bool = false, ignoringNewlines: Bool = false) -> [UInt8]? {
        var chars = Array(text)
        if ignoringNewlines { chars.removeAll { $0 == 0x0A || $0 == 0x0D } }
        // Padding only at the end, and only in the padded form, where it makes the length a multiple of four.
        var body = chars[...]
        if padded {
            guard chars.count % 4 == 0 else { return nil }
            if body.last == Self.pad { body = body.dropLast() }
            if body.last == Self.pad { body = body.dropLast() }
        }
        let tail = body.count % 4
        guard tail != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(body.count / 4 * 3 + 2)
        var quad: UInt32 = 0
        var index = body.startIndex
        var taken = 0
        while index < body.endIndex {
            let value = values[Int(body[index])]
            guard value != 0xFF else { return nil }
            quad = quad << 6 | UInt32(value)
            taken += 1
            if taken == 4 {
                out += [UInt8(quad >> 16), UInt8(quad >> 8 & 0xFF), UInt8(quad & 0xFF)]
                quad = 0
                taken = 0
            }
            index += 1
        }
        switch taken {
        case 2:
            if strict && quad & 0x0F != 0 { return nil }
            out.append(UInt8(quad >> 4))
        case 3:
            if strict && quad & 0x03 != 0 { return nil }
            out += [UInt8(quad >> 10), UInt8(quad >> 2 & 0xFF)]
        default: break
        }
        return out
    }
}
