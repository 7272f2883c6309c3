import Etimad
import EtimadKit
import EtimadProtos
import EtimadServer
import Foundation
import GRPCCore
import Testing

@Suite("Tenders: publish and Arabic-aware search")
struct TendersTests {
  /// The current second, on a clock the tests move (the TLS certificates the daemon issues
  /// start at this time, so it cannot be in the future).
  static func clock() -> ManualClock {
    ManualClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 60))
  }

  @Test("a draft is invisible to the public and to other agencies until published; then everyone finds it")
  func lifecycle() async throws {
    let clock = Self.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      let moh = try await daemon.tendersAgency("MOH")
      let moe = try await daemon.tendersAgency("MOE")
      try await EtimadClient.withClient(moh) { agency in
        try await EtimadClient.withClient(moe) { other in
          try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
            // Given a draft of the Ministry of Health
            let requestID = EtimadClient.newRequestID()
            let input = sampleTender(reference: "250139009876", name: "توريد أجهزة أشعة مقطعية", now: clock.now)
            let draft = try await agency.createTender(input, requestID: requestID)
            #expect(draft.status == .planned)
            #expect(draft.category == .unspecified)
            #expect(draft.agencyName.ar == "وزارة الصحة")
            // A retry with the same request id returns the same draft and creates nothing
            #expect(try await agency.createTender(input, requestID: requestID).id == draft.id)
            // Then the public and the other agency cannot see it
            #expect(await failure { _ = try await anonymous.tender(draft.id) }?.code == .notFound)
            #expect(await failure { _ = try await other.tender(draft.id) }?.code == .notFound)
            #expect(try await anonymous.searchTenders("أشعة").tenders.isEmpty)
            #expect(await failure { _ = try await other.publishTender(draft.id) }?.code == .notFound)
            let foreignUpdate = await failure {
              _ = try await other.updateTender(draft.id, .with { $0.name = "x" }, paths: ["name"])
            }
            #expect(foreignUpdate?.code == .notFound)
            // But its agency finds it, in search too
            #expect(try await agency.tender(draft.id).id == draft.id)
            #expect(try await agency.searchTenders("أشعة").tenders.map(\.id) == [draft.id])
            // When the agency renames and publishes it
            let renamed = try await agency.updateTender(
              draft.id, .with { $0.name = "توريد أجهزة أشعة مقطعية لمستشفى الملك فهد" }, paths: ["name"])
            #expect(renamed.name.hasSuffix("الملك فهد"))
            let published = try await agency.publishTender(draft.id)
            #expect(published.status == .active)
            #expect(published.category == .active)
            #expect(published.remaining.days == 20)
            #expect(published.remaining.hours == 0)
            // Then a published tender can no longer be edited
            let edit = await failure {
              _ = try await agency.updateTender(draft.id, .with { $0.name = "اسم آخر" }, paths: ["name"])
            }
            #expect(edit?.code == .failedPrecondition)
            #expect(edit?.reason == "NOT_DRAFT")
            // And anyone reads it, with Hijri dates computed with Umm al-Qura in Riyadh time
            let seen = try await anonymous.tender(draft.id)
            #expect(seen.referenceNumber == "250139009876")
            let publish = seen.publishDate
            let expected = RiyadhCalendars.hijri.dateComponents(
              [.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(publish.time.seconds)))
            #expect(publish.hijri.calendar == .hijri)
            #expect(Int(publish.hijri.year) == expected.year && Int(publish.hijri.month) == expected.month)
            #expect(Int(publish.hijri.day) == expected.day)
            #expect(publish.hijri.year >= 1448)
            #expect(seen.type.name.ar == "منافسة عامة")
            #expect(seen.regions.map(\.name.ar) == ["الرياض"])
            #expect(seen.subActivity.name.en == "Medical devices")
            // And the remaining time shrinks with the clock
            clock.advance(by: 3 * 86_400 + 5 * 3_600)
            let later = try await anonymous.tender(draft.id)
            #expect(later.remaining.days == 16)
            #expect(later.remaining.hours == 19)
          }
        }
      }
      let audit = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "tender/1").map(\.summary)
      }
      #expect(audit.count == 3)
      #expect(audit.contains { $0.hasPrefix("published") })
    }
  }

  @Test("dates out of order are refused with a violation per date; extensions only move dates later")
  func dateRules() async throws {
    let clock = Self.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        var bad = sampleTender(reference: "R-1", name: "توريد أدوية", now: clock.now)
        bad.lastEnquiryTime = .init(date: clock.now.addingTimeInterval(-3600))
        bad.openingTime = .init(date: clock.now.addingTimeInterval(86_400))
        do {
          _ = try await agency.createTender(bad)
          Issue.record("accepted dates out of order")
        } catch let error as RPCError {
          #expect(error.code == .invalidArgument)
          let fields = Set(error.etimadDetails?.fieldViolations.map(\.field) ?? [])
          #expect(fields == ["tender.last_enquiry_time", "tender.opening_time"])
        }
        var missing = sampleTender(reference: "R-2", name: "x", now: clock.now)
        missing.clearLastOfferTime()
        missing.regionCodes = ["riyadh", "atlantis"]
        do {
          _ = try await agency.createTender(missing)
          Issue.record("accepted")
        } catch let error as RPCError {
          let fields = Set(error.etimadDetails?.fieldViolations.map(\.field) ?? [])
          #expect(fields.isSuperset(of: ["tender.last_offer_time", "tender.name", "tender.region_codes"]))
        }
        let tender = try await agency.publish(sampleTender(reference: "R-3", name: "توريد أدوية", now: clock.now))
        let offer = Date(timeIntervalSince1970: TimeInterval(tender.lastOfferTime.seconds))
        let earlier = await failure {
          _ = try await agency.extendTenderDates(tender.id, lastOffer: offer.addingTimeInterval(-86_400), reason: "x")
        }
        #expect(earlier?.code == .invalidArgument)
        let noReason = await failure {
          _ = try await agency.extendTenderDates(tender.id, lastOffer: offer.addingTimeInterval(86_400), reason: "")
        }
        #expect(noReason?.code == .invalidArgument)
        // Past the opening time the order rule refuses it too
        let pastOpening = await failure {
          _ = try await agency.extendTenderDates(
            tender.id, lastOffer: offer.addingTimeInterval(3 * 86_400), reason: "x")
        }
        #expect(pastOpening?.code == .invalidArgument)
        let extended = try await agency.extendTenderDates(
          tender.id, lastOffer: offer.addingTimeInterval(3 * 86_400), opening: offer.addingTimeInterval(4 * 86_400),
          reason: "بناءً على طلب الموردين")
        #expect(extended.lastOfferTime.seconds == tender.lastOfferTime.seconds + 3 * 86_400)
        #expect(extended.extensions.count == 1)
        #expect(extended.extensions.first?.reason == "بناءً على طلب الموردين")
        #expect(extended.extensions.first?.employee == "emp-2001")
        #expect(extended.remaining.days == 23)
        // Closing before the last offer time is refused; after it, the tender is complete
        #expect(
          await failure { _ = try await agency.closeTender(tender.id, outcome: .complete) }?.reason
            == "OFFERS_STILL_OPEN")
        clock.advance(by: 24 * 86_400)
        let closedExtend = await failure {
          _ = try await agency.extendTenderDates(tender.id, opening: offer.addingTimeInterval(9 * 86_400), reason: "x")
        }
        #expect(closedExtend?.reason == "OFFERS_CLOSED")
        let closed = try await agency.closeTender(tender.id, outcome: .complete, note: "تمت الترسية")
        #expect(closed.status == .complete)
        #expect(closed.category == .ended)
        #expect(closed.remaining.days == 0)
      }
    }
  }

  @Test("a cancelled tender shows its state and reason; a draft cancelled is withdrawn and stays hidden")
  func cancellation() async throws {
    let clock = Self.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOE")) { agency in
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          let tender = try await agency.publish(
            sampleTender(reference: "C-1", name: "إنشاء مدرسة ابتدائية", now: clock.now))
          #expect(tender.remaining.days == 20)
          let cancelled = try await agency.cancelTender(tender.id, reason: "إعادة دراسة الاحتياج")
          #expect(cancelled.status == .cancelled)
          let seen = try await anonymous.tender(tender.id)
          #expect(seen.status == .cancelled)
          #expect(seen.category == .ended)
          #expect(seen.statusReason == "إعادة دراسة الاحتياج")
          // Cancelled while offers were open: no countdown, on GetTender nor in search rows
          #expect(seen.remaining.days == 0 && seen.remaining.hours == 0)
          let rows = try await anonymous.searchTenders("مدرسة").tenders
          #expect(rows.map(\.status) == [.cancelled])
          #expect(rows.map(\.remaining.days) == [0] && rows.map(\.remaining.hours) == [0])
          #expect(try await anonymous.searchTenders("مدرسة") { $0.category = .active }.tenders.isEmpty)
          #expect(await failure { _ = try await agency.cancelTender(tender.id, reason: "x") }?.reason == "TENDER_FINAL")
          let draft = try await agency.createTender(
            sampleTender(reference: "C-2", name: "إنشاء مدرسة ثانوية", now: clock.now))
          #expect(try await agency.cancelTender(draft.id, reason: "خطأ").status == .withdrawn)
          #expect(await failure { _ = try await anonymous.tender(draft.id) }?.code == .notFound)
          // A tender scheduled for later is planned and hidden until its publish time
          let scheduled = try await agency.publish(
            sampleTender(reference: "C-3", name: "إنشاء مدرسة متوسطة", now: clock.now, publishIn: 2))
          #expect(scheduled.status == .planned)
          #expect(await failure { _ = try await anonymous.tender(scheduled.id) }?.code == .notFound)
          clock.advance(by: 2 * 86_400)
          #expect(try await anonymous.tender(scheduled.id).status == .active)
        }
      }
    }
  }
}
