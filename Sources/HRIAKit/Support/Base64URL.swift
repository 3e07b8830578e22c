/// Base64url without padding (RFC 4648 §5), as SD-JWT disclosures and digests use it: `Base64.url`.
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String { Base64.url.encode(Array(bytes)) }

    public static func decode(_ text: String) -> [UInt8]? { Base64.url.decode(text) }
}
