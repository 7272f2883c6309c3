import EtimadKit
import Testing

@testable import EtimadTenders

@Suite("Tender rules")
struct TenderRulesTests {
  static let day: Int64 = 86_400
  static let start: Int64 = 1_764_000_000
  static let dates = TenderDates(
    publish: start, lastEnquiry: start + 5 * day, lastOffer: start + 20 * day, opening: start + 21 * day)

  @Test("dates in order, equal dates included, are accepted")
  func orderedDates() {
    #expect(TenderRules.dateViolations(Self.dates).isEmpty)
    let same = TenderDates(publish: Self.start, lastEnquiry: Self.start, lastOffer: Self.start, opening: Self.start)
    #expect(TenderRules.dateViolations(same).isEmpty)
  }

  @Test("each date out of order is named")
  func badOrders() {
    var dates = Self.dates
    dates.lastEnquiry = dates.publish - 1
    #expect(TenderRules.dateViolations(dates).map(\.field) == ["tender.last_enquiry_time"])
    dates = Self.dates
    dates.opening = dates.lastOffer - 1
    dates.lastOffer = dates.lastEnquiry - 1
    #expect(TenderRules.dateViolations(dates).map(\.field) == ["tender.last_offer_time"])
    dates = Self.dates
    dates.opening = dates.publish - 1
    #expect(TenderRules.dateViolations(dates).map(\.field) == ["tender.opening_time"])
  }

  @Test("an extension only moves dates later, with a reason")
  func extensions() {
    var later = Self.dates
    later.lastOffer += Self.day
    later.opening += Self.day
    #expect(TenderRules.extensionViolations(from: Self.dates, to: later, reason: "طلب الموردين").isEmpty)
    #expect(
      TenderRules.extensionViolations(from: Self.dates, to: later, reason: " ").map(\.field) == ["reason"])
    var earlier = Self.dates
    earlier.lastOffer -= 1
    #expect(
      TenderRules.extensionViolations(from: Self.dates, to: earlier, reason: "x").map(\.reason) == [
        "EARLIER_THAN_CURRENT"
      ])
    #expect(
      TenderRules.extensionViolations(from: Self.dates, to: Self.dates, reason: "x").map(\.reason) == [
        "NOTHING_EXTENDED"
      ])
    var pastOpening = Self.dates
    pastOpening.lastOffer = pastOpening.opening + 1
    #expect(
      TenderRules.extensionViolations(from: Self.dates, to: pastOpening, reason: "x").map(\.field) == [
        "opening_time"
      ])
  }

  @Test("OCDS status and Etimad category follow the state and the clock")
  func statusAndCategory() {
    let d = Self.dates
    let before = d.publish - 1
    let during = d.publish + Self.day
    let after = d.lastOffer
    #expect(TenderRules.status(state: .draft, publish: d.publish, now: during) == .planned)
    #expect(TenderRules.status(state: .published, publish: d.publish, now: before) == .planned)
    #expect(TenderRules.status(state: .published, publish: d.publish, now: during) == .active)
    #expect(TenderRules.status(state: .cancelled, publish: d.publish, now: during) == .cancelled)
    #expect(TenderRules.status(state: .withdrawn, publish: d.publish, now: during) == .withdrawn)
    #expect(TenderRules.status(state: .complete, publish: d.publish, now: during) == .complete)
    #expect(TenderRules.status(state: .unsuccessful, publish: d.publish, now: during) == .unsuccessful)
    #expect(TenderRules.category(state: .published, dates: d, now: before) == nil)
    #expect(TenderRules.category(state: .draft, dates: d, now: during) == nil)
    #expect(TenderRules.category(state: .published, dates: d, now: during) == .active)
    #expect(TenderRules.category(state: .published, dates: d, now: after) == .ended)
    #expect(TenderRules.category(state: .cancelled, dates: d, now: during) == .ended)
  }

  @Test("remaining days and hours until the last offer time, while offers are accepted")
  func remaining() {
    let d = Self.dates
    let now = d.lastOffer - (3 * Self.day + 5 * 3600 + 59)
    #expect(TenderRules.remaining(state: .published, dates: d, now: now) == (3, 5))
    #expect(TenderRules.remaining(state: .published, dates: d, now: d.lastOffer) == (0, 0))
    #expect(TenderRules.remaining(state: .published, dates: d, now: d.lastOffer + 10) == (0, 0))
  }

  @Test(
    "no countdown for a tender that accepts no offers: before it is public, or cancelled, withdrawn or closed early",
    arguments: [TenderState.draft, .cancelled, .withdrawn, .complete, .unsuccessful])
  func noRemainingUnlessAcceptingOffers(state: TenderState) {
    let d = Self.dates
    let during = d.publish + Self.day
    #expect(!TenderRules.acceptsOffers(state: state, dates: d, now: during))
    #expect(TenderRules.remaining(state: state, dates: d, now: during) == (0, 0))
    // A published tender whose publish time has not come is not accepting offers yet either
    #expect(!TenderRules.acceptsOffers(state: .published, dates: d, now: d.publish - 1))
    #expect(TenderRules.remaining(state: .published, dates: d, now: d.publish - 1) == (0, 0))
    #expect(TenderRules.acceptsOffers(state: .published, dates: d, now: during))
  }

  @Test("reference numbers: Arabic-Indic digits to ASCII, letters uppercased, others refused")
  func references() {
    #expect(TenderRules.referenceNumber("٢٥٠١٣٩٠٠٩٨٧٦") == "250139009876")
    #expect(TenderRules.referenceNumber(" moh-1446/12 ") == "MOH-1446/12")
    #expect(TenderRules.referenceNumber("") == nil)
    #expect(TenderRules.referenceNumber("a b") == nil)
    #expect(TenderRules.referenceNumber(String(repeating: "1", count: 33)) == nil)
  }

  @Test("fields are checked against the lookups")
  func fields() {
    var fields = TenderFields(
      referenceNumber: "٢٥٠١", tenderNumber: "12/1446", name: "  توريد أجهزة طبية ", description: "", branch: "",
      typeCode: "general_tender", mainActivity: "medical", subActivity: "medical.devices",
      regions: ["riyadh", "riyadh"],
      insideKingdom: true, bookletPrice: 50_000, dates: Self.dates)
    #expect(fields.validate().isEmpty)
    #expect(fields.referenceNumber == "2501")
    #expect(fields.name == "توريد أجهزة طبية")
    #expect(fields.regions == ["riyadh"])
    fields.subActivity = "it.software"
    fields.typeCode = "nope"
    fields.regions = ["atlantis"]
    fields.bookletPrice = -1
    let problems = fields.validate().map(\.field)
    #expect(
      problems == [
        "tender.type_code", "tender.sub_activity_code", "tender.region_codes", "tender.booklet_price.amount_halalas",
      ])
  }

  @Test("the lookups hold the 13 regions and consistent activity codes")
  func lookups() {
    #expect(TenderLookups.regions.count == 13)
    #expect(Set(TenderLookups.regions.map(\.code)).count == 13)
    for main in TenderLookups.activities {
      #expect(main.subActivities.allSatisfy { $0.code.hasPrefix(main.entry.code + ".") })
    }
  }
}
