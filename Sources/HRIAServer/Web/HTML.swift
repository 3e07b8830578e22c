import Foundation
import HRIAKit
import HTTPTypes
import Hummingbird
import NIOCore

/// The few pieces every web page is made of: escaping, the page around the content, and the answers a page is
/// sent in. Pages are plain HTML made on the server (docs/WEB.md); nothing is built in the browser but signatures.
enum HTML {
    /// Text for an element or a quoted attribute. Control characters (a terminal's escapes among them) are shown
    /// as their code, as the command line shows them, so nothing a person wrote can hide or reorder text.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7F ... 0x9F).contains(scalar.value) || (0x202A ... 0x202E).contains(scalar.value)
                    || (0x2066 ... 0x2069).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A path segment for a link: everything but unreserved characters percent-encoded.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .init(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }

    /// A query string from pairs, each name and value encoded.
    static func query(_ pairs: [(String, String)]) -> String {
        pairs.isEmpty ? "" : "?" + pairs.map { segment($0.0) + "=" + segment($0.1) }.joined(separator: "&")
    }

    /// The policy every page is sent with: scripts and styles only from this server's own files, no inline script or
    /// style, nothing from anywhere else, forms only to this server, never framed.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// A whole page. `script` loads the page script (only pages that sign or make a key need it); `language` and
    /// `direction` are the page's, from the catalogue for a consultation form.
    static func page(title: String, body: String, viewer: String? = nil, csrf: String? = nil, script: Bool = false,
                     language: String = "en", direction: String = "ltr", navigation: Bool = true, current: String? = nil) -> String {
        var out = "<!doctype html>\n<html lang=\"\(escape(language))\" dir=\"\(escape(direction))\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(escape(title)) · hria</title>\n<link rel=\"stylesheet\" href=\"/web/static/hria.css\">\n"
        if script { out += "<script src=\"/web/static/hria.js\" defer></script>\n" }
        out += "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
        if navigation {
            out += "<header class=\"top\"><nav aria-label=\"Main\"><a class=\"brand\" href=\"/web/\">hria</a>"
            let links = [("/web/", "Portfolio", "portfolio"), ("/web/workflows", "Workflows", "workflows"), ("/web/roster", "Roster", "roster")]
            for (href, label, key) in links {
                out += current == key ? " <a href=\"\(href)\" aria-current=\"page\">\(label)</a>" : " <a href=\"\(href)\">\(label)</a>"
            }
            out += "</nav>"
            if let viewer {
                out += "<form class=\"who\" method=\"post\" action=\"/web/sign-out\"><span>Signed in as <strong>\(escape(viewer))</strong></span>"
                if let csrf { out += hiddenCSRF(csrf) }
                out += " <button type=\"submit\" class=\"link\">Sign out</button></form>"
            } else {
                out += "<p class=\"who\"><a href=\"/web/sign-in\">Sign in</a></p>"
            }
            out += "</header>\n"
        }
        out += "<main id=\"main\">\n" + body + "\n</main>\n</body>\n</html>\n"
        return out
    }

    static func hiddenCSRF(_ token: String) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(token))\">"
    }

    /// A date as people read it in a table: the day (UTC), YYYY-MM-DD.
    static func day(_ date: Date) -> String {
        let text = Timestamp.format(date)
        return String(text.prefix(10))
    }

    /// A moment as people read it: the day and the time, in UTC.
    static func time(_ date: Date) -> String {
        let text = Timestamp.format(date)
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }
}

extension Response {
    /// A web page, with the headers every page carries: the strict policy above, no sniffing, no referrer beyond
    /// this server, and never stored (pages show what a signed-in person may see).
    static func page(_ html: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = HTML.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        for (name, value) in [("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"), ("Cross-Origin-Opener-Policy", "same-origin"),
                              ("Permissions-Policy", "camera=(), microphone=(), geolocation=()")] {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// After a form: the page to go to next (303, so a reload never sends the form again).
    static func seeOther(_ location: String, extra: HTTPFields = [:]) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        headers.append(contentsOf: extra)
        return Response(status: .seeOther, headers: headers)
    }
}

/// The fields of a form sent as `application/x-www-form-urlencoded`, in order; a name may repeat.
struct FormFields: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ bytes: some Collection<UInt8>) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard !text.isEmpty else { return }
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ raw: Substring) throws -> String {
                guard let decoded = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw Problem.badInput("the form is not percent-encoded UTF-8")
                }
                return decoded
            }
            append(try decode(pieces[0]), pieces.count > 1 ? try decode(pieces[1]) : "")
        }
    }

    init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// A field that must be there and not blank.
    func required(_ name: String, _ label: String) throws -> String {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw Problem.badInput("\(label) is needed")
        }
        return value
    }

    /// A browser sends a text area's line breaks as CR LF: they are kept as the line feeds the command line records.
    mutating func append(_ name: String, _ value: String) {
        pairs.append((name, value.replacingOccurrences(of: "\r\n", with: "\n")))
    }
}
