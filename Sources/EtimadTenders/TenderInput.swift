import EtimadKit
import EtimadProtos
import SwiftProtobuf

/// Reads the wire messages into the area's values, collecting every problem as a field
/// violation.
enum TenderInput {
  /// Paths of `Tender` that UpdateTender may change.
  static let updatablePaths: Set<String> = [
    "reference_number", "tender_number", "name", "description", "branch", "type_code", "main_activity_code",
    "sub_activity_code", "region_codes", "inside_kingdom", "booklet_price", "publish_time", "last_enquiry_time",
    "last_offer_time", "opening_time",
  ]

  /// The fields of a new tender (validated by the caller with `TenderFields.validate`).
  static func fields(
    _ tender: Etimad_Tenders_V1_Tender, into violations: inout [EtimadError.FieldViolation]
  )
    -> TenderFields
  {
    var fields = TenderFields(
      referenceNumber: "", tenderNumber: "", name: "", description: "", branch: "", typeCode: "", mainActivity: "",
      subActivity: "", regions: [], insideKingdom: false, bookletPrice: 0,
      dates: TenderDates(publish: 0, lastEnquiry: 0, lastOffer: 0, opening: 0))
    apply(tender, paths: updatablePaths, to: &fields, into: &violations)
    return fields
  }

  /// Copies the fields named in `paths` from `tender`.
  static func apply(
    _ tender: Etimad_Tenders_V1_Tender, paths: Set<String>, to fields: inout TenderFields,
    into violations: inout [EtimadError.FieldViolation]
  ) {
    if paths.contains("reference_number") { fields.referenceNumber = tender.referenceNumber }
    if paths.contains("tender_number") { fields.tenderNumber = tender.tenderNumber }
    if paths.contains("name") { fields.name = tender.name }
    if paths.contains("description") { fields.description = tender.description_p }
    if paths.contains("branch") { fields.branch = tender.branch }
    if paths.contains("type_code") { fields.typeCode = tender.typeCode }
    if paths.contains("main_activity_code") { fields.mainActivity = tender.mainActivityCode }
    if paths.contains("sub_activity_code") { fields.subActivity = tender.subActivityCode }
    if paths.contains("region_codes") { fields.regions = tender.regionCodes }
    if paths.contains("inside_kingdom") { fields.insideKingdom = tender.insideKingdom }
    if paths.contains("booklet_price") {
      do {
        fields.bookletPrice = try Halalas(
          currencyCode: tender.bookletPrice.currencyCode, amount: tender.bookletPrice.amountHalalas
        ).value
      } catch {
        violations.append(FieldRules.violation(error, field: "tender.booklet_price.currency_code"))
      }
    }
    func time(_ name: String, _ has: Bool, _ value: Google_Protobuf_Timestamp, _ set: (Int64) -> Void) {
      guard paths.contains(name) else { return }
      if has { set(WireTime.seconds(value)) } else { violations.append(TendersErrors.required("tender." + name)) }
    }
    time("publish_time", tender.hasPublishTime, tender.publishTime) { fields.dates.publish = $0 }
    time("last_enquiry_time", tender.hasLastEnquiryTime, tender.lastEnquiryTime) { fields.dates.lastEnquiry = $0 }
    time("last_offer_time", tender.hasLastOfferTime, tender.lastOfferTime) { fields.dates.lastOffer = $0 }
    time("opening_time", tender.hasOpeningTime, tender.openingTime) { fields.dates.opening = $0 }
  }

  /// The search request as a query, or INVALID_ARGUMENT naming every bad filter.
  static func query(_ request: Etimad_Tenders_V1_SearchTendersRequest) throws -> TenderQuery {
    var violations: [EtimadError.FieldViolation] = []
    var text = SearchText.empty
    do {
      text = try SearchText(request.query)
    } catch {
      violations.append(
        .init(
          field: "query", reason: error == .tooLong ? "TOO_LONG" : "TOO_MANY_WORDS",
          description: .init(
            en:
              "Search with at most \(CountedNoun.character(SearchText.maximumLength).english) and \(CountedNoun.word(SearchText.maximumWords).english).",
            ar:
              "ابحث بما لا يزيد عن \(CountedNoun.character(SearchText.maximumLength).arabic) و\(CountedNoun.word(SearchText.maximumWords).arabic)."
          )))
    }
    func code(_ value: String, _ field: String, _ known: [String]) -> String? {
      guard !value.isEmpty else { return nil }
      if !known.contains(value) { violations.append(TenderFields.unknown(field, "the lookups")) }
      return value
    }
    let subActivities = TenderLookups.activities.flatMap { $0.subActivities.map(\.code) }
    var query = TenderQuery(
      text: text,
      typeCode: code(request.typeCode, "type_code", TenderLookups.types.map(\.code)),
      mainActivity: code(request.mainActivityCode, "main_activity_code", TenderLookups.activities.map(\.entry.code)),
      subActivity: code(request.subActivityCode, "sub_activity_code", subActivities),
      agency: request.agencyCode.isEmpty ? nil : request.agencyCode.uppercased(),
      order: .publishTime, reverse: request.reverse)
    let regions = Set(request.regionCodes)
    if regions.contains(where: { region in !TenderLookups.regions.contains { $0.code == region } }) {
      violations.append(TenderFields.unknown("region_codes", "ListRegions"))
    }
    query.regions = regions.sorted()
    if request.hasBookletPrice {
      let price = request.bookletPrice
      if price.hasMin { query.priceMin = price.min.amountHalalas }
      if price.hasMax { query.priceMax = price.max.amountHalalas }
      for (has, money, field) in [(price.hasMin, price.min, "min"), (price.hasMax, price.max, "max")] where has {
        if !money.currencyCode.isEmpty && money.currencyCode != "SAR" {
          violations.append(
            FieldRules.violation(Halalas.Problem.wrongCurrency(money.currencyCode), field: "booklet_price.\(field)"))
        }
      }
    }
    if request.hasPublishTime {
      let range = request.publishTime
      query.publishFrom = range.hasStartTime ? WireTime.seconds(range.startTime) : nil
      query.publishTo = range.hasEndTime ? WireTime.seconds(range.endTime) : nil
    }
    if request.hasLastOfferTime {
      let range = request.lastOfferTime
      query.offerFrom = range.hasStartTime ? WireTime.seconds(range.startTime) : nil
      query.offerTo = range.hasEndTime ? WireTime.seconds(range.endTime) : nil
    }
    switch request.category {
    case .active: query.category = .active
    case .ended: query.category = .ended
    default: query.category = nil
    }
    let hasText = !(query.text.isEmpty)
    switch request.orderBy {
    case .relevance: query.order = hasText ? .relevance : .publishTime
    case .publishTime: query.order = .publishTime
    case .lastOfferTime: query.order = .lastOfferTime
    case .bookletPrice: query.order = .bookletPrice
    default: query.order = hasText ? .relevance : .publishTime
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: TenderRules.domain) }
    return query
  }
}
