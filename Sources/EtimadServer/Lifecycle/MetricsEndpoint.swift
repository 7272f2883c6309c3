import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Serves the Prometheus text format at `GET /metrics` on a plain-HTTP port of its own
/// (loopback by default), apart from the gRPC listeners.
final class MetricsEndpoint: Service, Sendable {
  let registry: PrometheusCollectorRegistry
  let host: String
  let port: Int
  private let channel = Mutex<(any Channel)?>(nil)

  init(registry: PrometheusCollectorRegistry, host: String, port: Int) {
    self.registry = registry
    self.host = host
    self.port = port
  }

  /// Binds the port; `localPort` is known afterwards.
  func bind() async throws -> Int {
    let registry = self.registry
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap {
          channel.pipeline.addHandler(MetricsHTTPHandler(registry: registry))
        }
      }
      .bind(host: host, port: port).get()
    self.channel.withLock { $0 = channel }
    return channel.localAddress?.port ?? port
  }

  /// Serves until graceful shutdown, `close()` or cancellation.
  func run() async throws {
    guard let channel = channel.withLock({ $0 }) else { return }
    try await withGracefulShutdownHandler {
      try await withTaskCancellationHandler {
        try await channel.closeFuture.get()
      } onCancel: {
        channel.close(promise: nil)
      }
    } onGracefulShutdown: {
      channel.close(promise: nil)
    }
  }

  func close() {
    channel.withLock { $0 }?.close(promise: nil)
  }
}

private final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let registry: PrometheusCollectorRegistry

  init(registry: PrometheusCollectorRegistry) { self.registry = registry }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard case .head(let head) = unwrapInboundIn(data) else { return }
    var body: [UInt8] = []
    let status: HTTPResponseStatus
    if head.method == .GET, head.uri == "/metrics" || head.uri.hasPrefix("/metrics?") {
      registry.emit(into: &body)
      status = .ok
    } else {
      body = Array("Not found. Metrics are at /metrics.\n".utf8)
      status = .notFound
    }
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
    headers.add(name: "Content-Length", value: "\(body.count)")
    headers.add(name: "Connection", value: "close")
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
  }
}
