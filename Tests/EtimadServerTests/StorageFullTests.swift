import Etimad
import EtimadKit
import EtimadServer
import EtimadTestSupport
import Foundation
import GRPCCore
import Testing

/// A disk that fills up under the daemon: a small tmpfs as the data directory (mounting needs
/// root, as CI and these machines run; elsewhere the test says why it did nothing).
@Suite("A full disk")
struct StorageFullTests {
  @Test("writes are UNAVAILABLE STORAGE_FULL, health reports it, and both recover when space returns")
  func fullDisk() async throws {
    guard let mount = SmallFilesystem(megabytes: 16) else {
      print("skipped: cannot mount a tmpfs here (needs root)")
      return
    }
    defer { mount.remove() }
    try await TestDaemon.with(dataDirectory: mount.path + "/data") { daemon in
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(try await daemon.sectorAgency()) { sector in
          _ = try await sector.record()
          let service = "etimad.payments.v1.GovernmentPaymentService"
          // Given a disk with no room left
          let filler = mount.path + "/filler"
          try mount.fill(filler)
          // When a write comes, it is refused with a reason clients can act on
          var refused: (code: RPCError.Code, reason: String?, retryAfter: Duration?)?
          for _ in 0..<3_000 {
            refused = await failure { _ = try await sector.record() }
            if refused != nil { break }
          }
          #expect(refused?.code == .unavailable)
          #expect(refused?.reason == "STORAGE_FULL")
          #expect(refused?.retryAfter != nil)
          // And health reports the writing services NOT_SERVING, reads still work
          #expect(daemon.daemon.health.status(of: service) == .notServing)
          _ = try await citizen.payments.getBalance(.init())
          // When space returns, health recovers by itself and writes succeed
          try FileManager.default.removeItem(atPath: filler)
          let clock = ContinuousClock()
          let deadline = clock.now + .seconds(60)
          while daemon.daemon.health.status(of: service) != .serving, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
          }
          #expect(daemon.daemon.health.status(of: service) == .serving)
          _ = try await sector.record()
        }
      }
    }
  }
}

/// A tmpfs of a few megabytes, mounted for one test.
struct SmallFilesystem {
  let path: String

  init?(megabytes: Int) {
    guard getuid() == 0 else { return nil }
    path = TemporaryDirectory.make()
    guard
      (try? ProgramRun.runBlocking("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]))?
        .status == 0
    else {
      try? FileManager.default.removeItem(atPath: path)
      return nil
    }
  }

  /// Writes `file` until the filesystem has no space left.
  func fill(_ file: String) throws {
    _ = FileManager.default.createFile(atPath: file, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
    defer { try? handle.close() }
    let chunk = Data(count: 64 * 1024)
    while (try? handle.write(contentsOf: chunk)) != nil {}
    let small = Data(count: 512)
    while (try? handle.write(contentsOf: small)) != nil {}
  }

  func remove() {
    _ = try? ProgramRun.runBlocking("/bin/umount", ["-l", path])
    try? FileManager.default.removeItem(atPath: path)
  }
}
