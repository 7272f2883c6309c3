import Foundation

/// The seed's promise in numbers, over the tickets opened in a period.
public struct SupportFigures: Sendable, Hashable {
  public var opened: Int
  public var answered: Int
  /// Seconds from opening to the first answer; nil without answered tickets.
  public var firstResponseP50: TimeInterval?
  public var firstResponseP90: TimeInterval?
  /// Tickets opened while the channels were open.
  public var openedWhileOpen: Int
  /// Of those, the share answered within the response target (0 when there are none).
  public var shareWithinTarget: Double

  /// Computes the figures; percentiles by nearest rank.
  public static func compute(_ samples: [ResponseSample], hours: WeeklyHours, target: TimeInterval) -> SupportFigures {
    let delays = samples.compactMap { sample in sample.firstResponseTime.map { $0.timeIntervalSince(sample.openTime) } }
      .sorted()
    func percentile(_ p: Double) -> TimeInterval? {
      guard !delays.isEmpty else { return nil }
      let rank = Int((p * Double(delays.count)).rounded(.up))
      return delays[max(0, min(delays.count - 1, rank - 1))]
    }
    let whileOpen = samples.filter { hours.isOpen(at: $0.openTime) }
    let withinTarget = whileOpen.filter { sample in
      sample.firstResponseTime.map { $0.timeIntervalSince(sample.openTime) <= target } ?? false
    }
    return SupportFigures(
      opened: samples.count, answered: delays.count, firstResponseP50: percentile(0.5),
      firstResponseP90: percentile(0.9), openedWhileOpen: whileOpen.count,
      shareWithinTarget: whileOpen.isEmpty ? 0 : Double(withinTarget.count) / Double(whileOpen.count))
  }
}
