/// The support area's settings from the daemon's configuration.
public struct SupportSettings: Sendable, Hashable {
  /// Leading zero bits the anonymous form's proof of work needs (20: about a second in a browser).
  public var challengeBits: Int
  /// The agency code of the platform's own support team, whose employees handle tickets.
  public var supportAgency: String
  /// GetChallenge and OpenTicket calls a minute per peer address.
  public var ratePerPeerPerMinute: Double
  /// Tickets an hour per mobile number.
  public var ratePerMobilePerHour: Double

  public init(
    challengeBits: Int = 20, supportAgency: String = "ETIMAD", ratePerPeerPerMinute: Double = 20,
    ratePerMobilePerHour: Double = 5
  ) {
    self.challengeBits = challengeBits
    self.supportAgency = supportAgency
    self.ratePerPeerPerMinute = ratePerPeerPerMinute
    self.ratePerMobilePerHour = ratePerMobilePerHour
  }
}
