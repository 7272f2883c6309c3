import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

extension EtimadClient {
  /// `etimad.tenders.v1.TenderService`, for calls the conveniences below do not cover.
  public var tenders: Etimad_Tenders_V1_TenderService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: grpc)
  }

  /// Searches published tenders (anyone may). `configure` sets filters, order and paging.
  public func searchTenders(
    _ text: String = "", configure: (inout Etimad_Tenders_V1_SearchTendersRequest) -> Void = { _ in }
  ) async throws -> Etimad_Tenders_V1_SearchTendersResponse {
    var request = Etimad_Tenders_V1_SearchTendersRequest()
    request.query = text
    configure(&request)
    return try await tenders.searchTenders(request)
  }

  /// Every page of a search, following the page tokens (at most `limit` tenders).
  public func searchAllTenders(
    _ text: String = "", limit: Int = 1_000,
    configure: (inout Etimad_Tenders_V1_SearchTendersRequest) -> Void = { _ in }
  ) async throws -> [Etimad_Tenders_V1_Tender] {
    var request = Etimad_Tenders_V1_SearchTendersRequest()
    request.query = text
    configure(&request)
    var found: [Etimad_Tenders_V1_Tender] = []
    repeat {
      let page = try await tenders.searchTenders(request)
      found += page.tenders
      request.pageToken = page.nextPageToken
    } while !request.pageToken.isEmpty && found.count < limit
    return found
  }

  /// One tender by ID (a draft only for its own agency).
  public func tender(_ id: String) async throws -> Etimad_Tenders_V1_Tender {
    try await tenders.getTender(.with { $0.tenderID = id }).tender
  }

  /// Agencies: creates a draft. Keep `requestID` to retry safely.
  public func createTender(
    _ tender: Etimad_Tenders_V1_Tender, requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Tenders_V1_Tender {
    try await tenders.createTender(
      .with {
        $0.requestID = requestID
        $0.tender = tender
      }
    ).tender
  }

  /// Agencies: changes the fields named in `paths` of a draft to their values in `tender`.
  public func updateTender(
    _ id: String, _ tender: Etimad_Tenders_V1_Tender, paths: [String],
    requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Tenders_V1_Tender {
    try await tenders.updateTender(
      .with {
        $0.requestID = requestID
        $0.tenderID = id
        $0.tender = tender
        $0.updateMask.paths = paths
      }
    ).tender
  }

  /// Agencies: publishes a draft.
  public func publishTender(
    _ id: String, requestID: String = EtimadClient.newRequestID()
  ) async throws
    -> Etimad_Tenders_V1_Tender
  {
    try await tenders.publishTender(
      .with {
        $0.requestID = requestID
        $0.tenderID = id
      }
    ).tender
  }

  /// Agencies: moves dates later with a reason; nil keeps a date.
  public func extendTenderDates(
    _ id: String, lastEnquiry: Date? = nil, lastOffer: Date? = nil, opening: Date? = nil, reason: String,
    requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Tenders_V1_Tender {
    try await tenders.extendDates(
      .with {
        $0.requestID = requestID
        $0.tenderID = id
        if let lastEnquiry { $0.lastEnquiryTime = .init(date: lastEnquiry) }
        if let lastOffer { $0.lastOfferTime = .init(date: lastOffer) }
        if let opening { $0.openingTime = .init(date: opening) }
        $0.reason = reason
      }
    ).tender
  }

  /// Agencies: cancels a tender (withdraws it if the public never saw it).
  public func cancelTender(
    _ id: String, reason: String, requestID: String = EtimadClient.newRequestID()
  )
    async throws -> Etimad_Tenders_V1_Tender
  {
    try await tenders.cancelTender(
      .with {
        $0.requestID = requestID
        $0.tenderID = id
        $0.reason = reason
      }
    ).tender
  }

  /// Agencies: closes a tender after its last offer time, awarded or not.
  public func closeTender(
    _ id: String, outcome: Etimad_Tenders_V1_CloseOutcome, note: String = "",
    requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Tenders_V1_Tender {
    try await tenders.closeTender(
      .with {
        $0.requestID = requestID
        $0.tenderID = id
        $0.outcome = outcome
        $0.note = note
      }
    ).tender
  }
}
