import EtimadKit

/// The running totals of one payment (or of many added together). `available` and
/// `refundable` are derived, so the identity
/// `available + refundable + refundPending + consumed + refunded = paid` holds by construction
/// as long as every movement goes through `applying(_:)`.
public struct PaymentBalance: Sendable, Hashable {
  public var paid: Int64
  public var consumed: Int64
  /// Every CANCELLED amount so far (what became refundable, before requests and refunds).
  public var cancelled: Int64
  /// Reserved by pending refund requests.
  public var refundPending: Int64
  public var refunded: Int64

  public init(paid: Int64, consumed: Int64 = 0, cancelled: Int64 = 0, refundPending: Int64 = 0, refunded: Int64 = 0) {
    self.paid = paid
    self.consumed = consumed
    self.cancelled = cancelled
    self.refundPending = refundPending
    self.refunded = refunded
  }

  public static let zero = PaymentBalance(paid: 0)

  /// Still usable by the service.
  public var available: Int64 { paid - consumed - cancelled }
  /// Cancelled, not requested back and not refunded.
  public var refundable: Int64 { cancelled - refundPending - refunded }

  /// Whether the parts add up to what was paid and none is negative (a sum that would
  /// overflow does not add up).
  public var addsUp: Bool {
    let stored = [paid, consumed, cancelled, refundPending, refunded]
    guard stored.allSatisfy({ $0 >= 0 }),
      let used = try? Halalas.sum([consumed, cancelled].map(Halalas.init)), used.value <= paid,
      let settled = try? Halalas.sum([refundPending, refunded].map(Halalas.init)), settled.value <= cancelled
    else { return false }
    // With every part within its source, available and refundable cannot overflow.
    let parts = [available, refundable, refundPending, consumed, refunded].map(Halalas.init)
    return (try? Halalas.sum(parts))?.value == paid
  }

  /// A change to a payment's balance.
  public enum Change: Sendable, Hashable {
    case consume(Int64)
    case cancel(Int64)
    case requestRefund(Int64)
    case completeRefund(Int64)
    case rejectRefund(Int64)
    /// A refund the sector made without a request (from the refundable amount).
    case refundDirectly(Int64)

    public var amount: Int64 {
      switch self {
      case .consume(let a), .cancel(let a), .requestRefund(let a), .completeRefund(let a), .rejectRefund(let a),
        .refundDirectly(let a):
        a
      }
    }
  }

  /// Why a change was refused.
  public enum Problem: Error, Sendable, Equatable {
    /// The amount is zero or negative.
    case notPositive
    /// More than the part it comes from (`limit` halalas are left there).
    case exceeds(limit: Int64)
    /// A sum past what 64 bits hold (only a damaged stored balance gets there).
    case overflow
  }

  /// The balance after `change`, or the reason it cannot be made. Every sum is checked.
  public func applying(_ change: Change) throws(Problem) -> PaymentBalance {
    let amount = change.amount
    guard amount > 0 else { throw .notPositive }
    func plus(_ a: Int64, _ b: Int64) throws(Problem) -> Int64 {
      do { return try Halalas(a).adding(Halalas(b)).value } catch { throw .overflow }
    }
    func minus(_ a: Int64, _ b: Int64) throws(Problem) -> Int64 {
      do { return try Halalas(a).subtracting(Halalas(b)).value } catch { throw .overflow }
    }
    var next = self
    switch change {
    case .consume:
      guard amount <= available else { throw .exceeds(limit: available) }
      next.consumed = try plus(consumed, amount)
    case .cancel:
      guard amount <= available else { throw .exceeds(limit: available) }
      next.cancelled = try plus(cancelled, amount)
    case .requestRefund:
      guard amount <= refundable else { throw .exceeds(limit: refundable) }
      next.refundPending = try plus(refundPending, amount)
    case .completeRefund:
      guard amount <= refundPending else { throw .exceeds(limit: refundPending) }
      next.refundPending = try minus(refundPending, amount)
      next.refunded = try plus(refunded, amount)
    case .rejectRefund:
      guard amount <= refundPending else { throw .exceeds(limit: refundPending) }
      next.refundPending = try minus(refundPending, amount)
    case .refundDirectly:
      guard amount <= refundable else { throw .exceeds(limit: refundable) }
      next.refunded = try plus(refunded, amount)
    }
    return next
  }

  /// The state a payment with this balance is in.
  public var state: PaymentState {
    if refundPending > 0 { return .refundRequested }
    if refundable > 0 { return .cancelled }
    if available > 0 { return .paid }
    if refunded > 0 { return .refunded }
    return .consumed
  }

  /// The sum of two balances, checked for overflow.
  public func adding(_ other: PaymentBalance) throws(Halalas.Problem) -> PaymentBalance {
    func add(_ a: Int64, _ b: Int64) throws(Halalas.Problem) -> Int64 {
      try Halalas(a).adding(Halalas(b)).value
    }
    return PaymentBalance(
      paid: try add(paid, other.paid), consumed: try add(consumed, other.consumed),
      cancelled: try add(cancelled, other.cancelled), refundPending: try add(refundPending, other.refundPending),
      refunded: try add(refunded, other.refunded))
  }
}

/// A payment's state, stored as its code (`rawValue`), a stable text.
public enum PaymentState: String, Sendable, Hashable, CaseIterable {
  case paid = "PAID"
  case consumed = "CONSUMED"
  case cancelled = "CANCELLED"
  case refundRequested = "REFUND_REQUESTED"
  case refunded = "REFUNDED"

  /// The name used in exports (the code).
  public var name: String { rawValue }

  /// The name a CSV export with Arabic headers shows.
  public var arabicName: String {
    switch self {
    case .paid: "مدفوعة"
    case .consumed: "مستخدمة"
    case .cancelled: "ملغاة"
    case .refundRequested: "طلب استرداد"
    case .refunded: "مستردة"
    }
  }
}

/// What a ledger movement did, stored as its code (`rawValue`), a stable text.
public enum MovementKind: String, Sendable, Hashable, CaseIterable {
  case paid = "PAID"
  case consumed = "CONSUMED"
  case cancelled = "CANCELLED"
  case refundRequested = "REFUND_REQUESTED"
  case refunded = "REFUNDED"
  case refundRejected = "REFUND_REJECTED"
}

/// Where a refund request stands, stored as its code (`rawValue`), a stable text.
public enum RefundState: String, Sendable, Hashable, CaseIterable {
  case pending = "PENDING"
  case completed = "COMPLETED"
  case rejected = "REJECTED"
}
