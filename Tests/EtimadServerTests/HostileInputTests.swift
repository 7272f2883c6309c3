import Etimad
import EtimadKit
import EtimadProtos
import EtimadServer
import Foundation
import GRPCCore
import Testing

/// What the outside testers sent to kill or stall the daemon, over real TLS: each is answered
/// with a clear status and the daemon goes on serving.
@Suite("Hostile input over the wire")
struct HostileInputTests {
  @Test("ListDebts with create_time_from at INT64_MIN (the testers' bytes) is INVALID_ARGUMENT, not a crash")
  func timestampAtInt64Min() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(try await daemon.agencyClient(code: "MOF")) { mof in
        let request = Etimad_Debts_V1_ListDebtsRequest.with { $0.createTimeFrom.seconds = .min }
        let bytes: [UInt8] = try request.serializedBytes()
        #expect(bytes.map { String(format: "%02x", $0) }.joined() == "2a0b0880808080808080808001")
        let refused = await failureDetails { _ = try await mof.debts.listDebts(request) }
        #expect(refused?.fieldViolations.map(\.field) == ["create_time_from"])
        #expect(refused?.fieldViolations.first?.reason == "OUT_OF_RANGE")
        let paid = await failureDetails {
          _ = try await mof.debts.recordPayment(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.debtID = "1"
              $0.amount.amountHalalas = 100
              $0.sadadReference = "R1"
              $0.paidTime.seconds = .max
            })
        }
        #expect(paid?.fieldViolations.map(\.field) == ["paid_time"])
        // And the daemon still answers
        _ = try await mof.debts.listDebts(.init())
      }
    }
  }

  @Test("an amount near INT64_MAX is refused, and a person's balance stays readable")
  func amountCeiling() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(try await daemon.sectorAgency()) { sector in
          for amount in [Int64.max, 1_000_000_000_000_000, Halalas.ceiling + 1] {
            let refused = await failureDetails { _ = try await sector.record(amount: amount) }
            #expect(refused?.fieldViolations.map(\.field) == ["amount.amount_halalas"], "\(amount)")
            #expect(refused?.fieldViolations.first?.reason == "OUT_OF_RANGE")
          }
          _ = try await sector.record(amount: Halalas.ceiling)
          _ = try await sector.record(amount: Halalas.ceiling)
          let balance = try await citizen.payments.getBalance(.init())
          #expect(balance.total.paid.amountHalalas == 2 * Halalas.ceiling)
        }
      }
    }
  }

  @Test("3.9 MiB and 9 MiB requests are RESOURCE_EXHAUSTED at once, and health answers meanwhile")
  func oversizeRequest() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        try await withThrowingTaskGroup(of: Void.self) { group in
          for copies in [380_000, 380_000, 380_000, 880_000] {
            group.addTask {
              let query = String(repeating: "صيانة ", count: copies)
              do {
                _ = try await client.tenders.searchTenders(.with { $0.query = query })
                Issue.record("accepted")
              } catch let error as RPCError {
                #expect(error.code == .resourceExhausted)
              }
            }
          }
          _ = try await client.health.check(.init())
          try await group.waitForAll()
        }
      }
    }
  }

  @Test("an error never echoes unbounded input into its trailers")
  func boundedTrailers() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        do {
          _ = try await client.health.check(.with { $0.service = String(repeating: "x", count: 12_000) })
          Issue.record("accepted")
        } catch let error as RPCError {
          #expect(error.code == .notFound)
          #expect(error.message.utf8.count < 1_024)
          let size = error.metadata.reduce(0) { total, entry in
            switch entry.value {
            case .string(let text): total + entry.key.utf8.count + text.utf8.count
            case .binary(let bytes): total + entry.key.utf8.count + bytes.count
            }
          }
          #expect(size < 8 * 1024)
        }
      }
    }
  }

  @Test("the stream limit is advertised: the 101st concurrent call on a connection waits, none fails")
  func concurrentStreams() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        let open = 100
        let started = AsyncCounter()
        let release = AsyncCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
          // Given as many open Watch streams on one connection as the server allows
          for _ in 0..<open {
            group.addTask {
              try await client.health.watch(.init()) { response in
                for try await _ in response.messages {
                  await started.increment()
                  try await release.wait(for: 1)
                  break
                }
              }
            }
          }
          try await started.wait(for: open)
          // When one more is opened, it waits for a free stream instead of failing the connection
          group.addTask {
            try await client.health.watch(.init()) { response in
              for try await _ in response.messages {
                await started.increment()
                break
              }
            }
          }
          try await Task.sleep(for: .milliseconds(200))
          await release.increment()
          try await group.waitForAll()
          #expect(await started.value == open + 1)
        }
        _ = try await client.health.check(.init())
      }
    }
  }
}

/// Counts events and lets a task wait for a number of them.
actor AsyncCounter {
  private var count = 0
  var value: Int { count }
  func increment() { count += 1 }
  func wait(for target: Int, timeout: Duration = .seconds(60)) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while count < target {
      guard clock.now < deadline else { throw CancellationError() }
      try await Task.sleep(for: .milliseconds(10))
    }
  }
}
