import EtimadKit
import GRDB
import GRPCCore
import GRPCProtobuf
import Logging

/// The one place where errors become wire statuses: an `EtimadError` becomes a
/// `google.rpc.Status` with its details in the caller's language; an `RPCError` passes
/// through; an error after the call was cancelled (a client that hung up) is CANCELLED;
/// anything else is logged and answered INTERNAL without its text, which may hold internals. GRPCCore turns an unknown error thrown below an interceptor into UNKNOWN with
/// the error as its cause; that cause is mapped here too.
struct ErrorMappingInterceptor: ServerInterceptor {
  let logger: Logger
  let storage: StorageWatch

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    do {
      var response = try await next(request, context)
      if case .failure(let error) = response.accepted {
        if error.code == .unknown, let cause = error.cause, !(cause is RPCError) {
          response.accepted = .failure(map(cause, context: context))
        } else {
          response.accepted = .failure(bounded(error))
        }
      }
      return response.wrappingProducer { body, writer in
        do {
          return try await body(writer)
        } catch {
          throw map(error, context: context)
        }
      }
    } catch {
      throw map(error, context: context)
    }
  }

  /// The largest `grpc-status-details-bin` sent; past it the details are dropped (the code and
  /// the message stay), since grpcio refuses trailers over 8 KiB with an error of its own.
  static let maximumDetailsBytes = 4 * 1024

  func map(_ error: any Error, context: ServerContext) -> RPCError {
    bounded(unbounded(error, context: context))
  }

  /// Every error leaves with a short message and details of bounded size, whatever input
  /// it echoes.
  func bounded(_ error: RPCError) -> RPCError {
    var error = error
    error.message = EtimadError.cut(error.message)
    let details = error.metadata[binaryValues: "grpc-status-details-bin"].reduce(0) { $0 + $1.count }
    if details > Self.maximumDetailsBytes { error.metadata.removeAllValues(forKey: "grpc-status-details-bin") }
    return error
  }

  private func unbounded(_ error: any Error, context: ServerContext) -> RPCError {
    switch error {
    case let error as EtimadError:
      return RPCError(error.bounded().googleRPCStatus(in: Language.current))
    case let error as any DomainError:
      return RPCError(error.etimadError.bounded().googleRPCStatus(in: Language.current))
    case _ where StorageHealth.isFull(error):
      return RPCError(
        storage.refused(method: context.descriptor.fullyQualifiedMethod).googleRPCStatus(in: Language.current))
    case let error as RPCError:
      return error
    case let error as any RPCErrorConvertible:
      return RPCError(error)
    case is Halalas.Problem,
      is DatabaseError where "\(error)".contains("integer overflow"):
      // Amounts are held under Halalas.ceiling on the way in; a sum that still overflows was
      // stored before that rule. The caller gets a clear answer, the operator the details.
      logger.error(
        "stored amounts out of range",
        metadata: [
          "request.id": "\(CallInfo.current.requestID)",
          "rpc.method": "\(context.descriptor.fullyQualifiedMethod)", "error": "\(String(reflecting: error))",
        ])
      return RPCError(
        EtimadError(
          code: .failedPrecondition, reason: "AMOUNT_OUT_OF_RANGE", domain: "platform.etimad.sa",
          message: LocalizedString(
            en: "Stored amounts of this record are out of range; the operator has been told.",
            ar: "المبالغ المحفوظة لهذا السجل خارج النطاق المسموح، وتم إبلاغ المشغّل.")
        ).googleRPCStatus(in: Language.current))
    case is CancellationError:
      return RPCError(code: .cancelled, message: "The call was cancelled.")
    case _ where context.cancellation.isCancelled:
      // The client went away (or the deadline passed) mid-call; writes then fail with I/O
      // errors that are not the server's fault.
      logger.debug(
        "call ended after cancellation",
        metadata: ["request.id": "\(CallInfo.current.requestID)", "error": "\(String(reflecting: error))"])
      return RPCError(code: .cancelled, message: "The call was cancelled.")
    default:
      logger.error(
        "unexpected error",
        metadata: [
          "request.id": "\(CallInfo.current.requestID)",
          "rpc.method": "\(context.descriptor.fullyQualifiedMethod)",
          "error": "\(String(reflecting: error))",
        ])
      return RPCError(
        code: .internalError,
        message: "The server failed to handle the request (request id \(CallInfo.current.requestID)).")
    }
  }
}
