import Foundation
import GRPCCore

/// Adds to every call the metadata the daemon reads: `accept-language`, a fresh
/// `x-request-id` (unless the caller set one), `x-etimad-employee` for agencies, and the
/// bearer token when signed in.
struct CallMetadataInterceptor: ClientInterceptor {
  let acceptLanguage: String
  let employee: String?
  let session: SessionToken

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    var request = request
    if request.metadata[stringValues: "accept-language"].first(where: { _ in true }) == nil {
      request.metadata.addString(acceptLanguage, forKey: "accept-language")
    }
    if request.metadata[stringValues: "x-request-id"].first(where: { _ in true }) == nil {
      request.metadata.addString(UUID().uuidString.lowercased(), forKey: "x-request-id")
    }
    if let employee, request.metadata[stringValues: "x-etimad-employee"].first(where: { _ in true }) == nil {
      request.metadata.addString(employee, forKey: "x-etimad-employee")
    }
    if let token = session.value, request.metadata[stringValues: "authorization"].first(where: { _ in true }) == nil {
      request.metadata.addString("Bearer \(token)", forKey: "authorization")
    }
    return try await next(request, context)
  }
}
