import EtimadProtos
import GRPCCore
import Synchronization

/// The serving status of the daemon ("") and of each service, shared by both listeners.
/// Watchers are told of every change; at shutdown everything turns NOT_SERVING and the watch
/// streams end, so that graceful shutdown is not held open by them.
public final class HealthStatusStore: Sendable {
  public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

  private struct State {
    var statuses: [String: Status] = [:]
    var watchers: [Int: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
    var nextWatcher = 0
    var shutDown = false
  }

  private let state = Mutex(State())

  public init() {}

  /// Sets a status and tells the watchers of that service. Ignored after shutdown.
  public func set(_ status: Status, for service: String) {
    state.withLock { state in
      guard !state.shutDown, state.statuses[service] != status else { return }
      state.statuses[service] = status
      for watcher in state.watchers.values where watcher.service == service {
        watcher.continuation.yield(status)
      }
    }
  }

  public func status(of service: String) -> Status? {
    state.withLock { $0.statuses[service] }
  }

  public func all() -> [String: Status] {
    state.withLock { $0.statuses }
  }

  /// Every service NOT_SERVING, watchers told, then their streams finished.
  public func enterShutdown() {
    let watchers = state.withLock { state in
      state.shutDown = true
      for service in state.statuses.keys { state.statuses[service] = .notServing }
      defer { state.watchers.removeAll() }
      return state.watchers.values.map(\.continuation)
    }
    // Finished outside the lock: finishing runs `onTermination`, which takes the lock.
    for continuation in watchers {
      continuation.yield(.notServing)
      continuation.finish()
    }
  }

  /// A stream of the service's status: the current one first (SERVICE_UNKNOWN when unknown),
  /// then each change.
  func watch(_ service: String) -> AsyncStream<Status> {
    let (stream, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(1))
    let id: Int? = state.withLock { state in
      continuation.yield(state.statuses[service] ?? .serviceUnknown)
      if state.shutDown { return nil }
      state.nextWatcher += 1
      state.watchers[state.nextWatcher] = (service, continuation)
      return state.nextWatcher
    }
    if id == nil { continuation.finish() }
    if let id {
      continuation.onTermination = { [weak self] _ in
        _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
      }
    }
    return stream
  }
}

/// `grpc.health.v1.Health`: Check, Watch and List over the shared status store.
struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
  let store: HealthStatusStore

  func check(
    request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthCheckResponse {
    guard let status = store.status(of: request.service) else {
      throw RPCError(code: .notFound, message: "Unknown service '\(request.service)'.")
    }
    return .with { $0.status = status }
  }

  func list(
    request: Grpc_Health_V1_HealthListRequest, context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthListResponse {
    .with {
      $0.statuses = store.all().mapValues { status in .with { $0.status = status } }
    }
  }

  func watch(
    request: Grpc_Health_V1_HealthCheckRequest,
    response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
    context: ServerContext
  ) async throws {
    for await status in store.watch(request.service) {
      try await response.write(.with { $0.status = status })
    }
  }
}
