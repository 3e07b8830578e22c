#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The C calls whose names the file types also give their own methods (`read`, `write`, `close`, …). Inside such a
// method the plain name means the method, and a module prefix (`Glibc.read`) would tie the code to one C library;
// these free functions reach the C call on Glibc, Musl and Darwin alike.

func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
@discardableResult func systemClose(_ fd: Int32) -> Int32 { close(fd) }
func systemFsync(_ fd: Int32) -> Int32 { fsync(fd) }
func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
func systemLink(_ from: String, _ to: String) -> Int32 { link(from, to) }
@discardableResult func systemUnlink(_ path: String) -> Int32 { unlink(path) }
