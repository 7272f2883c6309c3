import Etimad
import EtimadKit
import EtimadProtos
import EtimadServer
import Foundation
import GRPCCore
import Testing

@Suite("Tenders search")
struct TendersSearchTests {
  @Test("a tender written with one spelling is found with the others")
  func spellings() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("NWC")) { other in
        _ = try await other.publish(sampleTender(reference: "OTHER-1", name: "Supply of CT scanners", now: clock.now))
      }
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          // Given a tender written with hamza forms, taa marbuta, alef maqsura and Arabic-Indic digits
          let target = try await agency.publish(
            sampleTender(
              reference: "٢٥٠١٣٩٠٠٩٨٧٦", name: "إنشاء مبنى إدارة التعليم في مكة المكرمة", now: clock.now,
              description: "وفق كراسة الشروط والمواصفات", branch: "الإدارة العامة للمشتريات"))
          #expect(target.referenceNumber == "250139009876")
          // When the public searches with other spellings, then it is found every time
          for query in [
            "انشاء", "إِنْشَاءُ", "إنشــاء", "أنشاء", "مبنى", "مبني", "مَبْنَى", "ادارة", "اداره", "إدارة", "ٱلتعليم",
            "التعليـــم", "مكه المكرمه", "مكة", "في مكة", "250139009876", "٢٥٠١٣٩٠٠٩٨٧٦", "٢٥٠١٣٩", "2501",
            "وزاره الصحه", "وزارة الصحة", "ministry of HEALTH", "MINISTRY", "للمشتريات", "كراسه الشروط", "مبنى إدارة",
            // Articles and conjunctions: any form of a word finds the others
            "تعليم", "والتعليم", "المبنى", "المواصفات", "مواصفات", "المشتريات", "شروط", "مكه المكرمة والتعليم",
          ] {
            let found = try await anonymous.searchTenders(query).tenders.map(\.id)
            #expect(found == [target.id], "query \(query)")
          }
          // And English is case-folded, the last word a prefix
          #expect(try await anonymous.searchTenders("ct SCAN").tenders.map(\.name) == ["Supply of CT scanners"])
          #expect(try await anonymous.searchTenders("صيانة").tenders.isEmpty)
        }
      }
    }
  }

  @Test("the last word is a prefix as typed, or by its stem when that keeps three letters")
  func lastWordPrefix() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          // Given three tenders, one of them with a word that begins والت (and none with الت)
          let operation = try await agency.publish(
            sampleTender(reference: "P-1", name: "صيانة والتشغيل لمحطات المياه", now: clock.now))
          _ = try await agency.publish(sampleTender(reference: "P-2", name: "توريد أجهزة اتصالات", now: clock.now))
          let sewing = try await agency.publish(
            sampleTender(reference: "P-3", name: "توريد آلات خياطة", now: clock.now))
          func found(_ query: String) async throws -> [String] {
            try await anonymous.searchTenders(query).tenders.map(\.id)
          }
          // While والتشغيل is being typed, its beginning finds it
          #expect(try await found("والت") == [operation.id])
          #expect(try await found("صيانة والتش") == [operation.id])
          // آلات finds the machines, and not اتصالات, which its two-letter stem ات begins
          #expect(try await found("توريد آلات") == [sewing.id])
          #expect(try await found("توريد الات") == [sewing.id])
          // A stem of three letters or more still serves: والمياه finds المياه, through مياه
          #expect(try await found("صيانة والمياه") == [operation.id])
          #expect(try await found("المي") == [operation.id])
        }
      }
    }
  }

  @Test("a word carrying a one-letter particle ب ل ك ف is found by the word without it")
  func particles() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          // Given real titles whose words carry ل, ب, و + ب + ال, and plain forms beside them
          for (reference, name) in [
            ("L-1", "توريد أجهزة حاسب آلي لإدارة التعليم بمحافظة الخرج"),
            ("L-2", "صيانة وتشغيل شبكات المياه بمدينة الرياض"),
            ("L-3", "ترميم مدينة الحجاج"),
            ("L-4", "نظافة المساجد بمكة المكرمة وبالمدينة المنورة"),
            ("L-5", "تجديد كامل لمبنى الإسعاف"),
            ("L-6", "تأهيل مركز الأمل"),
          ] {
            _ = try await agency.publish(sampleTender(reference: reference, name: name, now: clock.now))
          }
          func found(_ query: String) async throws -> Set<String> {
            Set(try await anonymous.searchAllTenders(query).map(\.referenceNumber))
          }
          // When the public searches the words without the particle, then the prefixed forms are found
          #expect(try await found("ادارة التعليم") == ["L-1"])
          #expect(try await found("إدارة") == ["L-1"])
          #expect(try await found("محافظة الخرج") == ["L-1"])
          #expect(try await found("مدينة") == ["L-2", "L-3", "L-4"])
          #expect(try await found("المدينة المنورة") == ["L-4"])
          #expect(try await found("مبنى الإسعاف") == ["L-5"])
          // A particle typed is kept: it may be the word's own letter (كامل is not ك + امل)
          #expect(try await found("بمدينة") == ["L-2"])
          #expect(try await found("كامل") == ["L-5"])
          #expect(try await found("لإدارة") == ["L-1"])
          // And the last word half typed completes to the stems too
          #expect(try await found("مدين") == ["L-2", "L-3", "L-4"])
        }
      }
    }
  }

  @Test("quotes, operators and SQL fragments are searched literally")
  func literalText() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          let tricky = try await agency.publish(
            sampleTender(
              reference: "Q-1", name: "Supply of \"NEAR\" field OR network cables - phase 2", now: clock.now,
              description: "'; DROP TABLE tenders; -- is not an instruction"))
          _ = try await agency.publish(sampleTender(reference: "Q-2", name: "Network switches", now: clock.now))
          for query in [
            "\"", "\"\"", "'", "OR", "AND", "NOT", "NEAR", "*", "^", ":", "(", ")", "-", "a OR b",
            "NEAR(network cables)",
            "name:network", "^supply", "-phase", "network*", "' OR 1=1 --", "'; DROP TABLE tenders; --",
            "tenders_fts MATCH 'x'", "\\", "%", "_", "\u{0}",
          ] {
            do {
              _ = try await anonymous.searchTenders(query)
            } catch {
              Issue.record("query \(query.debugDescription) failed: \(error)")
            }
          }
          #expect(try await anonymous.searchTenders("\"NEAR\" field OR").tenders.map(\.id) == [tricky.id])
          #expect(try await anonymous.searchTenders("OR network").tenders.map(\.id) == [tricky.id])
          #expect(try await anonymous.searchTenders("DROP TABLE tenders").tenders.map(\.id) == [tricky.id])
          #expect(try await anonymous.searchTenders("'; DROP TABLE tenders; --").tenders.map(\.id) == [tricky.id])
          #expect(try await anonymous.searchTenders("NOT switches").tenders.isEmpty)
          // Punctuation alone is no text condition: every tender
          #expect(try await anonymous.searchTenders("\"()*").tenders.count == 2)
          // And the table is still there
          #expect(try await anonymous.searchTenders("network").tenders.count == 2)
          let long = await failure { _ = try await anonymous.searchTenders(String(repeating: "ب", count: 201)) }
          #expect(long?.code == .invalidArgument)
        }
      }
    }
  }

  @Test("filters and sort orders combine; page tokens are stable, bound to the filters, and refused when altered")
  func filtersSortingPaging() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      let moh = try await daemon.tendersAgency("MOH")
      let moe = try await daemon.tendersAgency("MOE")
      var ids: [String: String] = [:]
      try await EtimadClient.withClient(moh) { agency in
        // Published over the last days (the clock moves between them)
        for (reference, name, type, sub, regions, price, offerDays) in [
          ("F-1", "توريد أجهزة غسيل كلوي", "general_tender", "medical.devices", ["riyadh"], Int64(500), 20.0),
          ("F-2", "توريد أجهزة تخطيط القلب", "limited_tender", "medical.devices", ["makkah", "riyadh"], 1_000, 3),
          ("F-3", "توريد أدوية الأمراض المزمنة", "direct_purchase", "medical.medicines", ["eastern"], 0, 30),
          ("F-4", "صيانة أجهزة المستشفى", "general_tender", "maintenance.buildings", ["jazan"], 2_000, 10),
        ] {
          ids[reference] = try await agency.publish(
            sampleTender(
              reference: reference, name: name, now: clock.now, enquiryDays: 2, offerDays: offerDays, type: type,
              sub: sub,
              regions: regions, priceSAR: price)
          ).id
          clock.advance(by: 86_400)
        }
      }
      try await EtimadClient.withClient(moe) { agency in
        for (reference, name, price) in [
          ("E-1", "توريد أجهزة حاسب آلي للمدارس", Int64(300)), ("E-2", "إنشاء مدرسة ابتدائية", 5_000),
        ] {
          ids[reference] = try await agency.publish(
            sampleTender(
              reference: reference, name: name, now: clock.now, offerDays: 15, sub: "it.hardware", priceSAR: price)
          ).id
          clock.advance(by: 86_400)
        }
      }
      // Now six days after F-1 was published: F-2's offers (3 days) are closed
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        func refs(
          _ text: String = "", _ configure: (inout Etimad_Tenders_V1_SearchTendersRequest) -> Void = { _ in }
        )
          async throws -> [String]
        {
          try await client.searchAllTenders(text, configure: configure).map(\.referenceNumber)
        }
        // Default order without text: newest first
        #expect(try await refs() == ["E-2", "E-1", "F-4", "F-3", "F-2", "F-1"])
        #expect(try await refs { $0.reverse = true } == ["F-1", "F-2", "F-3", "F-4", "E-1", "E-2"])
        // Text with filters
        #expect(try await refs("أجهزة") { $0.agencyCode = "MOH" }.sorted() == ["F-1", "F-2", "F-4"])
        #expect(try await refs("اجهزه") { $0.mainActivityCode = "medical" }.sorted() == ["F-1", "F-2"])
        #expect(try await refs("أجهزة") { $0.agencyCode = "MOE" } == ["E-1"])
        #expect(try await refs { $0.subActivityCode = "medical.devices" } == ["F-2", "F-1"])
        #expect(try await refs { $0.typeCode = "general_tender" } == ["E-2", "E-1", "F-4", "F-1"])
        #expect(
          try await refs {
            $0.regionCodes = ["riyadh"]
            $0.typeCode = "limited_tender"
          } == ["F-2"])
        #expect(try await refs { $0.regionCodes = ["eastern", "jazan"] } == ["F-4", "F-3"])
        #expect(
          try await refs {
            $0.bookletPrice.min.amountHalalas = 300 * 100
            $0.bookletPrice.max.amountHalalas = 1_000 * 100
            $0.orderBy = .bookletPrice
          } == ["E-1", "F-1", "F-2"])
        #expect(
          try await refs {
            $0.orderBy = .bookletPrice
            $0.reverse = true
          }.first == "E-2")
        #expect(try await refs { $0.category = .ended } == ["F-2"])
        #expect(try await refs { $0.category = .active }.count == 5)
        #expect(try await refs("توريد") { $0.orderBy = .lastOfferTime }.first == "F-2")
        let firstPublish = Date(timeIntervalSince1970: clock.now.timeIntervalSince1970 - 6 * 86_400)
        #expect(
          try await refs {
            $0.publishTime.startTime = .init(date: firstPublish.addingTimeInterval(86_400))
            $0.publishTime.endTime = .init(date: firstPublish.addingTimeInterval(3 * 86_400))
          } == ["F-4", "F-3", "F-2"])
        #expect(
          try await refs {
            $0.lastOfferTime.endTime = .init(date: firstPublish.addingTimeInterval(20 * 86_400))
            $0.orderBy = .lastOfferTime
          } == ["F-2", "F-4", "E-1", "F-1", "E-2"])
        // Relevance: the name that matches best comes first
        #expect(try await refs("أجهزة القلب").first == "F-2")
        let unknown = await failure { _ = try await refs { $0.regionCodes = ["atlantis"] } }
        #expect(unknown?.code == .invalidArgument)

        // Paging: two at a time by price, same token gives the same page
        var request = Etimad_Tenders_V1_SearchTendersRequest.with {
          $0.orderBy = .bookletPrice
          $0.pageSize = 2
        }
        let first = try await client.tenders.searchTenders(request)
        #expect(first.tenders.map(\.referenceNumber) == ["F-3", "E-1"])
        request.pageToken = first.nextPageToken
        let second = try await client.tenders.searchTenders(request)
        let again = try await client.tenders.searchTenders(request)
        #expect(second.tenders.map(\.referenceNumber) == ["F-1", "F-2"])
        #expect(again.tenders.map(\.id) == second.tenders.map(\.id))
        #expect(again.nextPageToken == second.nextPageToken)
        request.pageToken = second.nextPageToken
        let third = try await client.tenders.searchTenders(request)
        #expect(third.tenders.map(\.referenceNumber) == ["F-4", "E-2"])
        #expect(third.nextPageToken.isEmpty)
        // The token is bound to its filters and refused when altered
        var otherFilters = request
        otherFilters.pageToken = first.nextPageToken
        otherFilters.typeCode = "general_tender"
        #expect(await failure { _ = try await client.tenders.searchTenders(otherFilters) }?.code == .invalidArgument)
        var tampered = request
        var characters = Array(first.nextPageToken)
        let middle = characters.count / 2
        characters[middle] = characters[middle] == "A" ? "B" : "A"
        tampered.pageToken = String(characters)
        #expect(await failure { _ = try await client.tenders.searchTenders(tampered) }?.code == .invalidArgument)
        // Relevance pages cover every match exactly once
        let ranked = try await client.searchAllTenders("توريد") { $0.pageSize = 1 }.map(\.referenceNumber)
        #expect(ranked.sorted() == ["E-1", "F-1", "F-2", "F-3"])
      }
    }
  }

  @Test("a reference or tender number is searched as typed: its parts together and in order")
  func codesAsPhrases() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        for (reference, number) in [
          ("MOH-1446/12", "3/1446"), ("MOH-1446/125", "4/1446"), ("MOH-1447/9", "12/1446"),
          // 12 ends the reference and 1446 begins the tender number: not "12/1446"
          ("MOH-1448/12", "1446/7"),
        ] {
          var tender = sampleTender(reference: reference, name: "توريد مستلزمات طبية", now: clock.now)
          tender.tenderNumber = number
          _ = try await agency.publish(tender)
        }
        try await EtimadClient.withClient(daemon.publicClient()) { client in
          func refs(_ text: String) async throws -> [String] {
            try await client.searchAllTenders(text).map(\.referenceNumber).sorted()
          }
          // MOH-1447/9 holds moh, 1446 and 12 too, but not together
          let typed = try await refs("MOH-1446/12")
          #expect(typed == ["MOH-1446/12", "MOH-1446/125"])
          let split = try await refs("moh 1446/125")
          #expect(split == ["MOH-1446/125"])
          let number = try await refs("12/1446")
          #expect(number == ["MOH-1447/9"])
          let arabicDigits = try await refs("١٢/١٤٤٦ توريد")
          #expect(arabicDigits == ["MOH-1447/9"])
        }
      }
    }
  }

  @Test("relevance pages stay put while a better match is published between them")
  func relevancePagesAreStable() async throws {
    let clock = TendersTests.clock()
    try await TestDaemon.with(clock: clock) { daemon in
      try await EtimadClient.withClient(try await daemon.tendersAgency("MOH")) { agency in
        var published: [String] = []
        for index in 1...5 {
          published.append(
            try await agency.publish(
              sampleTender(reference: "R-\(index)", name: "صيانة مبنى رقم \(index)", now: clock.now)
            ).referenceNumber)
          clock.advance(by: 60)
        }
        try await EtimadClient.withClient(daemon.publicClient()) { client in
          var request = Etimad_Tenders_V1_SearchTendersRequest.with {
            $0.query = "صيانة"
            $0.pageSize = 2
          }
          let first = try await client.tenders.searchTenders(request)
          _ = try await agency.publish(
            sampleTender(reference: "R-NEW", name: "صيانة صيانة صيانة", now: clock.now))
          var seen = first.tenders.map(\.referenceNumber)
          request.pageToken = first.nextPageToken
          while !request.pageToken.isEmpty {
            let page = try await client.tenders.searchTenders(request)
            seen += page.tenders.map(\.referenceNumber)
            request.pageToken = page.nextPageToken
          }
          #expect(seen.count == 5)
          #expect(Set(seen) == Set(published))
          // A new search sees it first
          request.pageToken = ""
          #expect(try await client.tenders.searchTenders(request).tenders.first?.referenceNumber == "R-NEW")
        }
      }
    }
  }

  @Test("lookups: 13 regions, activities with sub-activities, tender types, agencies; for anyone")
  func lookups() async throws {
    try await TestDaemon.with { daemon in
      _ = try await daemon.tendersAgency("MOH")
      _ = try await daemon.tendersAgency("MOMRA")
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let regions = try await client.tenders.listRegions(.init()).regions
        #expect(regions.count == 13)
        #expect(regions.first?.name.ar == "الرياض")
        #expect(regions.contains { $0.name.ar == "الحدود الشمالية" && $0.name.en == "Northern Borders" })
        let activities = try await client.tenders.listActivities(.init()).activities
        #expect(activities.count >= 8)
        #expect(activities.first { $0.code == "it" }?.subActivities.contains { $0.code == "it.software" } == true)
        #expect(activities.allSatisfy { !$0.subActivities.isEmpty && !$0.name.ar.isEmpty })
        let types = try await client.tenders.listTenderTypes(.init()).tenderTypes
        #expect(types.contains { $0.code == "direct_purchase" && $0.name.ar == "شراء مباشر" })
        let agencies = try await client.tenders.listAgencies(.with { $0.pageSize = 1 })
        #expect(agencies.agencies.map(\.code) == ["MOH"])
        let rest = try await client.tenders.listAgencies(
          .with {
            $0.pageSize = 1
            $0.pageToken = agencies.nextPageToken
          })
        #expect(rest.agencies.first?.name.ar == "وزارة الشؤون البلدية والقروية والإسكان")
      }
    }
  }

  @Test("each caller gets exactly what the access table says")
  func access() async throws {
    let methods = Set(
      MethodCatalog.methods.values.filter { $0.service == "etimad.tenders.v1.TenderService" }.map(\.method))
    let agencyOnly: Set = [
      "CreateTender", "UpdateTender", "PublishTender", "ExtendDates", "CancelTender", "CloseTender",
    ]
    #expect(methods.count == 12)
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      let agency = try await daemon.tendersAgency("MOH")
      try await EtimadClient.withClient(daemon.publicClient()) { individual in
        try await daemon.register(individual)
        try await daemon.signIn(individual)
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          try await EtimadClient.withClient(agency) { agencyClient in
            for method in methods.sorted() {
              let entry = try #require(MethodCatalog.methods["etimad.tenders.v1.TenderService/\(method)"])
              for (caller, client) in [("anonymous", anonymous), ("individual", individual), ("agency", agencyClient)] {
                let code = await callEmpty(entry, on: client)
                if agencyOnly.contains(method) && caller != "agency" {
                  #expect(
                    code == (caller == "anonymous" ? .unauthenticated : .permissionDenied), "\(method) as \(caller)")
                } else {
                  #expect(code != .unauthenticated && code != .permissionDenied, "\(method) as \(caller)")
                }
              }
            }
          }
        }
      }
    }
  }
}
