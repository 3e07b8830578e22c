import Crypto
import Foundation

/// SHA-256 helpers (swift-crypto) in the encodings hria uses.
public enum Digest {
    public static func sha256(_ bytes: some DataProtocol) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    public static func sha256Hex(_ bytes: some DataProtocol) -> String { hex(sha256(bytes)) }

    /// Lowercase hex as ASCII bytes, for comparing with hashes stored in a line without making strings.
    public static func hexBytes(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count * 2)
        for (i, b) in bytes.enumerated() {
            out[2 * i] = hexDigits[Int(b >> 4)]
            out[2 * i + 1] = hexDigits[Int(b & 0x0f)]
        }
        return out
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes lowercase hex into a buffer twice the input's size, reusing it line after line.
    public static func writeHex(_ bytes: [UInt8], into out: inout [UInt8]) {
        for (i, b) in bytes.enumerated() {
            out[2 * i] = hexDigits[Int(b >> 4)]
            out[2 * i + 1] = hexDigits[Int(b & 0x0f)]
        }
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
