import Foundation
import NIOCore
import NIOHPACK
import NIOPosix
import NIOSSL

/// An HTTP/2 client over TLS written frame by frame, to behave as peers that grpc libraries
/// never are: streams opened before our SETTINGS are acknowledged, beyond the advertised limit,
/// header lists beyond the advertised size. Requests are HPACK-encoded with the dynamic table
/// on, so a server that lost track of one header block would misread every later one.
final class RawHTTP2Peer {
  struct Frame {
    let type: UInt8
    let flags: UInt8
    let streamID: UInt32
    var payload: ByteBuffer

    var endStream: Bool { flags & 0x1 != 0 }
    /// RST_STREAM's or GOAWAY's error code.
    var errorCode: UInt32? {
      switch type {
      case 0x3: payload.getInteger(at: payload.readerIndex, as: UInt32.self)
      case 0x7: payload.getInteger(at: payload.readerIndex + 4, as: UInt32.self)
      default: nil
      }
    }
    /// A SETTINGS frame's parameters.
    var settings: [UInt16: UInt32] {
      var copy = payload
      var result: [UInt16: UInt32] = [:]
      while let (id, value) = copy.readMultipleIntegers(as: (UInt16, UInt32).self) { result[id] = value }
      return result
    }
  }

  /// A response's header block, decoded.
  struct Headers {
    let streamID: UInt32
    let fields: HPACKHeaders
    let endStream: Bool
  }

  enum Event {
    case headers(Headers)
    case frame(Frame)
  }

  static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
  static let settingsAck: [UInt8] = [0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]

  private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
  private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
  private var received = ByteBuffer()
  private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
  private var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
  private var pendingBlock: (streamID: UInt32, flags: UInt8, block: ByteBuffer)?
  let port: Int

  private init(
    inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, port: Int
  ) {
    iterator = inbound.makeAsyncIterator()
    writer = outbound
    self.port = port
    // Server header blocks can be as large as the server likes.
    decoder.maxHeaderListSize = 1 << 20
  }

  /// Connects to the daemon's port over TLS (ALPN h2), runs `body`, then closes.
  static func with<T: Sendable>(
    port: Int, caPEM: String, _ body: (RawHTTP2Peer) async throws -> T
  ) async throws -> T {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem)])
    tls.certificateVerification = .noHostnameVerification
    tls.applicationProtocols = ["h2"]
    let context = try NIOSSLContext(configuration: tls)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connect(host: "127.0.0.1", port: port) { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
          return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
      }
    return try await channel.executeThenClose { inbound, outbound in
      try await body(RawHTTP2Peer(inbound: inbound, outbound: outbound, port: port))
    }
  }

  // MARK: writing

  func send(_ bytes: [UInt8]) async throws {
    try await writer.write(ByteBuffer(bytes: bytes))
  }

  /// The frame's bytes.
  static func frame(type: UInt8, flags: UInt8 = 0, streamID: UInt32, payload: [UInt8] = []) -> [UInt8] {
    let length = payload.count
    var bytes: [UInt8] = [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
    withUnsafeBytes(of: streamID.bigEndian) { bytes += $0 }
    return bytes + payload
  }

  /// HEADERS (and CONTINUATION frames past 16 KiB) opening a gRPC call of `path`.
  func requestHeaders(
    streamID: UInt32, path: String, metadata: [(String, String)] = [], endStream: Bool = false
  ) throws -> [UInt8] {
    let headers = HPACKHeaders(
      [
        (":method", "POST"), (":scheme", "https"), (":path", path), (":authority", "127.0.0.1:\(port)"),
        ("content-type", "application/grpc"), ("te", "trailers"),
      ] + metadata)
    var block = ByteBuffer()
    try encoder.encode(headers: headers, to: &block)
    var chunks: [[UInt8]] = []
    while block.readableBytes > 0 { chunks.append(block.readBytes(length: min(16_384, block.readableBytes))!) }
    var bytes: [UInt8] = []
    for (index, chunk) in chunks.enumerated() {
      let last = index == chunks.count - 1
      let flags = (last ? UInt8(0x4) : 0) | (index == 0 && endStream ? 0x1 : 0)
      bytes += Self.frame(type: index == 0 ? 0x1 : 0x9, flags: flags, streamID: streamID, payload: chunk)
    }
    return bytes
  }

  /// A DATA frame holding one gRPC message of `message` bytes.
  static func message(streamID: UInt32, _ message: [UInt8] = [], endStream: Bool = true) -> [UInt8] {
    let length = UInt32(message.count)
    let payload = [0, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
    return frame(type: 0x0, flags: endStream ? 0x1 : 0, streamID: streamID, payload: payload + message)
  }

  // MARK: reading

  /// The next frame, with header blocks decoded (and CONTINUATIONs folded in); nil at the end.
  func next() async throws -> Event? {
    while true {
      guard let frame = try await nextFrame() else { return nil }
      switch frame.type {
      case 0x1, 0x9:
        var payload = frame.payload
        if frame.type == 0x1 {
          let padding = frame.flags & 0x8 != 0 ? Int(payload.readInteger(as: UInt8.self)!) : 0
          if frame.flags & 0x20 != 0 { payload.moveReaderIndex(forwardBy: 5) }
          payload.moveWriterIndex(to: payload.writerIndex - padding)
          pendingBlock = (frame.streamID, frame.flags, payload)
        } else {
          pendingBlock?.block.writeImmutableBuffer(payload)
        }
        guard frame.flags & 0x4 != 0, var pending = pendingBlock else { continue }
        pendingBlock = nil
        let fields = try decoder.decodeHeaders(from: &pending.block)
        return .headers(Headers(streamID: pending.streamID, fields: fields, endStream: pending.flags & 0x1 != 0))
      default:
        return .frame(frame)
      }
    }
  }

  private func nextFrame() async throws -> Frame? {
    while true {
      if received.readableBytes >= 9 {
        let bytes = received.getBytes(at: received.readerIndex, length: 9)!
        let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        if received.readableBytes >= 9 + length {
          received.moveReaderIndex(forwardBy: 5)
          let stream = received.readInteger(as: UInt32.self)! & 0x7fff_ffff
          return Frame(type: bytes[3], flags: bytes[4], streamID: stream, payload: received.readSlice(length: length)!)
        }
      }
      guard let more = try await iterator.next() else { return nil }
      received.writeImmutableBuffer(more)
    }
  }
}
