import Foundation

// The test target's own seeded generator and base64url. HRIAKitTests holds the same two in its TestSupport.swift:
// the test targets share no source files.

/// SplitMix64 (Steele, Lea, Flood 2014): the one seeded generator of this test target, so that a run with a
/// given seed reproduces. Its outputs for seed 0 begin 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound ≥ 1).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Base64url without padding (RFC 4648 §5), built here on Foundation's base64 with the URL alphabet mapped rather than
/// taken from HRIAKit (Sources/HRIAKit/Support/Base64URL.swift), so the tests do not check the product with itself.
/// `decode` takes the URL alphabet only: no padding, no `+` or `/`, and only the one spelling of its bytes (it must
/// encode back to the same text).
enum IndependentBase64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard text.utf8.allSatisfy(alphabet.contains), text.utf8.count % 4 != 1 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        guard let data = Data(base64Encoded: standard), encode(data) == text else { return nil }
        return data
    }
}
