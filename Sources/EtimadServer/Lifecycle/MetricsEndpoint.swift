import EtimadKit
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
  /// Sets the gauges that are read off rather than counted, before each scrape.
  let refresh: @Sendable () -> Void
  private let channel = Mutex<(any Channel)?>(nil)

  init(registry: PrometheusCollectorRegistry, host: String, port: Int, refresh: @escaping @Sendable () -> Void = {}) {
    self.registry = registry
    self.host = host
    self.port = port
    self.refresh = refresh
  }

  /// Binds the port; `localPort` is known afterwards.
  func bind() async throws -> Int {
    let registry = self.registry
    let refresh = self.refresh
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap {
          channel.pipeline.addHandler(MetricsHTTPHandler(registry: registry, refresh: refresh))
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
  let refresh: @Sendable () -> Void

  init(registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () -> Void) {
    self.registry = registry
    self.refresh = refresh
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard case .head(let head) = unwrapInboundIn(data) else { return }
    var body: [UInt8] = []
    let status: HTTPResponseStatus
    if head.method == .GET, head.uri == "/metrics" || head.uri.hasPrefix("/metrics?") {
      refresh()
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

/// The group commit's figures as gauges: `etimad_db_commits`, `etimad_db_committed_writes`
/// (their ratio is the mean batch) and `etimad_db_commit_batch_median` (a power of two).
struct CommitGauges: Sendable {
  let database: EtimadDatabase
  let commits: Gauge
  let writes: Gauge
  let median: Gauge

  init(registry: PrometheusCollectorRegistry, database: EtimadDatabase) {
    self.database = database
    commits = registry.makeGauge(name: "etimad_db_commits", help: "Write transactions committed since the start.")
    writes = registry.makeGauge(
      name: "etimad_db_committed_writes", help: "Writes (RPC changes, jobs, bookkeeping) in those transactions.")
    median = registry.makeGauge(
      name: "etimad_db_commit_batch_median", help: "Median writes per commit (lower bound of a power-of-two bucket).")
  }

  func refresh() {
    guard let figures = database.commitFigures else { return }
    commits.set(Double(figures.commits))
    writes.set(Double(figures.writes))
    median.set(Double(figures.medianBatch))
  }
}
