import Foundation
import NIOCore
import NIOHPACK
import Testing

/// Peers that break HTTP/2's limits lose one stream, never the connection (issue 12, items 3
/// and 4): a raw HTTP/2 client over TLS against a real daemon.
@Suite("HTTP/2 limits: excess streams and header lists are refused one stream at a time")
struct FrameGuardTests {
  static let watch = "/grpc.health.v1.Health/Watch"
  static let check = "/grpc.health.v1.Health/Check"
  static let limit = 100

  @Test(
    "streams beyond the advertised limit are refused with REFUSED_STREAM, the connection goes on",
    arguments: ["before the SETTINGS ACK", "after the SETTINGS ACK"])
  func excessStreams(when: String) async throws {
    try await TestDaemon.with { daemon in
      try await withDeadline {
        try await RawHTTP2Peer.with(port: daemon.endpoints.publicPort, caPEM: daemon.caPEM) { peer in
          var log = Log()
          try await peer.send(RawHTTP2Peer.preface + RawHTTP2Peer.frame(type: 0x4, streamID: 0))
          if when == "after the SETTINGS ACK" {
            try await log.read(from: peer) { $0.serverSettings.count == 1 }
            try await peer.send(RawHTTP2Peer.settingsAck)
          }
          // Given a peer that opens 150 Watch streams at once, ignoring the limit of 100
          var burst: [UInt8] = []
          let streams = (0..<UInt32(150)).map { 2 * $0 + 1 }
          for id in streams {
            burst += try peer.requestHeaders(streamID: id, path: Self.watch) + RawHTTP2Peer.message(streamID: id)
          }
          try await peer.send(burst)
          // Then the first 100 are served and the other 50 refused, each alone
          try await log.read(from: peer) { $0.answered.count + $0.refused.count == streams.count }
          #expect(log.goAway == nil, "GOAWAY: the connection was closed")
          #expect(log.answered == Set(streams.prefix(Self.limit)))
          #expect(log.refused == Set(streams.dropFirst(Self.limit)))
          if when == "before the SETTINGS ACK" { try await peer.send(RawHTTP2Peer.settingsAck) }
          // And the limit is advertised; what NIOHTTP2 enforces inside never reaches the wire
          #expect(log.serverSettings.count == 1)
          #expect(log.serverSettings.first?[0x3] == UInt32(Self.limit))
          #expect(log.serverSettings.first?[0x6] == 16_384)
          // And once a stream is freed, a new call on the same connection is served (so no
          // header block was lost either: the requests share one HPACK dynamic table)
          try await peer.send(RawHTTP2Peer.frame(type: 0x3, streamID: streams[0], payload: [0, 0, 0, 0x8]))
          let status = try await log.call(Self.check, on: peer, firstStreamID: 2 * 150 + 1)
          #expect(status == "0")
          #expect(log.goAway == nil)
        }
      }
    }
  }

  @Test(
    "a header list beyond the advertised 16 KiB fails that call alone, RESOURCE_EXHAUSTED, at once",
    arguments: ["one 20 KiB header", "300 small headers (17.3 KiB)", "250 small headers (14.4 KiB)"])
  func largeHeaderLists(name: String) async throws {
    let (metadata, expected): ([(String, String)], String) =
      switch name {
      case "one 20 KiB header": ([("x-large", String(repeating: "a", count: 20_000))], "8")
      case "300 small headers (17.3 KiB)":
        ((0..<300).map { (String(format: "x-h-%03d", $0), String(repeating: "v", count: 20)) }, "8")
      default: ((0..<250).map { (String(format: "x-h-%03d", $0), String(repeating: "v", count: 20)) }, "0")
      }
    try await TestDaemon.with { daemon in
      try await withDeadline {
        try await RawHTTP2Peer.with(port: daemon.endpoints.publicPort, caPEM: daemon.caPEM) { peer in
          var log = Log()
          try await peer.send(RawHTTP2Peer.preface + RawHTTP2Peer.frame(type: 0x4, streamID: 0))
          try await log.read(from: peer) { $0.serverSettings.count == 1 }
          try await peer.send(RawHTTP2Peer.settingsAck)
          // Given a Check with the metadata, then an ordinary Check on the same connection
          let large = try await log.call(Self.check, metadata: metadata, on: peer, firstStreamID: 1)
          let plain = try await log.call(Self.check, on: peer, firstStreamID: 3)
          // Then the first is answered with its own status, the second served
          #expect(large == expected, "\(name)")
          #expect(plain == "0")
          #expect(log.goAway == nil, "GOAWAY: the connection was closed")
        }
      }
    }
  }

  /// What the server sent, as far as the tests care.
  struct Log {
    var serverSettings: [[UInt16: UInt32]] = []
    var answered: Set<UInt32> = []
    var refused: Set<UInt32> = []
    var status: [UInt32: String] = [:]
    var goAway: UInt32?

    /// Reads until `done` holds, or a GOAWAY, or the connection ends.
    mutating func read(from peer: RawHTTP2Peer, until done: (Log) -> Bool) async throws {
      while !done(self), goAway == nil, let event = try await peer.next() {
        switch event {
        case .headers(let headers):
          answered.insert(headers.streamID)
          if let code = headers.fields.first(name: "grpc-status") { status[headers.streamID] = code }
        case .frame(let frame):
          switch frame.type {
          case 0x4 where frame.flags & 0x1 == 0: serverSettings.append(frame.settings)
          case 0x3 where frame.errorCode == 0x7: refused.insert(frame.streamID)
          case 0x3: status[frame.streamID] = status[frame.streamID] ?? "RST_STREAM \(frame.errorCode ?? 0)"
          case 0x7: goAway = frame.errorCode
          default: break
          }
        }
      }
    }

    /// A unary call with an empty message: its grpc-status, retried on the next stream while
    /// refused (as grpcio does).
    mutating func call(
      _ path: String, metadata: [(String, String)] = [], on peer: RawHTTP2Peer, firstStreamID: UInt32
    ) async throws -> String? {
      var id = firstStreamID
      while true {
        try await peer.send(
          try peer.requestHeaders(streamID: id, path: path, metadata: metadata) + RawHTTP2Peer.message(streamID: id))
        try await read(from: peer) { [id] in $0.status[id] != nil || $0.refused.contains(id) }
        guard refused.contains(id), goAway == nil else { return status[id] }
        id += 2
      }
    }
  }
}

/// Runs `body`, failing the test if it takes longer than `seconds` (generous: a loaded
/// machine still answers in a few seconds; a server that never answers does not).
func withDeadline(seconds: Int = 90, _ body: @escaping @Sendable () async throws -> Void) async throws {
  try await withThrowingTaskGroup(of: Bool.self) { group in
    group.addTask {
      try await body()
      return true
    }
    group.addTask {
      try await Task.sleep(for: .seconds(seconds))
      return false
    }
    let finished = try await group.next()!
    group.cancelAll()
    #expect(finished, "no answer within \(seconds) s")
  }
}
