import Etimad
import EtimadKit
import EtimadProtos
import EtimadServer
import Foundation

/// Agencies and tenders for the tenders tests, on a running `TestDaemon`.
extension TestDaemon {
  /// The agencies the tenders tests use, with their real names (searched by name).
  static let tenderAgencies: [String: (ar: String, en: String)] = [
    "MOH": ("وزارة الصحة", "Ministry of Health"),
    "MOE": ("وزارة التعليم", "Ministry of Education"),
    "MOMRA": ("وزارة الشؤون البلدية والقروية والإسكان", "Ministry of Municipal and Rural Affairs and Housing"),
  ]

  /// Registers `code` (once) and returns a client configuration for it on the agency port.
  func tendersAgency(_ code: String, employee: String = "emp-2001") async throws -> EtimadClient.Configuration {
    let names = Self.tenderAgencies[code] ?? ("جهة \(code)", "Agency \(code)")
    let directory = dataDirectory + "/agencies-\(code)"
    if !FileManager.default.fileExists(atPath: directory) {
      _ = try await AgencyAdministration(dataDirectory: dataDirectory).add(
        code: code, nameAr: names.ar, nameEn: names.en, outputDirectory: directory, operator: "test")
    }
    var configuration = publicClient()
    configuration.port = endpoints.agencyPort
    configuration.clientIdentity = (
      try String(contentsOfFile: directory + "/\(code).pem", encoding: .utf8),
      try String(contentsOfFile: directory + "/\(code)-key.pem", encoding: .utf8)
    )
    configuration.employee = employee
    return configuration
  }
}

/// A valid tender, published `publishIn` days after `now`, with its dates that many days apart.
func sampleTender(
  reference: String, name: String, now: Date, publishIn: Double = 0, enquiryDays: Double = 5,
  offerDays: Double = 20, type: String = "general_tender", sub: String = "medical.devices",
  regions: [String] = ["riyadh"], priceSAR: Int64 = 500, description: String = "", branch: String = ""
) -> Etimad_Tenders_V1_Tender {
  let day: Double = 86_400
  let publish = now.addingTimeInterval(publishIn * day)
  return .with {
    $0.referenceNumber = reference
    $0.tenderNumber = "7/1447"
    $0.name = name
    $0.description_p = description
    $0.branch = branch
    $0.typeCode = type
    $0.mainActivityCode = String(sub.prefix { $0 != "." })
    $0.subActivityCode = sub
    $0.regionCodes = regions
    $0.insideKingdom = true
    $0.bookletPrice = .with {
      $0.currencyCode = "SAR"
      $0.amountHalalas = priceSAR * 100
    }
    $0.publishTime = .init(date: publish)
    $0.lastEnquiryTime = .init(date: publish.addingTimeInterval(enquiryDays * day))
    $0.lastOfferTime = .init(date: publish.addingTimeInterval(offerDays * day))
    $0.openingTime = .init(date: publish.addingTimeInterval((offerDays + 1) * day))
  }
}

extension EtimadClient {
  /// Creates and publishes a tender; returns it as published.
  func publish(_ tender: Etimad_Tenders_V1_Tender) async throws -> Etimad_Tenders_V1_Tender {
    let draft = try await createTender(tender)
    return try await publishTender(draft.id)
  }
}
