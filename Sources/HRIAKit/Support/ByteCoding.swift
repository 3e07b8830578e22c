/// A compact, exact byte encoding for what hria keeps between commands (compiled workflows): integers as zigzag
/// LEB128, text as its length and UTF-8 bytes. Only hria writes it and every reader checks each length against
/// what is left, so damaged bytes fail to decode instead of being trusted or read past their end.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func int(_ value: Int) {
        var zigzag = UInt64(bitPattern: Int64(value) << 1 ^ Int64(value) >> 63)
        while zigzag >= 0x80 {
            bytes.append(UInt8(zigzag & 0x7F) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        int(utf8.count)
        bytes += utf8
    }

    /// Bytes as they are: their count, then each byte.
    mutating func blob(_ value: [UInt8]) {
        int(value.count)
        bytes += value
    }

    /// A floating-point number by its exact bits, so that it reads back equal (a moment to the fraction of a second).
    mutating func double(_ value: Double) {
        int(Int(Int64(bitPattern: value.bitPattern)))
    }

    mutating func optional<T>(_ value: T?, _ write: (inout ByteWriter, T) -> Void) {
        bool(value != nil)
        if let value { write(&self, value) }
    }

    mutating func array<T>(_ values: [T], _ write: (inout ByteWriter, T) -> Void) {
        int(values.count)
        for value in values { write(&self, value) }
    }
}

/// Reads what `ByteWriter` wrote; any inconsistency is `ByteReader.Damaged`.
struct ByteReader {
    struct Damaged: Error {}

    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func int() throws(Damaged) -> Int {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Damaged() }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1))
    }

    /// A count of things still to read: never negative, never more than the bytes left.
    mutating func count() throws(Damaged) -> Int {
        let n = try int()
        guard n >= 0, n <= bytes.count - offset else { throw Damaged() }
        return n
    }

    mutating func bool() throws(Damaged) -> Bool {
        guard offset < bytes.count, bytes[offset] <= 1 else { throw Damaged() }
        offset += 1
        return bytes[offset - 1] == 1
    }

    mutating func string() throws(Damaged) -> String {
        let n = try count()
        defer { offset += n }
        let slice = bytes[offset..<offset + n]
        let text = String(decoding: slice, as: UTF8.self)
        // Invalid UTF-8 would have been replaced: only bytes that read back exactly are text.
        guard text.utf8.elementsEqual(slice) else { throw Damaged() }
        return text
    }

    mutating func blob() throws(Damaged) -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func double() throws(Damaged) -> Double {
        Double(bitPattern: UInt64(bitPattern: Int64(try int())))
    }

    mutating func optional<T>(_ read: (inout ByteReader) throws(Damaged) -> T) throws(Damaged) -> T? {
        try bool() ? try read(&self) : nil
    }

    mutating func array<T>(_ read: (inout ByteReader) throws(Damaged) -> T) throws(Damaged) -> [T] {
        let n = try count()
        var values: [T] = []
        values.reserveCapacity(n)
        for _ in 0..<n { values.append(try read(&self)) }
        return values
    }
}
