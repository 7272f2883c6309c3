import NIOCore
import NIOSSL

/// Closes a connection that has not delivered its first decrypted bytes (the end of the TLS
/// handshake and the start of the HTTP/2 preface) within the deadline, so half-open handshakes
/// cannot hold sockets. Sits right after the TLS handler; once data flows it only passes it on.
final class HandshakeDeadlineHandler: ChannelInboundHandler {
  typealias InboundIn = NIOAny
  typealias InboundOut = NIOAny

  private let deadline: TimeAmount
  private var timer: Scheduled<Void>?

  init(deadline: TimeAmount) { self.deadline = deadline }

  func handlerAdded(context: ChannelHandlerContext) {
    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
    timer = context.eventLoop.scheduleTask(in: deadline) { loopBound.value.close(promise: nil) }
  }

  func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    timer?.cancel()
    timer = nil
    context.fireChannelRead(data)
  }

  /// Adds the handler after the connection's TLS handler (or first, on a plaintext one).
  static func install(on channel: any Channel, deadline: TimeAmount) -> EventLoopFuture<Void> {
    channel.eventLoop.makeCompletedFuture {
      let operations = channel.pipeline.syncOperations
      let handler = HandshakeDeadlineHandler(deadline: deadline)
      if let tls = try? operations.handler(type: NIOSSLServerHandler.self) {
        try operations.addHandler(handler, position: .after(tls))
      } else {
        try operations.addHandler(handler, position: .first)
      }
    }
  }
}
