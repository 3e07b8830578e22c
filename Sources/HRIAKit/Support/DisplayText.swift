/// Text that came from a person or a file, made safe to show. What is stored stays exact; only what is shown on a
/// terminal or written into Markdown is escaped, so nobody can hide words with a carriage return, colour or move
/// the cursor with an escape sequence, or reverse a line with a bidirectional override.
public enum DisplayText {
    /// Shows every control character (C0, DEL, C1), every bidirectional embedding, override and isolate
    /// (U+202A–U+202E, U+2066–U+2069) and the Unicode line and paragraph separators as an escape: `\n`, `\r`, `\t`
    /// by name, the rest as `\uXXXX`, as JSON writes them. With `keepingLineBreaks`, `\n` (and `\t`) stay as they
    /// are: for whole outputs whose lines hria composed itself.
    public static func escape(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard needsEscaping(text, keepingLineBreaks: keepingLineBreaks) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if keepingLineBreaks, scalar == "\n" || scalar == "\t" {
                out.append(scalar)
                continue
            }
            guard isUnsafe(scalar) else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                escaped = "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    /// Whether a scalar must not reach a terminal as it is.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }

    /// A pass over the bytes that finds nothing to escape in ordinary text without decoding it.
    static func needsEscaping(_ text: String, keepingLineBreaks: Bool) -> Bool {
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case 0x0A, 0x09: if !keepingLineBreaks { return true }
            case 0x00...0x1F, 0x7F: return true
            case 0xC2, 0xE2: return text.unicodeScalars.contains { isUnsafe($0) && !(keepingLineBreaks && ($0 == "\n" || $0 == "\t")) }
            default: continue
            }
        }
        return false
    }

    /// User text inside Markdown: controls escaped as above and line breaks made spaces, HTML-like text kept from
    /// becoming markup, and every character CommonMark could read as inline markup (emphasis, code, links, images,
    /// escapes, and the pipes and tildes of tables and strike-through) backslash-escaped, as is anything that would
    /// open a block (a heading, a quote, a list item) if the text began a line. It renders as the words typed.
    public static func markdown(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
        let scalars = Array(escape(flat).unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let markup: Bool
            switch scalar {
            case "&":
                out += "&amp;"
                continue
            case "<":
                out += "&lt;"
                continue
            case ">":
                out += "&gt;"
                continue
            case "\\", "`", "*", "[", "]", "!", "|", "~":
                markup = true
            case "_":
                // Between two letters or digits an underscore can neither open nor close emphasis (snake_case stays
                // readable); anywhere else it could.
                markup = !(index > 0 && index + 1 < scalars.count && isWord(scalars[index - 1]) && isWord(scalars[index + 1]))
            case "#", "+", "-", "=":
                markup = index == 0
            case ".", ")":
                // "1." or "1)" at the start would open an ordered list.
                markup = index > 0 && scalars[..<index].allSatisfy { $0.value >= 48 && $0.value <= 57 }
            default:
                markup = false
            }
            if markup { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
