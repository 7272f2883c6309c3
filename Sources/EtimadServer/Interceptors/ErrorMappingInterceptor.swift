import EtimadKit
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

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    do {
      var response = try await next(request, context)
      if case .failure(let error) = response.accepted, error.code == .unknown, let cause = error.cause,
        !(cause is RPCError)
      {
        response.accepted = .failure(map(cause, context: context))
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

  func map(_ error: any Error, context: ServerContext) -> RPCError {
    switch error {
    case let error as EtimadError:
      return RPCError(error.googleRPCStatus(in: Language.current))
    case let error as RPCError:
      return error
    case let error as any RPCErrorConvertible:
      return RPCError(error)
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
