import NIOCore
import NIOHPACK
import NIOHTTP2

/// The streams a connection's peer has open, against the limit the server advertises in
/// SETTINGS_MAX_CONCURRENT_STREAMS. Lives on the connection's event loop.
final class StreamBudget {
  let limit: Int
  fileprivate(set) var open = 0

  init(limit: Int) { self.limit = limit }
}

/// Refuses, one stream at a time, what NIOHTTP2 would answer with a connection error (see
/// `HiddenSettingsHandler`), so the connection's other calls go on:
///
/// - a stream beyond the advertised concurrency limit is reset with REFUSED_STREAM, which
///   tells the client that nothing of the call was processed (grpcio retries it by itself);
/// - a request whose header list is longer than the advertised SETTINGS_MAX_HEADER_LIST_SIZE
///   is answered at once, trailers-only, RESOURCE_EXHAUSTED.
///
/// The first handler of every stream. The stream is counted when it is created (NIOHTTP2 runs
/// the initializers in stream order), refused when its first frame reaches the pipeline.
final class StreamAdmissionHandler: ChannelInboundHandler {
  typealias InboundIn = HTTP2Frame.FramePayload
  typealias InboundOut = HTTP2Frame.FramePayload
  typealias OutboundOut = HTTP2Frame.FramePayload

  private enum State {
    /// Counted in the budget until the stream closes; the request headers are still to come.
    case admitted
    /// Passed on to the gRPC handlers.
    case passing
    /// Beyond the limit or answered here: every frame is dropped.
    case refused(answered: Bool, reason: Refusal)
    case closed
  }

  private enum Refusal {
    case overLimit
    case headerList(size: Int)
  }

  private let budget: StreamBudget
  private let maxHeaderListSize: Int
  private var state: State

  init(budget: StreamBudget, maxHeaderListSize: Int) {
    self.budget = budget
    self.maxHeaderListSize = maxHeaderListSize
    if budget.open < budget.limit {
      budget.open += 1
      state = .admitted
    } else {
      state = .refused(answered: false, reason: .overLimit)
    }
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch state {
    case .passing:
      context.fireChannelRead(data)
    case .admitted:
      guard case .headers(let headers) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
      let size = headers.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
      guard size > maxHeaderListSize else {
        state = .passing
        return context.fireChannelRead(data)
      }
      state = .refused(answered: false, reason: .headerList(size: size))
      answer(context: context, requestEnded: headers.endStream)
    case .refused(answered: false, _):
      let ended: Bool
      switch unwrapInboundIn(data) {
      case .headers(let headers): ended = headers.endStream
      case .data(let data): ended = data.endStream
      default: ended = false
      }
      answer(context: context, requestEnded: ended)
    case .refused, .closed:
      break
    }
  }

  /// Answers a refused stream: a reset, or a trailers-only response (and a reset, so the client
  /// need not send the rest of the request).
  private func answer(context: ChannelHandlerContext, requestEnded: Bool) {
    guard case .refused(_, let reason) = state else { return }
    state = .refused(answered: true, reason: reason)
    switch reason {
    case .overLimit:
      context.write(wrapOutboundOut(.rstStream(.refusedStream)), promise: nil)
    case .headerList(let size):
      let message =
        "The request metadata has \(size) bytes (RFC 7541 size); the server accepts at most \(maxHeaderListSize)."
      // Printable ASCII without "%": grpc-message needs no percent-encoding.
      let trailers = HPACKHeaders([
        (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "8"), ("grpc-message", message),
      ])
      context.write(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
      if !requestEnded { context.write(wrapOutboundOut(.rstStream(.noError)), promise: nil) }
    }
    context.flush()
  }

  func channelInactive(context: ChannelHandlerContext) {
    release()
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) { release() }

  private func release() {
    switch state {
    case .admitted, .passing, .refused(_, .headerList):
      budget.open -= 1
    case .refused(_, .overLimit), .closed:
      break
    }
    state = .closed
  }
}
