import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A program the tests run (etimadd, the probe, the protobuf-c checker), spawned with
/// `posix_spawn` and read with plain `read(2)`.
///
/// Foundation's `Process` and `FileHandle` are not used: `readDataToEndOfFile()` ends in a
/// `try!`, and in CI a read interrupted by a signal (EINTR) while many tests spawned programs
/// at once crashed the whole test process. Here every system call retries on EINTR, the pipes
/// are close-on-exec (so one child never holds another's pipe open), and both outputs are read
/// together, so a chatty program never blocks on a full pipe.
public final class ChildProcess: Sendable {
  public let pid: pid_t
  /// The read ends of the child's standard output and error, unless discarded.
  public let stdout: PipeReader?
  public let stderr: PipeReader?
  private let status = Mutex<Int32?>(nil)

  public enum Output: Sendable {
    case pipe
    case discard
  }

  private init(pid: pid_t, stdout: PipeReader?, stderr: PipeReader?) {
    self.pid = pid
    self.stdout = stdout
    self.stderr = stderr
  }

  /// Starts `path` with `arguments`. `stdin` is written and then closed; without it the child
  /// reads an empty input.
  public static func spawn(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil,
    currentDirectory: String? = nil, stdin input: [UInt8]? = nil, stdout: Output = .pipe,
    stderr: Output = .pipe
  ) throws -> ChildProcess {
    let stdinPipe = try Pipe2()
    let stdoutPipe = stdout == .pipe ? try Pipe2() : nil
    let stderrPipe = stderr == .pipe ? try Pipe2() : nil
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
    if let stdoutPipe {
      posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    if let stderrPipe {
      posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)
    } else {
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    if let currentDirectory {
      guard let addChdir = GNU.addChdir else { throw SpawnError(path: path, errno: ENOSYS) }
      addChdir(&actions, currentDirectory)
    }
    // The child starts with default signal dispositions and nothing blocked, whatever the test
    // process set up for itself.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] {
      sigaddset(&defaults, signal)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    let variables = environment.map { $0.map { "\($0.key)=\($0.value)" } }
    let envp = variables.map { $0.map { strdup($0) } + [nil] }
    defer { envp?.forEach { free($0) } }

    var pid = pid_t()
    let result: Int32 =
      if let envp {
        posix_spawn(&pid, path, &actions, &attributes, argv, envp)
      } else {
        posix_spawn(&pid, path, &actions, &attributes, argv, environ)
      }
    // The parent keeps only its ends.
    close(stdinPipe.read)
    if let stdoutPipe { close(stdoutPipe.write) }
    if let stderrPipe { close(stderrPipe.write) }
    guard result == 0 else {
      close(stdinPipe.write)
      if let stdoutPipe { close(stdoutPipe.read) }
      if let stderrPipe { close(stderrPipe.read) }
      throw SpawnError(path: path, errno: result)
    }
    if let input { PipeReader.writeAll(stdinPipe.write, input) }
    close(stdinPipe.write)
    return ChildProcess(
      pid: pid, stdout: stdoutPipe.map { PipeReader(fd: $0.read) },
      stderr: stderrPipe.map { PipeReader(fd: $0.read) })
  }

  /// Sends `signal` (SIGTERM, SIGINT, ...) to the child.
  public func send(_ signal: Int32) { kill(pid, signal) }

  /// Whether the child has not exited yet (it is not reaped here; `wait` still reports it).
  public var isRunning: Bool {
    if status.withLock({ $0 }) != nil { return false }
    var info = siginfo_t()
    while waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 {
      guard errno == EINTR else { return false }
    }
    return info._sifields._sigchld.si_pid == 0
  }

  /// Blocks until the child exits; its exit status, or 128 + the signal that ended it.
  @discardableResult
  public func wait() -> Int32 {
    if let known = status.withLock({ $0 }) { return known }
    var raw: Int32 = 0
    while waitpid(pid, &raw, 0) < 0 {
      guard errno == EINTR else { return status.withLock { $0 } ?? -1 }
    }
    let code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    status.withLock { $0 = code }
    return code
  }

  /// Waits on a thread of its own, so that the cooperative pool (where an in-process daemon
  /// serving the child may run) is never blocked.
  public func exit() async -> Int32 {
    await onThread { self.wait() }
  }
}

/// The read end of a pipe from a child.
public final class PipeReader: Sendable {
  public let fd: Int32

  init(fd: Int32) { self.fd = fd }

  deinit { close(fd) }

  /// Blocks until some bytes arrive; empty at the end of the output.
  public func readSome() -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count >= 0 { return Array(buffer.prefix(count)) }
      if errno != EINTR { return [] }
    }
  }

  /// Everything up to the end of the output.
  public func readToEnd() -> [UInt8] {
    var all: [UInt8] = []
    while true {
      let chunk = readSome()
      if chunk.isEmpty { return all }
      all += chunk
    }
  }

  /// Reads up to and including the first newline (or to the end).
  public func readLine() -> String {
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      let count = read(fd, &byte, 1)
      if count < 0, errno == EINTR { continue }
      if count <= 0 { break }
      line.append(byte)
      if byte == UInt8(ascii: "\n") { break }
    }
    return String(decoding: line, as: UTF8.self)
  }

  /// Reads two outputs to their ends together, so neither child pipe fills while the other
  /// is read.
  static func readBothToEnd(_ first: PipeReader?, _ second: PipeReader?) -> ([UInt8], [UInt8]) {
    var outputs: [[UInt8]] = [[], []]
    var open = [first, second].map { $0 != nil }
    let readers = [first, second]
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while open.contains(true) {
      var polled = readers.enumerated().compactMap { index, reader -> pollfd? in
        guard open[index], let reader else { return nil }
        return pollfd(fd: reader.fd, events: Int16(POLLIN), revents: 0)
      }
      let ready = poll(&polled, nfds_t(polled.count), -1)
      if ready < 0 {
        if errno == EINTR { continue }
        break
      }
      for entry in polled where entry.revents != 0 {
        let index = readers.firstIndex { $0?.fd == entry.fd }!
        let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        if count <= 0 {
          open[index] = false
        } else {
          outputs[index] += buffer.prefix(count)
        }
      }
    }
    return (outputs[0], outputs[1])
  }

  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var written = 0
    while written < bytes.count {
      let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
      if count < 0 {
        if errno == EINTR { continue }
        return
      }
      written += count
    }
  }
}

/// A program run to completion: its exit status and output.
public struct ProgramRun: Sendable {
  public let status: Int32
  public let stdout: String
  public let stderr: String

  /// Runs the program on a thread of its own: waiting for a child must never block the
  /// cooperative pool, where an in-process daemon serving that child runs.
  public static func run(
    _ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
    currentDirectory: String? = nil
  ) async throws -> ProgramRun {
    try await onThread {
      try runBlocking(path, arguments, stdin: stdin, environment: environment, currentDirectory: currentDirectory)
    }
  }

  public static func runBlocking(
    _ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
    currentDirectory: String? = nil
  ) throws -> ProgramRun {
    let child = try ChildProcess.spawn(
      path, arguments, environment: environment, currentDirectory: currentDirectory, stdin: stdin.map { Array($0.utf8) }
    )
    let (out, err) = PipeReader.readBothToEnd(child.stdout, child.stderr)
    return ProgramRun(
      status: child.wait(), stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
  }
}

public struct SpawnError: Error, CustomStringConvertible {
  public let path: String
  public let errno: Int32
  public var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
}

/// glibc functions that Swift's Glibc module leaves out (they need _GNU_SOURCE), looked up by
/// name: pipe2 makes a pipe close-on-exec atomically, so a child spawned by another thread at
/// the same moment cannot inherit it.
private enum GNU {
  typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
  typealias AddChdir =
    @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

  static let pipe2: Pipe2? = symbol("pipe2")
  static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

  private static func symbol<T>(_ name: String) -> T? {
    guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
    return unsafeBitCast(address, to: T.self)
  }
}

/// A close-on-exec pipe.
private struct Pipe2 {
  let read: Int32
  let write: Int32

  init() throws {
    var fds: [Int32] = [0, 0]
    guard let pipe2 = GNU.pipe2, pipe2(&fds, O_CLOEXEC) == 0 else { throw SpawnError(path: "pipe", errno: errno) }
    read = fds[0]
    write = fds[1]
  }
}

/// Runs blocking work on a thread of its own and resumes with its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
  }
}

func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    Thread.detachNewThread { continuation.resume(returning: body()) }
  }
}
