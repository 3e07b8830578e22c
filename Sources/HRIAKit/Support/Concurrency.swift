import Dispatch

/// Work started on another thread at once and collected later, so it overlaps with what the caller does meanwhile.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is written once by the worker before it signals, and read only after `wait` has
    // received that signal, which orders the two accesses.
    private var value: Value?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async {
            self.value = work()
            self.done.signal()
        }
    }

    /// The work's result, waiting for it if need be; call once.
    func wait() -> Value {
        done.wait()
        guard let value else { preconditionFailure("background work signalled without a result") }
        return value
    }
}

/// A value handed to other threads whose safe use the caller guarantees: typically a buffer of which each thread
/// writes only its own indices, read by the caller once every thread has finished.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
