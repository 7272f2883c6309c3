import NIOCore
import NIOHTTP2

/// Lets NIOHTTP2 enforce looser limits than the server advertises, from the first frame on.
///
/// NIOHTTP2 answers a peer that opens one stream more than SETTINGS_MAX_CONCURRENT_STREAMS, or
/// sends a header list longer than SETTINGS_MAX_HEADER_LIST_SIZE, with a connection error
/// (GOAWAY), killing every call on the connection; before the peer acknowledges our SETTINGS it
/// even applies its own defaults (100 streams). The daemon wants those excesses refused one
/// stream at a time (`StreamAdmissionHandler`), so NIOHTTP2's own limits must lie above the
/// advertised ones, and apply before the peer's first HEADERS frame.
///
/// `HiddenSettingsWriter` (right after NIOHTTP2's handler) writes a second SETTINGS frame with
/// the loose limits through NIOHTTP2, which so takes them as its own. This handler
/// (right before NIOHTTP2's handler, on the raw bytes) keeps that frame off the wire, so the
/// peer sees only the advertised limits, and acknowledges both SETTINGS frames to NIOHTTP2
/// right after the peer's own preface SETTINGS; the peer's real acknowledgement of the first
/// frame is then dropped. Once that is done it only passes bytes on.
///
/// NIOHTTP2 thereby applies its preface settings one round trip early. They hold no value
/// stricter than the protocol's defaults (window 65535, frame size 16384, the header list
/// limit the decoder has anyway), so no peer can break them by sending before its ACK.
final class HiddenSettingsHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = IOData
  typealias OutboundOut = IOData

  /// The connection's stream count, shared by its streams' `StreamAdmissionHandler`s.
  let streams: StreamBudget

  /// SETTINGS frames (not ACKs) NIOHTTP2 has written: the first is its preface, visible;
  /// `hiddenToCome` more are the writer's, kept off the wire.
  private var settingsWritten = 0
  private var hiddenAnnounced = false
  private var hiddenToCome = 0
  private var droppingOutbound = false
  /// Acknowledgements owed to NIOHTTP2, given at the next inbound frame boundary once the peer's
  /// preface SETTINGS has passed.
  private var acksOwed = 0
  /// The peer's real acknowledgements to drop (of visible frames acknowledged early).
  private var acksToDrop = 0
  private var peerSettingsSeen = false

  private var outbound = FrameCursor(prefaceLength: 0)
  private var inbound = FrameCursor(prefaceLength: 24)

  init(streams: StreamBudget) { self.streams = streams }

  private var done: Bool {
    peerSettingsSeen && hiddenAnnounced && acksOwed == 0 && acksToDrop == 0 && hiddenToCome == 0
  }

  // MARK: outbound: drop the hidden SETTINGS frames

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    guard !(hiddenAnnounced && hiddenToCome == 0 && !droppingOutbound),
      case .byteBuffer(var buffer) = unwrapOutboundIn(data)
    else { return context.write(data, promise: promise) }
    var kept: [ByteBuffer] = []
    while buffer.readableBytes > 0 {
      switch outbound.next(&buffer) {
      case .bytes(let bytes):
        if !droppingOutbound { kept.append(bytes) }
      case .frame(let header, let bytes):
        droppingOutbound = false
        if header.type == 0x4 && header.flags & 0x1 == 0 {
          settingsWritten += 1
          if settingsWritten > 1 && hiddenToCome > 0 {
            hiddenToCome -= 1
            acksOwed += 1
            droppingOutbound = !outbound.atFrameBoundary
            continue
          }
          if !peerSettingsSeen {
            acksOwed += 1
            acksToDrop += 1
          }
        }
        kept.append(bytes)
      }
      if outbound.atFrameBoundary { droppingOutbound = false }
    }
    let nonEmpty = kept.filter { $0.readableBytes > 0 }
    guard var joined = nonEmpty.first else {
      promise?.succeed()
      return
    }
    for more in nonEmpty.dropFirst() { joined.writeImmutableBuffer(more) }
    context.write(wrapOutboundOut(.byteBuffer(joined)), promise: promise)
  }

  /// Called by the writer just before it writes a hidden frame.
  fileprivate func announceHiddenSettings() {
    hiddenAnnounced = true
    hiddenToCome += 1
  }

  // MARK: inbound: acknowledge early, drop the peer's late acknowledgement

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard !done else { return context.fireChannelRead(data) }
    var buffer = unwrapInboundIn(data)
    while buffer.readableBytes > 0 {
      switch inbound.next(&buffer) {
      case .bytes(let bytes):
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
      case .frame(let header, let bytes):
        if header.type == 0x4 && header.flags & 0x1 == 1 && header.length == 0 && acksToDrop > 0 {
          acksToDrop -= 1
          continue
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        if header.type == 0x4 && header.flags & 0x1 == 0 { peerSettingsSeen = true }
      }
      if peerSettingsSeen && acksOwed > 0 && inbound.atFrameBoundary {
        var ack = context.channel.allocator.buffer(capacity: 9 * acksOwed)
        for _ in 0..<acksOwed { ack.writeBytes([0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]) }
        acksOwed = 0
        context.fireChannelRead(wrapInboundOut(ack))
      }
    }
  }

  /// Adds the handler before NIOHTTP2's, and the writer after it.
  static func install(on channel: any Channel, looseSettings: HTTP2Settings, streams: StreamBudget) throws {
    let operations = channel.pipeline.syncOperations
    let http2 = try operations.handler(type: NIOHTTP2Handler.self)
    let handler = HiddenSettingsHandler(streams: streams)
    try operations.addHandler(handler, position: .before(http2))
    try operations.addHandler(HiddenSettingsWriter(settings: looseSettings, handler: handler), position: .after(http2))
  }
}

/// Writes the hidden SETTINGS frame through NIOHTTP2 once the connection is active (NIOHTTP2
/// has written its preface then), announcing it to the `HiddenSettingsHandler` first.
final class HiddenSettingsWriter: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTP2Frame
  typealias OutboundOut = HTTP2Frame

  private let settings: HTTP2Settings
  private let handler: HiddenSettingsHandler

  init(settings: HTTP2Settings, handler: HiddenSettingsHandler) {
    self.settings = settings
    self.handler = handler
  }

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { writeSettings(context: context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    writeSettings(context: context)
    context.fireChannelActive()
  }

  private func writeSettings(context: ChannelHandlerContext) {
    handler.announceHiddenSettings()
    let frame = HTTP2Frame(streamID: .rootStream, payload: .settings(.settings(settings)))
    context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
  }
}

/// Walks a byte stream of HTTP/2 frames (after a preface of `prefaceLength` bytes), handing out
/// each frame's header with the frame's bytes, or bytes with no frame to decide on (a preface,
/// a payload that continues from an earlier buffer). A header split across buffers is held
/// back until whole.
struct FrameCursor {
  struct Header {
    let length: Int
    let type: UInt8
    let flags: UInt8
  }

  enum Piece {
    case bytes(ByteBuffer)
    case frame(Header, ByteBuffer)
  }

  private var preface: Int
  private var partialHeader: ByteBuffer?
  private var payloadLeft = 0

  init(prefaceLength: Int) { preface = prefaceLength }

  var atFrameBoundary: Bool { preface == 0 && payloadLeft == 0 && partialHeader == nil }

  /// The next piece of `buffer`, which must have readable bytes; consumes it from `buffer`.
  mutating func next(_ buffer: inout ByteBuffer) -> Piece {
    if preface > 0 || payloadLeft > 0 {
      let count = min(preface > 0 ? preface : payloadLeft, buffer.readableBytes)
      if preface > 0 { preface -= count } else { payloadLeft -= count }
      return .bytes(buffer.readSlice(length: count)!)
    }
    var header = partialHeader ?? ByteBuffer()
    let missing = 9 - header.readableBytes
    if buffer.readableBytes < missing {
      header.writeImmutableBuffer(buffer.readSlice(length: buffer.readableBytes)!)
      partialHeader = header
      return .bytes(ByteBuffer())
    }
    header.writeImmutableBuffer(buffer.readSlice(length: missing)!)
    partialHeader = nil
    let bytes = header.readableBytesView
    let start = bytes.startIndex
    let parsed = Header(
      length: Int(bytes[start]) << 16 | Int(bytes[start + 1]) << 8 | Int(bytes[start + 2]),
      type: bytes[start + 3], flags: bytes[start + 4])
    let now = min(parsed.length, buffer.readableBytes)
    header.writeImmutableBuffer(buffer.readSlice(length: now)!)
    payloadLeft = parsed.length - now
    return .frame(parsed, header)
  }
}
