import Foundation
import Testing

@testable import EtimadKit

@Suite("ManualClock")
struct ManualClockTests {
  @Test("it stands still until moved")
  func standsStill() {
    // Given a clock started at a known time
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    // Then every read gives that time
    #expect(clock.now == Date(timeIntervalSince1970: 1_800_000_000))
    #expect(clock.now == clock.now)
  }

  @Test("it starts at a fixed date by default, so tests do not depend on today")
  func defaultStart() {
    #expect(ManualClock().now == Date(timeIntervalSince1970: 1_764_000_000))
  }

  @Test("set moves it to a date, forwards or backwards")
  func set() {
    let clock = ManualClock()
    clock.set(Date(timeIntervalSince1970: 1_900_000_000))
    #expect(clock.now == Date(timeIntervalSince1970: 1_900_000_000))
    clock.set(Date(timeIntervalSince1970: 1_000_000_000))
    #expect(clock.now == Date(timeIntervalSince1970: 1_000_000_000))
  }

  @Test("advance adds seconds, fractions and negative amounts included")
  func advance() {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    clock.advance(by: 86_400)
    #expect(clock.now == Date(timeIntervalSince1970: 1_800_086_400))
    clock.advance(by: 0.5)
    #expect(clock.now == Date(timeIntervalSince1970: 1_800_086_400.5))
    clock.advance(by: -3_600.5)
    #expect(clock.now == Date(timeIntervalSince1970: 1_800_082_800))
  }

  @Test("advances from many tasks at once are all counted")
  func concurrentAdvance() async {
    // Given a clock shared by 100 tasks that each move it one second
    let clock = ManualClock(Date(timeIntervalSince1970: 0))
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<100 { group.addTask { clock.advance(by: 1) } }
    }
    // Then no move was lost
    #expect(clock.now == Date(timeIntervalSince1970: 100))
  }

  @Test("it serves as the rules' wall clock")
  func wallClock() {
    let clock: any WallClock = ManualClock(Date(timeIntervalSince1970: 42))
    #expect(clock.now.timeIntervalSince1970 == 42)
  }
}
