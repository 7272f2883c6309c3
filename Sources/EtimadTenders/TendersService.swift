import Crypto
import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.tenders.v1.TenderService`: validates requests, checks who calls, converts between
/// the wire and the domain (`TendersWire`, `TenderInput`), and leaves every read and change to
/// a `TenderStorage`.
public struct TendersService: Etimad_Tenders_V1_TenderService.SimpleServiceProtocol {
  let store: any TenderStorage
  let paging: Paging

  init(store: any TenderStorage, paging: Paging) {
    self.store = store
    self.paging = paging
  }

  static let domain = TenderRules.domain

  // MARK: Agency side

  public func createTender(
    request: Etimad_Tenders_V1_CreateTenderRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_CreateTenderResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agencyCaller()
    var violations: [EtimadError.FieldViolation] = []
    var fields = TenderInput.fields(request.tender, into: &violations)
    violations += fields.validate()
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    return try await store.change(
      TenderChange(
        action: .create(fields, agency: agency.code, employee: agency.employee ?? ""), once: ExactlyOnce(call)
      ) { tender, now in .with { $0.tender = TendersWire.tender(tender, now: now) } })
  }

  public func updateTender(
    request: Etimad_Tenders_V1_UpdateTenderRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_UpdateTenderResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agencyCaller()
    let id = try tenderID(request.tenderID)
    let paths = request.updateMask.paths
    let unknown = paths.filter { !TenderInput.updatablePaths.contains($0) }
    guard !paths.isEmpty, unknown.isEmpty else {
      throw EtimadError.invalidFields(
        [
          .init(
            field: "update_mask", reason: paths.isEmpty ? "REQUIRED" : "UNKNOWN_PATH",
            description: .init(
              en: "Name the fields to change; allowed: \(TenderInput.updatablePaths.sorted().joined(separator: ", ")).",
              ar: "حدد الحقول المراد تعديلها من الحقول المسموح بها."))
        ], domain: Self.domain)
    }
    let tender = request.tender
    let action = TenderAction.update(id: id, agency: agency.code, paths: paths) { fields in
      var violations: [EtimadError.FieldViolation] = []
      TenderInput.apply(tender, paths: Set(paths), to: &fields, into: &violations)
      return violations + fields.validate()
    }
    return try await store.change(
      TenderChange(action: action, once: ExactlyOnce(call)) { tender, now in
        .with { $0.tender = TendersWire.tender(tender, now: now) }
      })
  }

  public func publishTender(
    request: Etimad_Tenders_V1_PublishTenderRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_PublishTenderResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agencyCaller()
    let action = TenderAction.publish(id: try tenderID(request.tenderID), agency: agency.code)
    return try await store.change(
      TenderChange(action: action, once: ExactlyOnce(call)) { tender, now in
        .with { $0.tender = TendersWire.tender(tender, now: now) }
      })
  }

  public func extendDates(
    request: Etimad_Tenders_V1_ExtendDatesRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_ExtendDatesResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agencyCaller()
    let id = try tenderID(request.tenderID)
    let dates = DateExtension(
      lastEnquiry: request.hasLastEnquiryTime ? WireTime.seconds(request.lastEnquiryTime) : nil,
      lastOffer: request.hasLastOfferTime ? WireTime.seconds(request.lastOfferTime) : nil,
      opening: request.hasOpeningTime ? WireTime.seconds(request.openingTime) : nil)
    let action = TenderAction.extend(
      id: id, agency: agency.code, employee: agency.employee ?? "",
      reason: request.reason.trimmingCharacters(in: .whitespacesAndNewlines), dates: dates)
    return try await store.change(
      TenderChange(action: action, once: ExactlyOnce(call)) { tender, now in
        .with { $0.tender = TendersWire.tender(tender, now: now) }
      })
  }

  public func cancelTender(
    request: Etimad_Tenders_V1_CancelTenderRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_CancelTenderResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agencyCaller()
    let id = try tenderID(request.tenderID)
    let problems = TenderRules.textViolations(request.reason, field: "reason", required: true, maximum: 500)
    guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: Self.domain) }
    let action = TenderAction.cancel(
      id: id, agency: agency.code, reason: request.reason.trimmingCharacters(in: .whitespacesAndNewlines))
    return try await store.change(
      TenderChange(action: action, once: ExactlyOnce(call)) { tender, now in
        .with { $0.tender = TendersWire.tender(tender, now: now) }
      })
  }

  public func closeTender(
    request: Etimad_Tenders_V1_CloseTenderRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_CloseTenderResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agencyCaller()
    let id = try tenderID(request.tenderID)
    var problems = TenderRules.textViolations(request.note, field: "note", required: false, maximum: 500)
    let outcome: TenderState? =
      switch request.outcome {
      case .complete: .complete
      case .unsuccessful: .unsuccessful
      default: nil
      }
    if outcome == nil {
      problems.append(
        .init(
          field: "outcome", reason: "REQUIRED",
          description: .init(en: "Choose complete or unsuccessful.", ar: "اختر الترسية أو عدم الترسية.")))
    }
    guard problems.isEmpty, let outcome else { throw EtimadError.invalidFields(problems, domain: Self.domain) }
    let action = TenderAction.close(
      id: id, agency: agency.code, outcome: outcome, note: request.note.trimmingCharacters(in: .whitespacesAndNewlines))
    return try await store.change(
      TenderChange(action: action, once: ExactlyOnce(call)) { tender, now in
        .with { $0.tender = TendersWire.tender(tender, now: now) }
      })
  }

  // MARK: Anyone

  public func getTender(
    request: Etimad_Tenders_V1_GetTenderRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_GetTenderResponse {
    // An ID that is not a number names no tender: NOT_FOUND, like any other unknown ID.
    guard let id = Int64(request.tenderID), id > 0 else { throw TendersErrors.notFound }
    let now = Int64(store.clock.now.timeIntervalSince1970)
    guard let tender = try await store.tender(id: id), TenderRules.visible(tender, to: viewerAgency(), now: now) else {
      throw TendersErrors.notFound
    }
    return .with { $0.tender = TendersWire.tender(tender, now: now) }
  }

  public func searchTenders(
    request: Etimad_Tenders_V1_SearchTendersRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_SearchTendersResponse {
    let size = try Paging.pageSize(request.pageSize, default: 20, maximum: 100, domain: Self.domain)
    let query = try TenderInput.query(request)
    let viewer = viewerAgency()
    let filters = Self.filterBinding(request, viewer: Principal.current.key)
    let cursor = try paging.cursor(SearchCursor.self, from: request.pageToken, filters: filters, domain: Self.domain)
    let now = Int64(store.clock.now.timeIntervalSince1970)
    let (tenders, next) = try await store.search(query, viewer: viewer, now: now, size: size, after: cursor)
    return .with {
      // A result row is what Etimad's list shows: no description (GetTender has it), which
      // halves the page on the wire.
      $0.tenders = tenders.map {
        var message = TendersWire.tender($0, now: now)
        message.description_p = ""
        return message
      }
      $0.nextPageToken = next.map { paging.token(for: $0, filters: filters) } ?? ""
    }
  }

  public func listAgencies(
    request: Etimad_Tenders_V1_ListAgenciesRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_ListAgenciesResponse {
    let size = try Paging.pageSize(request.pageSize, default: 100, maximum: 500, domain: Self.domain)
    let after = try paging.cursor(String.self, from: request.pageToken, filters: "agencies", domain: Self.domain)
    let rows = try await store.agencies(after: after, limit: size + 1)
    let page = rows.prefix(size)
    return .with {
      $0.agencies = page.map(TendersWire.lookup)
      if rows.count > size, let last = page.last {
        $0.nextPageToken = paging.token(for: last.code, filters: "agencies")
      }
    }
  }

  public func listRegions(
    request: Etimad_Tenders_V1_ListRegionsRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_ListRegionsResponse {
    let regions = try await store.lookups(.region)
    return .with { $0.regions = regions.map(TendersWire.lookup) }
  }

  public func listActivities(
    request: Etimad_Tenders_V1_ListActivitiesRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_ListActivitiesResponse {
    let rows = try await store.lookups(.activity)
    var activities: [Etimad_Tenders_V1_Activity] = []
    for row in rows {
      let lookup = TendersWire.lookup(row)
      if let parent = row.parent, let index = activities.firstIndex(where: { $0.code == parent }) {
        activities[index].subActivities.append(lookup)
      } else if row.parent == nil {
        activities.append(
          .with {
            $0.code = lookup.code
            $0.name = lookup.name
          })
      }
    }
    return .with { $0.activities = activities }
  }

  public func listTenderTypes(
    request: Etimad_Tenders_V1_ListTenderTypesRequest, context: ServerContext
  ) async throws -> Etimad_Tenders_V1_ListTenderTypesResponse {
    let types = try await store.lookups(.type)
    return .with { $0.tenderTypes = types.map(TendersWire.lookup) }
  }

  // MARK: Helpers

  private func mutation<Request: SwiftProtobuf.Message>(
    _ request: Request, _ requestID: String, _ context: ServerContext
  ) throws -> MutationCall<Request> {
    try MutationCall(request, requestID: requestID, context: context, domain: Self.domain)
  }

  /// The calling agency; the access table admits only agencies to these methods, so anything
  /// else here is a wiring mistake, answered as an unknown tender.
  private func agencyCaller() throws -> Principal.Agency {
    guard case .agency(let agency) = Principal.current else { throw TendersErrors.notFound }
    return agency
  }

  private func viewerAgency() -> String? {
    if case .agency(let agency) = Principal.current { return agency.code }
    return nil
  }

  private func tenderID(_ text: String) throws -> Int64 {
    if text.isEmpty { throw EtimadError.invalidFields([TendersErrors.required("tender_id")], domain: Self.domain) }
    guard let id = Int64(text), id > 0 else { throw TendersErrors.notFound }
    return id
  }

  /// What a page token is bound to: every filter and the order (not the page fields), and
  /// the caller, whose view differs (an agency also sees its drafts).
  static func filterBinding(_ request: Etimad_Tenders_V1_SearchTendersRequest, viewer: String) -> String {
    var filters = request
    filters.pageToken = ""
    filters.pageSize = 0
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    let bytes: [UInt8] = (try? filters.serializedBytes(options: options)) ?? []
    return viewer + "|" + Data(SHA256.hash(data: bytes)).base64EncodedString()
  }
}
