import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A client of `ssh-agent` (the agent protocol, draft-miller-ssh-agent): it lists the Ed25519 keys a person's agent
/// holds and asks the agent to sign with one, so that the private key never leaves the agent, let alone reaches a
/// workspace. Only the two requests hria needs are spoken.
public struct SSHAgent: Sendable {
    /// Why the agent could not be used.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case noAgent
        case unreachable(String)
        case protocolError(String)
        case refused

        public var description: String {
            switch self {
            case .noAgent: "no ssh-agent: SSH_AUTH_SOCK is not set"
            case .unreachable(let why): "cannot reach ssh-agent: \(why)"
            case .protocolError(let why): "ssh-agent answered something unexpected: \(why)"
            case .refused: "ssh-agent refused to sign (is the key still loaded, or does it need confirmation?)"
            }
        }
    }

    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// The agent named by `SSH_AUTH_SOCK` in `environment`.
    public init(environment: [String: String]) throws(Failure) {
        guard let path = environment["SSH_AUTH_SOCK"], !path.isEmpty else { throw .noAgent }
        self.init(socketPath: path)
    }

    private static let requestIdentities: UInt8 = 11, identitiesAnswer: UInt8 = 12
    private static let signRequest: UInt8 = 13, signResponse: UInt8 = 14, failure: UInt8 = 5
    /// How long the agent may take to answer, in seconds (a key loaded with `ssh-add -c` waits for a confirmation).
    private static let answerTimeout = 60
    /// The largest answer read: an agent with many keys answers in kilobytes.
    private static let maximumAnswer = 256 * 1024

    /// The Ed25519 keys the agent holds, with their comments; keys of other types are left out.
    public func keys() throws(Failure) -> [(key: SSHPublicKey, comment: String)] {
        var reader = try exchange([Self.requestIdentities], expecting: Self.identitiesAnswer)
        do throws(SSHSignatureError) {
            let count = try reader.uint32()
            var keys: [(key: SSHPublicKey, comment: String)] = []
            for _ in 0..<count {
                let blob = try reader.string(), comment = try reader.string()
                if let key = try? SSHPublicKey(blob: blob) { keys.append((key, String(decoding: comment, as: UTF8.self))) }
            }
            return keys
        } catch {
            throw .protocolError("a malformed list of keys (\(error))")
        }
    }

    /// Signs `message` for `namespace` with the agent's copy of `key`: the SSHSIG blob, checked before it is
    /// returned, so a wrong answer from the agent never reaches a log.
    public func sign(_ message: some DataProtocol, namespace: String, with key: SSHPublicKey) throws(Failure) -> [UInt8] {
        var request = SSHWireWriter()
        request.bytes = [Self.signRequest]
        request.string(key.blob)
        request.string(SSHSignature.signedData(message: message, namespace: namespace))
        request.uint32(0)
        var reader = try exchange(request.bytes, expecting: Self.signResponse)
        let signature: [UInt8]
        do throws(SSHSignatureError) {
            signature = try reader.string()
        } catch {
            throw .protocolError("a malformed signature (\(error))")
        }
        let blob = SSHSignature.blob(publicKey: key, namespace: namespace, signature: signature)
        do {
            try SSHSignature.verify(blob, message: message, namespace: namespace, publicKey: key)
        } catch {
            throw .protocolError("its signature does not verify (\(error))")
        }
        return blob
    }

    /// The agent's plain Ed25519 signature of `data` with `key` (no SSHSIG wrapping): what an HTTP message signature
    /// needs. Checked before it is returned.
    public func signRaw(_ data: [UInt8], with key: SSHPublicKey) throws(Failure) -> [UInt8] {
        var request = SSHWireWriter()
        request.bytes = [Self.signRequest]
        request.string(key.blob)
        request.string(data)
        request.uint32(0)
        var reader = try exchange(request.bytes, expecting: Self.signResponse)
        let signature: [UInt8]
        do throws(SSHSignatureError) {
            var inner = SSHWireReader(try reader.string())
            guard try inner.string() == Array(SSHPublicKey.algorithm.utf8) else { throw .unsupported("a signature that is not Ed25519") }
            signature = try inner.string()
        } catch {
            throw .protocolError("a malformed signature (\(error))")
        }
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.raw), publicKey.isValidSignature(signature, for: data) else {
            throw .protocolError("its signature does not verify")
        }
        return signature
    }

    /// Sends one request and reads its answer, which must be of type `expecting` (or the agent's failure).
    private func exchange(_ body: [UInt8], expecting: UInt8) throws(Failure) -> SSHWireReader {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let fd = socket(AF_UNIX, stream, 0)
        guard fd >= 0 else { throw .unreachable(String(cString: strerror(errno))) }
        defer { systemClose(fd) }
        // An agent that never answers (stopped, or waiting for a confirmation nobody gives) must not hang a command.
        var timeout = timeval(tv_sec: Self.answerTimeout, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .unreachable("the socket path is too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw .unreachable("\(socketPath): \(String(cString: strerror(errno)))") }
        var message = SSHWireWriter()
        message.string(body)
        try send(fd, message.bytes)
        let length = try receive(fd, 4).reduce(0) { $0 << 8 | Int($1) }
        guard length >= 1, length <= Self.maximumAnswer else { throw .protocolError("an answer of \(length) bytes") }
        let answer = try receive(fd, length)
        if answer[0] == Self.failure { throw .refused }
        guard answer[0] == expecting else { throw .protocolError("an answer of type \(answer[0])") }
        return SSHWireReader(Array(answer.dropFirst()))
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw .unreachable(String(cString: strerror(errno)))
            }
            offset += sent
        }
    }

    private func receive(_ fd: Int32, _ count: Int) throws(Failure) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = result[filled...].withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .unreachable("it did not answer within \(Self.answerTimeout) s") }
                throw .unreachable(String(cString: strerror(errno)))
            }
            if n == 0 { throw .protocolError("the agent closed the connection") }
            filled += n
        }
        return result
    }
}
