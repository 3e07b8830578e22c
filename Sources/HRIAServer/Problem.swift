import HRIAKit
import Hummingbird
import Metrics
import NIOCore

/// An error answered as RFC 9457 problem details, with the class of the command line's exit codes, so a client
/// maps one to the other: bad input 400, unknown 404, refused 409, integrity damage 500 with the damage named,
/// busy or unreachable 503 with Retry-After.
struct Problem: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    /// The short name of the class (`bad-input`, `not-found`, `integrity`…), also the end of `type`.
    var kind: String
    var title: String
    var detail: String
    var help: String?
    /// The exit code the same failure has on the command line.
    var exitCode: Int32
    /// A refusal's blockers, as data (`refusal`, ServiceWire's shape).
    var data: JSONValue?
    /// The methods a path takes, for a 405.
    var allow: String?
    /// Seconds to wait before asking again, for a 429 (a 503 always says one).
    var retryAfter: Int?
    /// A workflow's errors as the command line prints them before refusing it (`diagnostics`).
    var diagnostics: String?
    /// A log that does not verify, as `hria verify ID --json` reports it (`verification`): on the verify route, and
    /// on a public bundle or report refused for damage, so a reader who got nothing to check is told what was found.
    var verification: JSONValue?
    /// Where a web page sends the browser instead (a page that needs a session sends it to sign in); not part of the API's answers.
    var location: String?

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/problem+json"
        fields[.cacheControl] = "no-store"
        if let retryAfter {
            fields[.retryAfter] = String(retryAfter)
        } else if status == .serviceUnavailable {
            fields[.retryAfter] = "1"
        }
        if let allow { fields[.allow] = allow }
        var members: [String: JSONValue] = [
            "type": .string("urn:hria:problem:\(kind)"), "title": .string(title), "status": .int(Int(status.code)),
            "detail": .string(detail), "exit_code": .int(Int(exitCode)),
        ]
        if let help { members["help"] = .string(help) }
        if let data { members["refusal"] = data }
        if let diagnostics { members["diagnostics"] = .string(diagnostics) }
        if let verification { members["verification"] = verification }
        return Response(status: status, headers: fields,
                        body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(members).rendered(pretty: false) + "\n")))
    }

    static func notFound(_ detail: String, help: String? = nil) -> Problem {
        Problem(status: .notFound, kind: "not-found", title: "Not found", detail: detail, help: help, exitCode: ExitStatus.badInput.rawValue)
    }

    /// The assessment moved since a command was prepared: the client prepares it again (and gives up, busy, after a few tries).
    static func stale(_ detail: String) -> Problem {
        Problem(status: .conflict, kind: "stale", title: "Prepare again", detail: detail, help: "prepare the command again and sign what it gives",
                exitCode: ExitStatus.busy.rawValue)
    }

    static func badInput(_ detail: String, help: String? = nil) -> Problem {
        Problem(status: .badRequest, kind: "bad-input", title: "Bad input", detail: detail, help: help, exitCode: ExitStatus.badInput.rawValue)
    }

    /// The problem an HRIAError is, counted in the integrity metric when it is damage.
    init(status: HTTPResponse.Status, kind: String, title: String, detail: String, help: String? = nil, exitCode: Int32) {
        (self.status, self.kind, self.title, self.detail, self.help, self.exitCode) = (status, kind, title, detail, help, exitCode)
    }

    init(_ error: HRIAError) {
        exitCode = error.status.rawValue
        detail = error.message
        help = error.help
        switch error.status {
        case .done, .badInput:
            (status, kind, title) = (.badRequest, "bad-input", "Bad input")
        case .refused:
            (status, kind, title) = (.conflict, "refused", "Refused by the rules")
        case .integrity:
            (status, kind, title) = (.internalServerError, "integrity", "The record does not verify")
            ServerMetrics.integrityFailures.increment()
        case .busy:
            (status, kind, title) = (.serviceUnavailable, "busy", "Busy")
        case .internalError:
            // A store that cannot be reached is the commonest internal error here; the client may retry.
            (status, kind, title) = (.serviceUnavailable, "unavailable", "Not available")
        }
    }
}

/// hria's own metrics, beside the requests and latencies by route that Hummingbird's middleware records.
enum ServerMetrics {
    static let integrityFailures = Counter(label: "hria_integrity_failures_total")
    /// Requests turned away for their signature (unsigned, expired, replayed, wrongly signed).
    static let refusedRequests = Counter(label: "hria_unauthorized_requests_total")
    /// Commands the rules refused (409), as `hria advance` exits 1.
    static let refusals = Counter(label: "hria_refusals_total")
    /// Events recorded through the server.
    static let appends = Counter(label: "hria_appended_events_total")
    /// Signed requests turned away because their person had used up their rate (429).
    static let rateLimited = Counter(label: "hria_rate_limited_requests_total")
}
