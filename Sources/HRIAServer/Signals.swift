#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum ShutdownSignals {
    /// Makes SIGTERM and SIGINT deliverable to this process, whatever mask its parent left it: a server that
    /// inherits them blocked (some supervisors and test runners do that) would otherwise never drain and stop.
    /// Called before any thread is started, so every later thread inherits the mask.
    static func unblock() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        // A peer that goes away while something is written to it (a client, the database restarting) is an error to
        // handle, never a reason for the whole server to die.
        signal(SIGPIPE, SIG_IGN)
    }
}
