import Foundation

// What both test targets use and what tests alone need: the seeded generator, an independent base64url, and
// OpenSSH's own programs. A target of its own (HRIATestSupport), so there is one copy of each.

/// SplitMix64 (Steele, Lea, Flood 2014): the one seeded generator of the tests, so that a run with a
/// given seed reproduces. Its outputs for seed 0 begin 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound ≥ 1).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Base64url without padding (RFC 4648 §5), built here on Foundation's base64 with the URL alphabet mapped rather than
/// taken from HRIAKit (Sources/HRIAKit/Support/Base64URL.swift), so the tests do not check the product with itself.
/// `decode` takes the URL alphabet only: no padding, no `+` or `/`, and only the one spelling of its bytes (it must
/// encode back to the same text).
public enum IndependentBase64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard text.utf8.allSatisfy(alphabet.contains), text.utf8.count % 4 != 1 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        guard let data = Data(base64Encoded: standard), encode(data) == text else { return nil }
        return data
    }
}

/// OpenSSH's own programs, which check hria's keys and signatures independently of hria's code.
public enum OpenSSH {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public static func path(_ program: String) throws -> String {
        guard let path = ["/usr/bin/", "/bin/", "/usr/local/bin/"].map({ $0 + program }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw Missing(description: "\(program) is needed to check SSH signatures independently (apt-get install openssh-client)") }
        return path
    }

    /// Runs `program`; its exit status and what it printed (both streams).
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], stdin: String? = nil,
                           environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path(program))
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: printed, as: UTF8.self))
    }

    /// `ssh-agent -D -a SOCKET`, in the foreground so the test can stop it, once its socket exists.
    public static func startAgent(socket: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path("ssh-agent"))
        process.arguments = ["-D", "-a", socket]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { usleep(10_000) }
        guard FileManager.default.fileExists(atPath: socket) else {
            process.terminate()
            throw Missing(description: "ssh-agent made no socket at \(socket)")
        }
        return process
    }
}

/// Workflows several test suites build on.
public enum TestWorkflows {
    /// A `people:` block for hria.yaml, for workspaces without a roster that tests drive through the library.
    public static let legacyPeople = """
    people:
      ana: { name: "Ana Ruiz", roles: [requester] }
      amina: { name: "Amina Diallo", roles: [assessor] }
      kofi: { name: "Kofi Mensah", roles: [hr_lead] }
      ravi: { name: "Ravi Iyer", roles: [dd_focal_point] }
      seun: { name: "Oluwaseun Adeyemi", roles: [approver] }

    """

    /// One stage that needs a document, a fact and one focal point's sign-off, with optional confidential input.
    public static let gate = """
    schema: hria.workflow/v1
    id: gate
    version: 1
    title: One stage with a sign-off
    roles:
      requester: { description: Asks }
      dd_focal_point: { description: Signs off }
    facts:
      tier: { type: enum, values: [low, high] }
    evidence_types:
      document:
        fields: { title: string }
        file: optional
      consultation:
        fields: { group: string }
        confidential: [statement]
    initial: review
    stages:
      review:
        owner: requester
        requires:
          - { id: brief, type: document }
          - { id: talks, type: consultation, min: 0 }
        signoff: { roles: [dd_focal_point], quorum: 1 }
        transitions: [ { to: approved } ]
      approved: { terminal: true, outcome: approved }

    """
}
