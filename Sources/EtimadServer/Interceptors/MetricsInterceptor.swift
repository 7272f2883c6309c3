import EtimadProtos
import GRPCCore
import Prometheus
import Synchronization

/// Counts and times every call under go-grpc-prometheus's names, so that existing dashboards
/// work: `grpc_server_started_total`, `grpc_server_handled_total` (with `grpc_code`),
/// `grpc_server_handling_seconds`, labelled by `grpc_type`, `grpc_service`, `grpc_method`.
/// Metric objects are made once per method (a bounded set) and cached.
final class MetricsInterceptor: ServerInterceptor {
  private let registry: PrometheusCollectorRegistry
  private let perMethod = Mutex<[MethodDescriptor: MethodMetrics]>([:])

  static let buckets: [Duration] = [
    .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
    .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
    .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
  ]

  init(registry: PrometheusCollectorRegistry) {
    self.registry = registry
  }

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let metrics = self.metrics(for: context.descriptor)
    metrics.started.increment()
    let start = ContinuousClock.now
    do {
      let response = try await next(request, context)
      if case .failure(let error) = response.accepted {
        metrics.finish(error.code, start: start)
        return response
      }
      return response.wrappingProducer { body, writer in
        do {
          let trailers = try await body(writer)
          metrics.finish(nil, start: start)
          return trailers
        } catch {
          metrics.finish(StatusCode.of(error), start: start)
          throw error
        }
      }
    } catch {
      metrics.finish(StatusCode.of(error), start: start)
      throw error
    }
  }

  private func metrics(for method: MethodDescriptor) -> MethodMetrics {
    if let cached = perMethod.withLock({ $0[method] }) { return cached }
    let made = MethodMetrics(method: method, registry: registry)
    return perMethod.withLock { cache in
      if let raced = cache[method] { return raced }
      cache[method] = made
      return made
    }
  }
}

/// The metric objects of one method: one handled counter per status code, made up front.
struct MethodMetrics: Sendable {
  let started: Counter
  let handled: [Counter]  // indexed by status code number, 0 = OK
  let seconds: DurationHistogram

  init(method: MethodDescriptor, registry: PrometheusCollectorRegistry) {
    let kind = MethodCatalog.methods[method.fullyQualifiedMethod]?.kind ?? .unary
    let type =
      switch kind {
      case .unary: "unary"
      case .clientStreaming: "client_stream"
      case .serverStreaming: "server_stream"
      case .bidirectionalStreaming: "bidi_stream"
      }
    let labels = [
      ("grpc_type", type), ("grpc_service", method.service.fullyQualifiedService), ("grpc_method", method.method),
    ]
    started = registry.makeCounter(
      name: "grpc_server_started_total", labels: labels, help: "Total number of RPCs started on the server.")
    handled = Self.codeNames.map { name in
      registry.makeCounter(
        name: "grpc_server_handled_total", labels: labels + [("grpc_code", name)],
        help: "Total number of RPCs completed on the server, regardless of success or failure.")
    }
    seconds = registry.makeDurationHistogram(
      name: "grpc_server_handling_seconds", labels: labels, buckets: MetricsInterceptor.buckets,
      help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.")
  }

  func finish(_ code: RPCError.Code?, start: ContinuousClock.Instant) {
    handled[code.map { Int($0.rawValue) } ?? 0].increment()
    seconds.record(ContinuousClock.now - start)
  }

  /// go-grpc-prometheus's names for the status codes, in code order.
  static let codeNames = [
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
    "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
    "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
  ]
}
