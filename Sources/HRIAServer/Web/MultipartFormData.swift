import Foundation

/// A form sent as `multipart/form-data` (RFC 7578): the evidence form, the only one of the pages that carries a file.
///
/// Written here rather than taken from MultipartKit: that package was the only one here to build swift-collections'
/// whole `Collections` product (ropes, hash trees, heaps), for the fifty lines below. The body is read whole (under
/// the upload cap) and every bound is checked, since it is hostile input like any other.
enum MultipartFormData {
    struct Part: Sendable {
        /// Header names in lower case.
        var headers: [String: String]
        var body: [UInt8]
    }

    enum Failure: Error, Equatable {
        case malformed(String)
    }

    /// The boundary a Content-Type names: `multipart/form-data; boundary=…` (quoted or not), 1 to 70 characters.
    static func boundary(contentType: String) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parameters.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() where parameter.lowercased().hasPrefix("boundary=") {
            var value = String(parameter.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1 ... 70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    static let maximumParts = 1_000
    static let maximumHeaderBytes = 16 * 1024

    /// The parts of `body`, in order.
    static func parse(_ body: [UInt8], boundary: String) throws(Failure) -> [Part] {
        let delimiter = Array(("--" + boundary).utf8)
        let nextDelimiter = Array(("\r\n--" + boundary).utf8)
        // The preamble before the first delimiter is ignored, as RFC 2046 says.
        guard var at = find(delimiter, in: body, from: 0) else { throw .malformed("no part begins with the form's boundary") }
        at += delimiter.count
        var parts: [Part] = []
        while true {
            if starts(body, at: at, with: [0x2D, 0x2D]) { return parts }  // "--": the closing delimiter
            guard starts(body, at: at, with: [0x0D, 0x0A]) else { throw .malformed("a boundary is not followed by a line break") }
            at += 2
            guard parts.count < maximumParts else { throw .malformed("more than \(maximumParts) parts") }
            guard let headerEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: at, within: maximumHeaderBytes + 4) else {
                throw .malformed("a part's headers do not end, or are longer than \(maximumHeaderBytes) bytes")
            }
            var headers: [String: String] = [:]
            for line in String(decoding: body[at ..< headerEnd], as: UTF8.self).components(separatedBy: "\r\n") where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { throw .malformed("a part's header has no colon") }
                headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let contentStart = headerEnd + 4
            guard let contentEnd = find(nextDelimiter, in: body, from: contentStart) else { throw .malformed("the form ends inside a part") }
            parts.append(Part(headers: headers, body: Array(body[contentStart ..< contentEnd])))
            at = contentEnd + nextDelimiter.count
        }
    }

    private static func starts(_ body: [UInt8], at index: Int, with prefix: [UInt8]) -> Bool {
        index + prefix.count <= body.count && body[index ..< index + prefix.count].elementsEqual(prefix)
    }

    /// Where `needle` first occurs in `body` at or after `start` (and, if given, starting within `within` bytes of it).
    private static func find(_ needle: [UInt8], in body: [UInt8], from start: Int, within: Int? = nil) -> Int? {
        guard let first = needle.first, start <= body.count else { return nil }
        let last = min(body.count - needle.count, within.map { start + $0 } ?? Int.max)
        guard last >= start else { return nil }
        return body.withUnsafeBufferPointer { buffer -> Int? in
            var index = start
            while index <= last {
                if buffer[index] == first {
                    var matched = true
                    for offset in 1 ..< needle.count where buffer[index + offset] != needle[offset] {
                        matched = false
                        break
                    }
                    if matched { return index }
                }
                index += 1
            }
            return nil
        }
    }
}
