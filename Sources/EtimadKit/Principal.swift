/// Who is calling, as the authentication interceptor established it. Handlers read it from
/// `Principal.current` and check ownership of every record they touch.
public enum Principal: Sendable, Hashable {
  /// No credentials: may only browse public information.
  case anonymous
  /// An individual signed in through the national single sign-on.
  case individual(Individual)
  /// A government agency's back-office system on the mutual-TLS port, acting through an employee.
  case agency(Agency)

  public struct Individual: Sendable, Hashable {
    public let nationalID: NationalID
    /// The session the bearer token belongs to.
    public let sessionID: String

    public init(nationalID: NationalID, sessionID: String) {
      self.nationalID = nationalID
      self.sessionID = sessionID
    }
  }

  public struct Agency: Sendable, Hashable {
    /// The agency code from the client certificate's subject.
    public let code: String
    /// The employee named in `x-etimad-employee`, for the audit trail and four-eyes rules.
    public let employee: String?

    public init(code: String, employee: String?) {
      self.code = code
      self.employee = employee
    }
  }

  /// The caller of the RPC being handled. Set by the authentication interceptor for the whole
  /// handler, streamed response bodies included.
  @TaskLocal public static var current: Principal = .anonymous

  /// The kind of caller, as the audit trail records it.
  public var kind: String {
    switch self {
    case .anonymous: "anonymous"
    case .individual: "individual"
    case .agency: "agency"
    }
  }

  /// A stable key for the caller: the national ID, the agency code, or "anonymous". Used to
  /// scope idempotency records so that callers never see each other's answers.
  public var key: String {
    switch self {
    case .anonymous: "anonymous"
    case .individual(let person): "individual:\(person.nationalID.number)"
    case .agency(let agency): "agency:\(agency.code)"
    }
  }
}
