import NIOCore
import NIOHTTP2

/// Where an over-size request message is caught: on each HTTP/2 stream, as the message's bytes
/// arrive, before the transport buffers and decodes it. A message longer than its method's
/// limit (read from the gRPC length prefix) is replaced by a short marker carrying its length,
/// and its bytes are dropped as they come; `RequestSizeLimitedTransport` answers the marker
/// RESOURCE_EXHAUSTED. So a 100 MB message costs neither memory nor a stream reset (which
/// clients see as CANCELLED), and the connection's other calls go on.
final class OversizeMessageHandler: ChannelInboundHandler {
  typealias InboundIn = HTTP2Frame.FramePayload
  typealias InboundOut = HTTP2Frame.FramePayload

  /// Starts with 0x07 (field 0, wire type 7), which no protobuf message can, then 15 bytes
  /// random per process, so no client can forge it.
  static let marker: [UInt8] = [0x07] + (0..<15).map { _ in UInt8.random(in: 0...255) }

  private let limits: RequestSizeLimits
  /// The limit of the stream's method, once its `:path` is known.
  private var current: Int
  private var prefix: [UInt8] = []
  /// Bytes of the current message still to come, and whether they are dropped.
  private var remaining = 0
  private var dropping = false

  init(limits: RequestSizeLimits) {
    self.limits = limits
    self.current = limits.standard
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .headers(let headers):
      if let path = headers.headers.first(name: ":path") { current = limits.limit(path: path) }
      context.fireChannelRead(data)
    case .data(var frame):
      guard case .byteBuffer(var buffer) = frame.data else { return context.fireChannelRead(data) }
      if isWholeMessageWithinLimit(buffer) { return context.fireChannelRead(data) }
      var out = context.channel.allocator.buffer(capacity: min(buffer.readableBytes, 64))
      while buffer.readableBytes > 0 {
        if remaining > 0 {
          let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
          if !dropping { out.writeImmutableBuffer(slice) }
          remaining -= slice.readableBytes
          continue
        }
        let needed = 5 - prefix.count
        prefix += buffer.readBytes(length: min(needed, buffer.readableBytes))!
        guard prefix.count == 5 else { break }
        let length = Int(prefix[1]) << 24 | Int(prefix[2]) << 16 | Int(prefix[3]) << 8 | Int(prefix[4])
        if length > current {
          out.writeInteger(UInt8(0))
          out.writeInteger(UInt32(Self.marker.count + 8))
          out.writeBytes(Self.marker)
          out.writeInteger(UInt64(length))
          dropping = true
        } else {
          out.writeBytes(prefix)
          dropping = false
        }
        remaining = length
        prefix = []
      }
      guard out.readableBytes > 0 || frame.endStream else { return }
      frame.data = .byteBuffer(out)
      context.fireChannelRead(wrapInboundOut(.data(frame)))
    default:
      context.fireChannelRead(data)
    }
  }

  /// The usual case, passed on untouched: the frame is exactly one message within the limit.
  private func isWholeMessageWithinLimit(_ buffer: ByteBuffer) -> Bool {
    guard remaining == 0, prefix.isEmpty, buffer.readableBytes >= 5,
      let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
    else { return false }
    return Int(length) <= current && buffer.readableBytes == 5 + Int(length)
  }

  /// The length a marker stands for, or nil when `bytes` is an ordinary message.
  static func oversizeLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard bytes.count == marker.count + 8, bytes.starts(with: marker) else { return nil }
    return bytes.suffix(8).reduce(0) { $0 << 8 | Int($1) }
  }
}
