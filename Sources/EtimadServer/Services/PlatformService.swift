import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.platform.v1.PlatformService`: the daemon's facts, and validation of the
/// identifiers every Etimad form asks for, with the same verdict the areas give.
struct PlatformService: Etimad_Platform_V1_PlatformService.SimpleServiceProtocol {
  static let domain = "platform.etimad.sa"

  let version: String
  let services: [String]
  let clock: any WallClock

  func getServerInfo(
    request: Etimad_Platform_V1_GetServerInfoRequest, context: ServerContext
  ) async throws -> Etimad_Platform_V1_GetServerInfoResponse {
    let now = clock.now
    return .with {
      $0.name = .with {
        $0.ar = "منصة اعتماد"
        $0.en = "Etimad"
      }
      $0.version = version
      $0.serverTime = Google_Protobuf_Timestamp(date: now)
      $0.hijriDate = RiyadhCalendars.hijriString(for: now)
      $0.services = services
      $0.timeZone = RiyadhCalendars.timeZone.identifier
    }
  }

  func validateIdentifiers(
    request: Etimad_Platform_V1_ValidateIdentifiersRequest, context: ServerContext
  ) async throws -> Etimad_Platform_V1_ValidateIdentifiersResponse {
    var response = Etimad_Platform_V1_ValidateIdentifiersResponse()
    var violations: [EtimadError.FieldViolation] = []
    if request.hasPersonID {
      do {
        let id = try NationalID(parsing: request.personID.number, expected: request.personID.type.kind)
        response.personID = .with {
          $0.number = id.number
          $0.type = .init(id.kind)
        }
      } catch {
        violations.append(FieldRules.violation(error, field: "person_id.number"))
      }
    }
    if !request.iban.isEmpty {
      do {
        let iban = try SaudiIBAN(parsing: request.iban)
        response.iban = iban.value
        response.bankName = .with {
          $0.ar = iban.bank.nameAR
          $0.en = iban.bank.nameEN
        }
      } catch {
        violations.append(FieldRules.violation(error, field: "iban"))
      }
    }
    if !request.mobile.isEmpty {
      do {
        response.mobile = try SaudiMobile(parsing: request.mobile).e164
      } catch {
        violations.append(FieldRules.violation(error, field: "mobile"))
      }
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    return response
  }
}
