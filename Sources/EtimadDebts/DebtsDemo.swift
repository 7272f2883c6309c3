import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// Demo debts for `etimadd demo`: for each demo account, debts from the demo agencies in every
/// state, a partly paid one with an active instalment plan, and pending requests.
enum DebtsDemo {
  static func seed(_ demo: DemoContext) async throws -> [String] {
    let accounts = Array(demo.persons.prefix(demo.accounts))
    guard !accounts.isEmpty, !demo.agencies.isEmpty else { return [] }
    return try await demo.write { db, audit -> [String] in
      guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM debts") == 0 else { return [] }
      var seeded = 0
      for (index, idNumber) in accounts.enumerated() {
        let agency = demo.agencies[index % demo.agencies.count]
        seeded += try seedAccount(db, idNumber: idNumber, agency: agency, now: demo.now, index: index)
      }
      try audit.record(target: "debts", summary: "demo debts: \(seeded) for \(accounts.count) accounts")
      return ["debts: \(seeded) for \(accounts.count) accounts (every state, an instalment plan, pending requests)"]
    }
  }

  private static let reasons: [(DebtCategory, String)] = [
    (.overpayment, "بدل سكن صرف مرتين / Housing allowance paid twice"),
    (.fine, "مخالفة بلدية / Municipal violation"),
    (.fee, "رسوم خدمة غير مسددة / Unpaid service fee"),
    (.loan, "سلفة على الراتب / Salary advance"),
    (.rent, "إيجار سكن حكومي / Government housing rent"),
    (.other, "استرداد مصروفات / Expense recovery"),
  ]

  private static func seedAccount(
    _ db: Database, idNumber: String, agency: String, now: Date, index: Int
  ) throws
    -> Int
  {
    let name =
      try String.fetchOne(db, sql: "SELECT name_en FROM persons WHERE id_number = ?", arguments: [idNumber])
      ?? "Demo debtor"
    let type: NationalID.Kind = idNumber.hasPrefix("2") ? .iqama : .nationalID
    let checker = DebtCaller.agency(code: agency, employee: "demo-checker")
    let workflow = DebtWorkflow(graceDays: 30)
    let today = CivilDay.inRiyadh(now)
    let time = StoredTime.milliseconds(now)
    func insert(_ number: Int, state: DebtRules.State, halalas: Int64) throws -> Int64 {
      let (category, reason) = reasons[number % reasons.count]
      let reviewed = state != .draft
      try db.execute(
        sql: """
          INSERT INTO debts (agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason,
            original_amount, due_date, state, created_by, submitted_by, approved_by, create_time, update_time,
            submit_time, approve_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'demo-maker', ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          agency, type.code, idNumber, name, category.rawValue, reason, halalas,
          today.adding(days: 30 * (number + 1)).description, reviewed ? DebtRules.State.underReview.rawValue : "DRAFT",
          reviewed ? "demo-maker" : nil, nil, time, time, reviewed ? time : nil, nil,
        ])
      let id = db.lastInsertedRowID
      if state != .draft && state != .underReview {
        try db.execute(
          sql: "UPDATE debts SET state = 'OUTSTANDING', approved_by = 'demo-checker', approve_time = ? WHERE id = ?",
          arguments: [time, id])
      }
      return id
    }
    /// The debt's snapshot as a change sees it.
    func snapshot(_ id: Int64) throws -> ChangeSnapshot {
      guard let debt = try DebtReads.debt(db, id: id, caller: nil) else { throw DebtsErrors.debtNotFound }
      return ChangeSnapshot(debt: debt)
    }
    func pay(_ id: Int64, _ halalas: Int64, _ reference: String) throws {
      let requestID = UUID().uuidString.lowercased()
      let decision = try workflow.recordPayment(
        try snapshot(id), amount: Halalas(halalas), paidTime: now, reference: reference, caller: checker,
        requestID: requestID, now: now)
      _ = try DebtsStore.write(db, decision, debtID: id, requestID: requestID, now: now)
    }
    let base = Int64(10_000 + index * 1_250)
    _ = try insert(0, state: .draft, halalas: base * 3)
    _ = try insert(1, state: .underReview, halalas: base * 2)
    // Outstanding, with a pending payment request and a pending exemption request from the debtor.
    let fresh = try insert(2, state: .outstanding, halalas: base * 5)
    try db.execute(
      sql: """
        INSERT INTO debt_change_requests (debt_id, kind, state, raised_by, amount, payment_reference, reason,
          create_time)
        VALUES (?, 'PAYMENT', 'PENDING', 'DEBTOR', ?, 'BANK-\(index)', 'دفعت جزءًا عبر البنك / Paid part at the bank', ?)
        """, arguments: [fresh, base, time])
    try db.execute(
      sql: """
        INSERT INTO debt_relief_requests (debt_id, kind, state, amount, reason, create_time)
        VALUES (?, 'EXEMPTION', 'PENDING', ?, 'ظروف مالية / Financial hardship', ?)
        """, arguments: [fresh, base, time])
    // Partly paid, with an active plan for the rest (no exemption while it runs).
    let planned = try insert(3, state: .outstanding, halalas: base * 12)
    try pay(planned, base * 3, "DEMO\(index)A")
    let balance = try snapshot(planned).requireDebt().balance()
    try db.execute(
      sql: """
        INSERT INTO debt_relief_requests (debt_id, kind, state, instalment_count, first_due_date, reason,
          decided_by, create_time, decide_time)
        VALUES (?, 'INSTALMENT', 'APPROVED', 6, ?, 'أقساط شهرية / Monthly instalments', 'demo-checker', ?, ?)
        """, arguments: [planned, today.adding(days: 20).description, time, time])
    let reliefID = db.lastInsertedRowID
    try db.execute(
      sql:
        "INSERT INTO instalment_plans (debt_id, relief_request_id, state, total, create_time) VALUES (?, ?, 'ACTIVE', ?, ?)",
      arguments: [planned, reliefID, balance.value, time])
    let planID = db.lastInsertedRowID
    try db.execute(sql: "UPDATE debt_relief_requests SET plan_id = ? WHERE id = ?", arguments: [planID, reliefID])
    let amounts = try PlanRules.split(balance, into: 6)
    for (number, (due, amount)) in zip(PlanRules.dueDates(first: today.adding(days: 20), count: 6), amounts)
      .enumerated()
    {
      try db.execute(
        sql: "INSERT INTO instalments (plan_id, number, due_date, amount) VALUES (?, ?, ?, ?)",
        arguments: [planID, number + 1, due.description, amount.value])
    }
    // Paid in full, and cancelled through an approved request.
    let paid = try insert(4, state: .outstanding, halalas: base)
    try pay(paid, base, "DEMO\(index)B")
    let cancelled = try insert(5, state: .outstanding, halalas: base * 4)
    try db.execute(
      sql: """
        INSERT INTO debt_change_requests (debt_id, kind, state, raised_by, raised_by_employee, reason, create_time)
        VALUES (?, 'CANCELLATION', 'PENDING', 'AGENCY', 'demo-maker', 'سجلت بالخطأ / Registered in error', ?)
        """, arguments: [cancelled, time])
    let cancelRequest = db.lastInsertedRowID
    var approval = try snapshot(cancelled)
    approval.changeRequest = try DebtReads.changeRequest(db, id: cancelRequest)
    let requestID = UUID().uuidString.lowercased()
    let decision = try workflow.decideChange(
      approval, approve: true, note: "", caller: checker, requestID: requestID, now: now)
    _ = try DebtsStore.write(db, decision, debtID: cancelled, requestID: requestID, now: now)
    return 6
  }
}
