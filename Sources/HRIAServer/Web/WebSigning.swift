import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// What the page script needs to sign a draft's lines exactly as the command line does (`PreparedLines.sign`): each
/// line cut where its `prev` goes and where its `sig` goes, so that the browser can link line i to the hash of
/// signed line i−1 without re-encoding any JSON. The cuts are found with random markers, so no text a person wrote
/// can be mistaken for them, and each is checked to give back the server's own bytes.
enum SignableLines {
    static func data(_ unsigned: [[UInt8]], key: String) throws -> JSONValue {
        var random = SystemRandomNumberGenerator()
        guard let marker = SHA256Hash(bytes: (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255, using: &random) }) else {
            throw HRIAError(.internalError, "could not make a marker for the lines to sign")
        }
        let signatureMarker = "m" + (0 ..< 4).map { _ in String(random.next(), radix: 16) }.joined()
        var lines: [JSONValue] = []
        var first: String?
        for line in unsigned {
            let event: Event
            do {
                event = try EventLine.decode(line)
            } catch {
                throw HRIAError(.internalError, "a prepared line does not read as an event: \(error)")
            }
            if first == nil { first = event.prev.hex }
            let marked = String(decoding: EventLine.encode(event.draft, seq: event.seq, prev: marker, signature: signatureMarker), as: UTF8.self)
            let plain = String(decoding: EventLine.encode(event.draft, seq: event.seq, prev: marker), as: UTF8.self)
            let signatureText = "\"sig\":\"\(signatureMarker)\","
            guard let prev = marked.range(of: "\"prev\":\"" + marker.hex + "\""), let signature = marked.range(of: signatureText),
                  prev.upperBound <= signature.lowerBound else {
                throw HRIAError(.internalError, "a prepared line has no place for its link or its signature")
            }
            let hexStart = marked.index(prev.lowerBound, offsetBy: 8)
            let hexEnd = marked.index(hexStart, offsetBy: 64)
            let before = String(marked[..<hexStart]), middle = String(marked[hexEnd ..< signature.lowerBound])
            let rest = String(marked[signature.upperBound...])
            guard before + marker.hex + middle + rest == plain else {
                throw HRIAError(.internalError, "a prepared line does not cut where its signature goes")
            }
            lines.append(.object(["before": .string(before), "middle": .string(middle), "rest": .string(rest)]))
        }
        return .object(["prev": .string(first ?? ""), "key": .string(key), "lines": .array(lines)])
    }
}

extension HRIAServer {
    /// The page that shows what a person is about to sign, in words, and signs it in their browser when they say so.
    /// `action` is where the signatures go; `back` where "Cancel" leads.
    static func reviewPage(title: String, sentences: [String], draft: String, size: Int, unsigned: [[UInt8]], voided: [String],
                           action: String, back: String, context: HRIARequestContext) throws -> Response {
        guard let session = context.session else { throw Problem.signedOut }
        let data = try SignableLines.data(unsigned, key: session.key)
        let fingerprint = (try? SSHPublicKey(authorizedKey: session.key))?.fingerprint ?? ""
        var body = "<h1>Check and sign</h1>\n<p class=\"meta\">\(HTML.escape(title))</p>\n"
        body += "<p>You are about to record, as <strong>\(HTML.escape(session.person))</strong>:</p>\n<ol class=\"review\">"
        for sentence in sentences { body += "<li>\(HTML.escape(sentence))</li>" }
        body += "</ol>\n"
        if !voided.isEmpty {
            body += "<div class=\"notice bad\"><p>This voids the approvals of \(HTML.escape(voided.joined(separator: ", "))): they will need to sign off again.</p></div>\n"
        }
        body += "<form id=\"sign-form\" class=\"act\" method=\"post\" action=\"\(HTML.escape(action))\" "
            + "data-working=\"Signing with this browser's key…\" data-nokey=\"This browser has no key: enrol it first.\" "
            + "data-otherkey=\"This browser's key is not the one you signed in with: sign in again.\" "
            + "data-unsupported=\"This browser cannot sign (it needs a secure connection and Ed25519 in WebCrypto).\">\n"
        body += HTML.hiddenCSRF(session.csrf)
        body += "<input type=\"hidden\" name=\"draft\" value=\"\(HTML.escape(draft))\"><input type=\"hidden\" name=\"size\" value=\"\(size)\">"
        body += "<input type=\"hidden\" name=\"signatures\" value=\"\"><input type=\"hidden\" id=\"lines\" value=\"\(attribute(data.rendered(pretty: false)))\">\n"
        body += "<p>Each event is signed in this browser with its key (\(HTML.escape(fingerprint))), in the same SSH signature form as the "
            + "command line's; the server only checks and records it. This draft expires two minutes after it was prepared.</p>\n"
        body += "<button type=\"submit\" autofocus>Sign and record</button> <a href=\"\(HTML.escape(back))\">Cancel</a>\n"
        body += "<p id=\"sign-status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>\n"
        body += "<noscript><p class=\"notice bad\">Signing needs this page's script, which makes the signature in your browser.</p></noscript>\n</form>\n"
        return Response.page(HTML.page(title: "Check and sign", body: body, viewer: session.person, csrf: session.csrf, script: true))
    }

    /// An attribute value holding data: only the characters HTML gives a meaning to are replaced, so the script reads
    /// back exactly the text that was put in.
    static func attribute(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The signed form of a review page: its draft, size and signatures, for the commit flow of `flow`.
    func commitSignedForm<Prepared: Sendable>(_ request: Request, _ context: HRIARequestContext, _ flow: CommitFlow<Prepared>) async throws -> Int {
        let fields = try FormFields(context.body.readableBytesView)
        try Self.checkCSRF(fields["csrf"], context)
        let draft = try fields.required("draft", "the draft")
        guard let size = Int(fields["size"] ?? ""),
              let signatures = (try? JSONParser.parse(Array((fields["signatures"] ?? "").utf8)))?.arrayValue?.compactMap(\.stringValue),
              !signatures.isEmpty else {
            throw Problem.badInput("the form carries no signatures", help: "signing needs this page's script; go back and sign again")
        }
        var inner = context
        inner.body = ByteBuffer(string: ServiceWire.commit(draft: draft, size: size, signatures: signatures).rendered(pretty: false))
        _ = try await commitDraft(request, inner, flow)
        return signatures.count
    }
}

extension Problem {
    static let signedOut = Problem(status: .unauthorized, kind: "signed-out", title: "Please sign in",
                                   detail: "this page is for people on the roster; sign in with this browser's key", exitCode: ExitStatus.badInput.rawValue)
}
