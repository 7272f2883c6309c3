import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

extension EtimadClient {
  /// `etimad.payments.v1.GovernmentPaymentService`: government payments for Ministry of
  /// Interior services.
  public var payments: Etimad_Payments_V1_GovernmentPaymentService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: grpc)
  }

  /// How far an export has come.
  public struct ExportProgress: Sendable, Hashable {
    /// Rows written to the file so far.
    public var rows: Int64
    /// Rows that matched when the export started (0 until the server said).
    public var expectedRows: Int64
    /// Bytes written to the file so far.
    public var bytes: Int64

    /// From 0 to 1; 1 when nothing was expected.
    public var fraction: Double { expectedRows > 0 ? min(1, Double(rows) / Double(expectedRows)) : 1 }
  }

  /// Exports payments into the file at `destination`: the stream goes to a temporary file in the
  /// same directory, which is renamed to `destination` only once the export has completed. A
  /// failed or cancelled export leaves no file behind and never a half-written one at
  /// `destination`. `progress` is called after every chunk.
  /// - Returns: the final progress (rows and bytes written).
  @discardableResult
  public func exportPayments(
    to destination: URL, filter: Etimad_Payments_V1_PaymentFilter = .init(),
    format: Etimad_Payments_V1_ExportFormat = .csv, arabicHeaders: Bool = false, timeout: Duration = .seconds(3600),
    progress: @escaping @Sendable (ExportProgress) -> Void = { _ in }
  ) async throws -> ExportProgress {
    let directory = destination.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
      throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path])
    }
    var options = CallOptions.defaults
    options.timeout = timeout
    let handle: FileHandle
    do {
      handle = try FileHandle(forWritingTo: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
    do {
      let request = Etimad_Payments_V1_ExportPaymentsRequest.with {
        $0.filter = filter
        $0.format = format
        $0.arabicHeaders = arabicHeaders
      }
      let final = try await payments.exportPayments(request, options: options) { response in
        var state = ExportProgress(rows: 0, expectedRows: 0, bytes: 0)
        for try await chunk in response.messages {
          if chunk.expectedRows > 0 { state.expectedRows = chunk.expectedRows }
          if !chunk.data.isEmpty { try handle.write(contentsOf: chunk.data) }
          state.rows += chunk.rows
          state.bytes += Int64(chunk.data.count)
          progress(state)
        }
        return state
      }
      try handle.synchronize()
      try handle.close()
      guard rename(temporary.path, destination.path) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
      }
      return final
    } catch {
      try? handle.close()
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
  }
}
