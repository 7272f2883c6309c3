import Testing

@testable import EtimadKit

@Suite("Principal")
struct PrincipalTests {
  static let person = Principal.individual(
    .init(nationalID: try! NationalID(parsing: "1012345672"), sessionID: "session-1"))

  @Test("each caller has a kind and a stable key")
  func kindAndKey() {
    #expect(Principal.anonymous.kind == "anonymous")
    #expect(Principal.anonymous.key == "anonymous")
    #expect(Self.person.kind == "individual")
    #expect(Self.person.key == "individual:1012345672")
    let agency = Principal.agency(.init(code: "MOF", employee: "e-1001"))
    #expect(agency.kind == "agency")
    #expect(agency.key == "agency:MOF")
  }

  @Test("the key ignores the session and the employee, so a caller's retries share it")
  func keyIgnoresSessionAndEmployee() {
    let otherSession = Principal.individual(
      .init(nationalID: try! NationalID(parsing: "١٠١٢٣٤٥٦٧٢"), sessionID: "session-2"))
    #expect(otherSession.key == Self.person.key)
    #expect(otherSession != Self.person)
    #expect(
      Principal.agency(.init(code: "MOF", employee: "e-1")).key
        == Principal.agency(.init(code: "MOF", employee: nil)).key)
  }

  @Test("no caller is anonymous unless the authentication interceptor says otherwise")
  func current() {
    #expect(Principal.current == .anonymous)
    Principal.$current.withValue(Self.person) {
      #expect(Principal.current == Self.person)
    }
    #expect(Principal.current == .anonymous)
  }
}
