import EtimadKit
import GRPCCore
import Logging

/// One structured line per finished call: method, status code (canonical name), duration in
/// milliseconds (a number), peer and request id, with dot keys. Successful calls log at info, failures at notice (server faults
/// at error), so an operator can raise the level to quieten the access log.
struct LoggingInterceptor: ServerInterceptor {
  let logger: Logger

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    guard logger.logLevel <= .error else { return try await next(request, context) }
    let start = ContinuousClock.now
    do {
      let response = try await next(request, context)
      switch response.accepted {
      case .failure(let error):
        log(error.code, start: start, context: context)
        return response
      case .success:
        return response.wrappingProducer { body, writer in
          do {
            let trailers = try await body(writer)
            log(nil, start: start, context: context)
            return trailers
          } catch {
            log(StatusCode.of(error), start: start, context: context)
            throw error
          }
        }
      }
    } catch {
      log(StatusCode.of(error), start: start, context: context)
      throw error
    }
  }

  private func log(_ code: RPCError.Code?, start: ContinuousClock.Instant, context: ServerContext) {
    let level: Logger.Level =
      switch code {
      case nil: .info
      case .internalError?, .dataLoss?, .unknown?: .error
      default: .notice
      }
    guard logger.logLevel <= level else { return }
    // Microsecond precision, as a number: JSON logs carry it as one.
    let milliseconds = ((ContinuousClock.now - start) / .microseconds(1)).rounded() / 1000
    logger.log(
      level: level, "rpc finished",
      metadata: [
        "request.id": "\(CallInfo.current.requestID)",
        "rpc.method": "\(context.descriptor.fullyQualifiedMethod)",
        // Canonical names (INVALID_ARGUMENT), as gRPC's docs and other servers' logs spell them.
        "rpc.code": "\(code?.canonicalName ?? "OK")",
        "rpc.duration_ms": .stringConvertible(milliseconds),
        "peer": "\(context.remotePeer)",
      ])
  }
}

/// The status code of an error as the client will see it; nil for success.
enum StatusCode {
  static func of(_ error: any Error) -> RPCError.Code? {
    switch error {
    case let error as RPCError: error.code
    // EtimadError is among these.
    case let error as any RPCErrorConvertible: error.rpcErrorCode
    case is CancellationError: .cancelled
    default: .unknown
    }
  }
}
