import Foundation
import Testing
@testable import HRIAKit

// Direct tests of the one JSON reader (`JSONReader` / `JSONParser`) and the canonical writer
// (`JSONValue.rendered`), which the audit log's lines go through (docs/AUDIT-LOG.md "The log file": one JSON
// object per line, sorted keys, no insignificant whitespace, no floating-point numbers).
//
// Key order: `JSONValue.sortedKeys` documents, and does, "keys sorted by their UTF-8 bytes". That is not the
// RFC 8785 order (UTF-16 code units); the two differ for a key in U+E000…U+FFFF against one above U+FFFF,
// which the tests below pin down.

@Suite("CanonicalJSON")
struct CanonicalJSONTests {
    // MARK: - Helpers

    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    /// The error the parser gives for `bytes`, or nil if it accepted them.
    static func refusal(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    static func refusal(_ text: String) -> JSONParseError? { refusal(Array(text.utf8)) }

    /// What `JSONReader.skipValue` says about a whole text (nil when it accepts it and nothing follows).
    static func skipRefusal(_ text: String) -> JSONParseError? {
        Array(text.utf8).withUnsafeBufferPointer { buffer -> JSONParseError? in
            do throws(JSONParseError) {
                var reader = JSONReader(buffer)
                try reader.skipValue()
                try reader.expectEnd()
                return nil
            } catch {
                return error
            }
        }
    }

    static func nestedArrays(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    static func nestedObjects(_ depth: Int) -> String {
        String(repeating: "{\"k\":", count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
    }

    // MARK: - Canonical writer: key order

    @Test func keysAreSortedByUTF8BytesWithoutWhitespace() {
        let value = JSONValue.object(["b": .int(1), "a": .int(2), "B": .int(3), "aa": .int(4), "": .int(5), "_sd": .int(6)])
        #expect(value.rendered() == #"{"":5,"B":3,"_sd":6,"a":2,"aa":4,"b":1}"#)
    }

    @Test func keyOrderIsByUTF8BytesNotUTF16CodeUnits() {
        // U+E000 is EE 80 80 in UTF-8 and E000 in UTF-16; U+10000 is F0 90 80 80 in UTF-8 and D800 DC00 in UTF-16.
        // By bytes (the documented order) U+E000 comes first; RFC 8785's UTF-16 order would put U+10000 first.
        let value = JSONValue.object(["\u{10000}": .int(2), "\u{E000}": .int(1)])
        #expect(value.rendered() == "{\"\u{E000}\":1,\"\u{10000}\":2}")
        #expect(JSONValue.sortedKeys(["\u{10000}": .null, "\u{E000}": .null, "\u{FFFD}": .null, "z": .null, "\u{7F}": .null])
            == ["z", "\u{7F}", "\u{E000}", "\u{FFFD}", "\u{10000}"])
    }

    @Test func keyOrderIsByCodePointNotByCanonicalEquivalenceOrLocale() {
        // "é" (U+00E9) against "f": bytes C3 A9 sort after 66; "Z" (5A) sorts before "a" (61).
        let value = JSONValue.object(["f": .int(1), "\u{E9}": .int(2), "Z": .int(3), "a": .int(4)])
        #expect(value.rendered() == "{\"Z\":3,\"a\":4,\"f\":1,\"\u{E9}\":2}")
    }

    @Test func nestedObjectsAreSortedToo() {
        let value = JSONValue.object(["z": .array([.object(["y": .int(1), "x": .int(2)])]), "a": .object(["d": .null, "c": .bool(true)])])
        #expect(value.rendered() == #"{"a":{"c":true,"d":null},"z":[{"x":2,"y":1}]}"#)
    }

    @Test func scalarsAndEmptyContainers() {
        #expect(JSONValue.null.rendered() == "null")
        #expect(JSONValue.bool(false).rendered() == "false")
        #expect(JSONValue.int(Int.min).rendered() == "-9223372036854775808")
        #expect(JSONValue.int(Int.max).rendered() == "9223372036854775807")
        #expect(JSONValue.int(0).rendered() == "0")
        #expect(JSONValue.array([]).rendered() == "[]")
        #expect(JSONValue.object([:]).rendered() == "{}")
        #expect(JSONValue.array([.int(1), .string("x"), .null]).rendered() == #"[1,"x",null]"#)
    }

    @Test func prettyFormIsIndentedAndStillSorted() {
        let value = JSONValue.object(["b": .array([.bool(true), .object([:])]), "a": .int(1), "c": .array([])])
        #expect(value.rendered(pretty: true) == """
        {
          "a": 1,
          "b": [
            true,
            {}
          ],
          "c": []
        }
        """)
    }

    // MARK: - Canonical writer: escapes

    @Test func shortEscapesAndQuotes() {
        #expect(JSONValue.string("\"\\\n\r\t\u{08}\u{0C}").rendered() == #""\"\\\n\r\t\b\f""#)
    }

    @Test func otherControlCharactersAreLowercaseSixCharacterEscapes() {
        #expect(JSONValue.string("\u{00}\u{01}\u{0B}\u{1F}").rendered() == #""\u0000\u0001\u000b\u001f""#)
    }

    @Test func everyControlCharacterIsEscapedAndNothingElseIs() {
        for code in UInt8(0)..<0x20 {
            let scalar = Unicode.Scalar(code)
            let rendered = JSONValue.string(String(Character(scalar))).rendered()
            #expect(!rendered.unicodeScalars.contains { $0.value < 0x20 }, "U+\(String(code, radix: 16)) written raw")
            #expect(rendered.hasPrefix("\"\\"), "U+\(String(code, radix: 16)) not escaped: \(rendered)")
        }
        // DEL, the slash, U+2028/U+2029 and non-ASCII are written as they are (as RFC 8785 does).
        let raw = "\u{7F}/\u{2028}\u{2029}é\u{10FFFF}😀"
        #expect(JSONValue.string(raw).rendered() == "\"" + raw + "\"")
    }

    @Test func keysAreEscapedLikeStrings() {
        let value = JSONValue.object(["a\"b": .int(1), "\n": .int(2)])
        #expect(value.rendered() == #"{"\n":2,"a\"b":1}"#)
    }

    @Test func renderedTextParsesBackToTheSameValue() throws {
        let value = JSONValue.object([
            "text": .string("quote \" backslash \\ newline \n tab \t nul \u{0} del \u{7F} ls \u{2028} ps \u{2029} astral 😀"),
            "\u{10000}": .array([.int(Int.min), .int(Int.max), .int(-1), .int(0)]),
            "\u{E000}": .object(["nested": .object(["deeper": .array([.null, .bool(true), .bool(false)])])]),
            "": .string(""),
        ])
        let text = value.rendered()
        let back = try Self.parse(text)
        #expect(back == value)
        // Canonical: rendering what was read gives the same bytes again.
        #expect(back.rendered() == text)
        #expect(try Self.parse(value.rendered(pretty: true)) == value)
    }

    // MARK: - The log's own lines

    @Test func eventLinesAreCanonical() throws {
        let draft = EventDraft(actor: "ana", stage: "screening", time: Date(timeIntervalSince1970: 1_772_446_500),
                               payload: .commentAdded(CommentAdded(text: "Line \"one\"\nline\\two \u{1} é", roles: ["assessor"])))
        let line = EventLine.encode(draft, seq: 3, prev: .zero)
        let zeros = String(repeating: "0", count: 64)
        let expected = #"{"_sd":[],"actor":"ana","data":{"roles":["assessor"],"text":"Line \"one\"\nline\\two \u0001 é"},"prev":""#
            + zeros + #"","seq":3,"stage":"screening","time":"2026-03-02T10:15:00Z","type":"comment.added","v":1}"#
        #expect(String(decoding: line, as: UTF8.self) == expected)
        // Re-rendering what the general parser reads gives the stored bytes back.
        #expect(try JSONParser.parse(line).rendered() == expected)
        let event = try EventLine.decode(line)
        #expect(event.seq == 3)
        #expect(event.actor == "ana")
        #expect(event.time == Date(timeIntervalSince1970: 1_772_446_500))
        #expect(event.payload == .commentAdded(CommentAdded(text: "Line \"one\"\nline\\two \u{1} é", roles: ["assessor"])))
    }

    // MARK: - Reader: strings and escapes

    @Test func simpleEscapesAreDecoded() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
    }

    @Test func unicodeEscapes() throws {
        #expect(try Self.parse(#""\u0041\u00e9\u00E9\u2028\u2029\uFFFF""#) == .string("Aéé\u{2028}\u{2029}\u{FFFF}"))
        #expect(try Self.parse(#""\u0000""#) == .string("\u{0}"))
        // A surrogate pair is one scalar.
        #expect(try Self.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try Self.parse(#""\uD800\uDC00""#) == .string("\u{10000}"))
        #expect(try Self.parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
    }

    @Test func rawUnicodeIncludingLineSeparatorsIsRead() throws {
        #expect(try Self.parse("\"\u{2028}\u{2029}é😀\u{7F}\"") == .string("\u{2028}\u{2029}é😀\u{7F}"))
    }

    @Test func loneHighSurrogateIsRefused() throws {
        let error = try #require(Self.refusal(#""\ud800""#))
        #expect(error.message == "lone surrogate")
        #expect(error.offset == 7)
        let beforeText = try #require(Self.refusal(#""\ud800abcdef""#))
        #expect(beforeText.message == "lone surrogate")
    }

    @Test func highSurrogateFollowedByNonLowIsRefused() throws {
        let error = try #require(Self.refusal(#""\ud800\u0041""#))
        #expect(error.message == "bad surrogate pair")
        let twoHighs = try #require(Self.refusal(#""\ud800\ud800""#))
        #expect(twoHighs.message == "bad surrogate pair")
    }

    @Test func loneLowSurrogateIsRefused() throws {
        let error = try #require(Self.refusal(#""\udc00""#))
        #expect(error.message == "invalid unicode escape")
        #expect(error.offset == 3)
        #expect(Self.refusal(#""x\uDFFFy""#)?.message == "invalid unicode escape")
    }

    @Test func badEscapesAreRefused() {
        #expect(Self.refusal(#""\x""#)?.message == "unknown escape")
        #expect(Self.refusal(#""\'""#)?.message == "unknown escape")
        #expect(Self.refusal(#""\U0041""#)?.message == "unknown escape")
        #expect(Self.refusal(#""\u12""#)?.message == "expected four hex digits")
        #expect(Self.refusal(#""\u12G4""#)?.message == "expected four hex digits")
        #expect(Self.refusal(#""\u""#)?.message == "expected four hex digits")
        // A backslash just before the end of input.
        #expect(Self.refusal(#""\"#)?.message == "unterminated escape")
    }

    @Test func rawControlCharactersInStringsAreRefused() throws {
        for code in UInt8(0)..<0x20 {
            let error = try #require(Self.refusal([0x22, 0x61, code, 0x22]), "control byte \(code) accepted")
            #expect(error.message == "control character in string")
            #expect(error.offset == 2)
        }
        // Also inside a string that has escapes, and inside keys.
        #expect(Self.refusal([0x22, 0x5C, 0x6E, 0x0A, 0x22])?.message == "control character in string")
        #expect(Self.refusal([0x7B, 0x22, 0x09, 0x22, 0x3A, 0x31, 0x7D])?.message == "control character in string")
    }

    @Test func unterminatedStringIsRefused() throws {
        let error = try #require(Self.refusal(#"  "abc"#))
        #expect(error.message == "unterminated string")
        #expect(error.offset == 2)
        #expect(Self.refusal(#""abc\""#)?.message == "unterminated string")
    }

    @Test func invalidUTF8IsRefused() throws {
        let cases: [[UInt8]] = [
            [0xFF],
            [0xC0, 0xAF],             // overlong "/"
            [0xE0, 0x80, 0xAF],       // overlong
            [0xED, 0xA0, 0x80],       // UTF-8 encoded surrogate U+D800
            [0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
            [0xC3],                   // truncated
            [0x80],                   // stray continuation
            [0xF8, 0x88, 0x80, 0x80, 0x80],
        ]
        for bad in cases {
            let plain = try #require(Self.refusal([0x22, 0x61] + bad + [0x22]), "\(bad) accepted")
            #expect(plain.message == "invalid UTF-8")
            // The escaped path decodes on its own; it must refuse the same bytes.
            let escaped = try #require(Self.refusal([0x22, 0x5C, 0x6E] + bad + [0x22]), "\(bad) accepted after an escape")
            #expect(escaped.message == "invalid UTF-8")
            // Keys are checked where they are kept.
            let key = try #require(Self.refusal([0x7B, 0x22] + bad + [0x22, 0x3A, 0x31, 0x7D]), "\(bad) accepted in a key")
            #expect(key.message == "invalid UTF-8")
        }
        #expect(Self.refusal([0x22, 0x61, 0xFF, 0x22])?.offset == 1)
    }

    @Test func byteOrderMarkIsRefused() {
        let error = Self.refusal([0xEF, 0xBB, 0xBF] + Array("{}".utf8))
        #expect(error?.message == "unexpected character")
        #expect(error?.offset == 0)
    }

    // MARK: - Reader: duplicate keys

    @Test func duplicateKeysAreRefused() throws {
        let error = try #require(Self.refusal(#"{"a":1,"a":2}"#))
        #expect(error.message == #"duplicate key "a""#)
        #expect(error.offset == 7)
        #expect(Self.refusal(#"{"a":1,"b":2,"a":1}"#)?.message == #"duplicate key "a""#)
        #expect(Self.refusal(#"{ "a" : 1 , "a" : 1 }"#)?.message == #"duplicate key "a""#)
    }

    @Test func duplicateKeysSpelledWithEscapesAreRefused() {
        #expect(Self.refusal(#"{"a":1,"\u0061":2}"#)?.message == #"duplicate key "a""#)
        #expect(Self.refusal(#"{"é":1,"\u00e9":2}"#)?.message == "duplicate key \"é\"")
    }

    @Test func duplicateKeysInNestedObjectsAreRefused() {
        #expect(Self.refusal(#"{"x":{"a":1,"a":1}}"#)?.message == #"duplicate key "a""#)
        #expect(Self.refusal(#"[{"a":null,"a":null}]"#)?.message == #"duplicate key "a""#)
        // skipValue, which checks without building, refuses them as well.
        #expect(Self.skipRefusal(#"{"a":1,"a":2}"#)?.message == #"duplicate key "a""#)
        #expect(Self.skipRefusal(#"[{"x":{"b":[],"b":[]}}]"#)?.message == #"duplicate key "b""#)
        #expect(Self.skipRefusal(#"{"a":1,"\u0061":2}"#)?.message == #"duplicate key "a""#)
    }

    @Test func keysDifferingOnlyInCaseOrInSameObjectOfAnotherAreNotDuplicates() throws {
        #expect(try Self.parse(#"{"a":1,"A":2,"x":{"a":3}}"#) == .object(["a": .int(1), "A": .int(2), "x": .object(["a": .int(3)])]))
        #expect(Self.skipRefusal(#"{"a":1,"A":2,"x":{"a":3}}"#) == nil)
    }

    // MARK: - Reader: numbers

    @Test func integerBounds() throws {
        #expect(try Self.parse("9223372036854775807") == .int(Int.max))
        #expect(try Self.parse("-9223372036854775808") == .int(Int.min))
        let above = try #require(Self.refusal("9223372036854775808"))
        #expect(above.message == "number out of range")
        #expect(above.offset == 0)
        let below = try #require(Self.refusal(" -9223372036854775809"))
        #expect(below.message == "number out of range")
        #expect(below.offset == 1)
        #expect(Self.refusal("99999999999999999999999999")?.message == "number out of range")
        #expect(Self.refusal(#"{"n":18446744073709551616}"#)?.message == "number out of range")
    }

    @Test func ordinaryIntegers() throws {
        #expect(try Self.parse("0") == .int(0))
        #expect(try Self.parse("-0") == .int(0))
        #expect(try Self.parse("-1") == .int(-1))
        #expect(try Self.parse("[10,-20,300]") == .array([.int(10), .int(-20), .int(300)]))
    }

    @Test func fractionsAndExponentsAreRefused() {
        for text in ["1.0", "1.5", "0.0", "-0.5", "1e5", "1E5", "1e-2", "-1E+2", "0e0", "1."] {
            #expect(Self.refusal(text)?.message == "only whole numbers are allowed", "\(text)")
        }
        #expect(Self.refusal(#"{"a":2.5}"#)?.message == "only whole numbers are allowed")
    }

    @Test func otherNumberFormsAreRefused() {
        #expect(Self.refusal("01")?.message == "numbers may not have leading zeros")
        #expect(Self.refusal("-01")?.message == "numbers may not have leading zeros")
        #expect(Self.refusal("00")?.message == "numbers may not have leading zeros")
        #expect(Self.refusal("-")?.message == "unexpected end of input")
        #expect(Self.refusal("-a")?.message == "expected a digit")
        #expect(Self.refusal("+1")?.message == "unexpected character")
        #expect(Self.refusal(".5")?.message == "unexpected character")
        #expect(Self.refusal("0x10")?.message == "unexpected bytes after the JSON value")
        #expect(Self.refusal("NaN")?.message == "unexpected character")
        #expect(Self.refusal("Infinity")?.message == "unexpected character")
    }

    // MARK: - Reader: depth

    @Test func nestingUpToTheLimitIsRead() throws {
        #expect(JSONReader.maximumDepth == 64)
        let arrays = try Self.parse(Self.nestedArrays(64))
        var depth = 0
        var current: JSONValue? = arrays
        while let items = current?.arrayValue {
            depth += 1
            current = items.first
        }
        #expect(depth == 64)
        _ = try Self.parse(Self.nestedObjects(64))
        #expect(Self.skipRefusal(Self.nestedArrays(64)) == nil)
        #expect(Self.skipRefusal(Self.nestedObjects(64)) == nil)
    }

    @Test func nestingPastTheLimitIsRefused() throws {
        let arrays = try #require(Self.refusal(Self.nestedArrays(65)))
        #expect(arrays.message == "nested too deeply")
        #expect(arrays.offset == 65)
        #expect(Self.refusal(Self.nestedObjects(65))?.message == "nested too deeply")
        #expect(Self.refusal(String(repeating: "[{\"a\":", count: 40))?.message == "nested too deeply")
        #expect(Self.skipRefusal(Self.nestedArrays(65))?.message == "nested too deeply")
        #expect(Self.skipRefusal(Self.nestedObjects(65))?.message == "nested too deeply")
        // Deep input is refused quickly rather than exhausting the stack.
        #expect(Self.refusal(String(repeating: "[", count: 1_000_000))?.message == "nested too deeply")
    }

    @Test func depthIsCountedPerPathNotPerDocument() throws {
        // Many siblings, each 63 deep under the top array: 64 in all on every path.
        let sibling = Self.nestedArrays(63)
        let text = "[" + Array(repeating: sibling, count: 10).joined(separator: ",") + "]"
        #expect(try Self.parse(text).arrayValue?.count == 10)
    }

    // MARK: - Reader: structure and trailing bytes

    @Test func trailingGarbageIsRefused() throws {
        let error = try #require(Self.refusal("{} x"))
        #expect(error.message == "unexpected bytes after the JSON value")
        #expect(error.offset == 3)
        for text in ["{}{}", "1 2", #""a"x"#, "truex", "nullnull", "[1]]", "{}}", "0,"] {
            #expect(Self.refusal(text)?.message == "unexpected bytes after the JSON value", "\(text)")
        }
        #expect(Self.refusal([0x7B, 0x7D, 0x00])?.message == "unexpected bytes after the JSON value")
        #expect(Self.skipRefusal("[] 1")?.message == "unexpected bytes after the JSON value")
    }

    @Test func surroundingWhitespaceIsAllowed() throws {
        #expect(try Self.parse(" \t\r\n{ \"a\" : [ 1 , true ] }\n\r\t ") == .object(["a": .array([.int(1), .bool(true)])]))
        // Only JSON's four whitespace bytes: a form feed or a non-breaking space is not whitespace.
        #expect(Self.refusal("\u{0C}{}")?.message == "unexpected character")
        #expect(Self.refusal("{}\u{A0}")?.message == "unexpected bytes after the JSON value")
    }

    @Test func emptyAndTruncatedInputsAreRefused() {
        #expect(Self.refusal("")?.message == "unexpected end of input")
        #expect(Self.refusal("   ")?.message == "unexpected end of input")
        #expect(Self.refusal("[")?.message == "unexpected end of input")
        #expect(Self.refusal("[1")?.message == "unterminated array")
        #expect(Self.refusal("{")?.message == "unterminated object")
        #expect(Self.refusal(#"{"a""#)?.message == "expected :")
        #expect(Self.refusal(#"{"a":"#)?.message == "unexpected end of input")
        #expect(Self.refusal(#"{"a":1"#)?.message == "unterminated object")
        #expect(Self.refusal("tru")?.message == "expected true or false")
        #expect(Self.refusal("nul")?.message == "expected null")
    }

    @Test func malformedContainersAreRefused() {
        #expect(Self.refusal("[1,]")?.message == "unexpected character")
        #expect(Self.refusal(#"{"a":1,}"#)?.message == "expected a key")
        #expect(Self.refusal("[1 2]")?.message == "expected , or ]")
        #expect(Self.refusal(#"{"a":1 "b":2}"#)?.message == "expected , or }")
        #expect(Self.refusal(#"{"a" 1}"#)?.message == "expected :")
        #expect(Self.refusal("{a:1}")?.message == "expected a key")
        #expect(Self.refusal("{1:1}")?.message == "expected a key")
        #expect(Self.refusal("['a']")?.message == "unexpected character")
        #expect(Self.refusal("[,1]")?.message == "unexpected character")
        #expect(Self.refusal("True")?.message == "unexpected character")
    }

    @Test func errorDescriptionNamesTheOffset() throws {
        let error = try #require(Self.refusal("[1, 2, x]"))
        #expect(error.offset == 7)
        #expect(error.description == "unexpected character at byte 7")
    }

    @Test func valuesAreReadFaithfully() throws {
        let value = try Self.parse(#"{"s":"x","i":-7,"b":false,"n":null,"a":[{}],"o":{"k":[]}}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == -7)
        #expect(value["b"]?.boolValue == false)
        #expect(value["n"] == .null)
        #expect(value["a"]?.arrayValue == [.object([:])])
        #expect(value["o"]?.objectValue == ["k": .array([])])
        #expect(value["missing"] == nil)
        #expect(value.objectValue?.count == 6)
    }

    @Test func parsesFromNonContiguousCollections() throws {
        // `parse` takes any collection of bytes; one without contiguous storage is copied first.
        let bytes = Array(#"{"a":[1,2]}"#.utf8).lazy.map { $0 }
        #expect(try JSONParser.parse(bytes) == .object(["a": .array([.int(1), .int(2)])]))
    }
}
