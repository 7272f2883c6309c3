/// A payment as an export writes it. The text fields come as UTF-8 bytes, so that a row read
/// from SQLite goes into the export buffer without becoming a String first.
public protocol ExportRowSource {
  var id: Int64 { get }
  var paidTime: Int64 { get }
  var amount: Int64 { get }
  /// Nil for a state this version does not know (written as UNSPECIFIED).
  var state: PaymentState? { get }
  /// Text field `field` (see `ExportWriter.textFields`) as UTF-8.
  func withText<R>(_ field: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R
}

/// One payment as plain values (for tests and small exports).
public struct ExportRow: ExportRowSource, Sendable, Hashable {
  public var id: Int64
  public var paidTime: Int64
  public var amount: Int64
  public var state: PaymentState?
  /// In the order of `ExportWriter.textFields`.
  public var texts: [String]

  public init(id: Int64, paidTime: Int64, amount: Int64, state: PaymentState?, texts: [String]) {
    self.id = id
    self.paidTime = paidTime
    self.amount = amount
    self.state = state
    self.texts = texts
  }

  public func withText<R>(_ field: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    var text = field < texts.count ? texts[field] : ""
    return text.withUTF8(body)
  }
}

/// Writes export rows as CSV (UTF-8 with a BOM, CRLF, spreadsheet-friendly) or JSON Lines,
/// straight into a byte buffer: an export of a million rows must not build a million strings.
public struct ExportWriter: Sendable {
  public enum Format: Sendable { case csv, jsonLines }

  /// Every column, in order.
  public static let columns = [
    "payment_id", "paid_time", "sector_code", "sector_name", "service_code", "service_name", "beneficiary_type",
    "beneficiary_number", "customer_number", "sadad_reference", "amount_sar", "amount_halalas", "state",
  ]
  public static let arabicColumns = [
    "رقم العملية", "وقت السداد", "رمز القطاع", "القطاع", "رمز الخدمة", "الخدمة", "نوع هوية المستفيد",
    "رقم هوية المستفيد", "رقم العميل", "الرقم المرجعي لسداد", "المبلغ (ريال)", "المبلغ (هللة)", "الحالة",
  ]
  /// The text fields a row source provides, in order: `columns[2...9]`.
  public static let textFields = Array(columns[2...9])

  static let jsonKeys: [[UInt8]] = textFields.map { Array(#",""#.utf8) + Array($0.utf8) + Array(#"":""#.utf8) }
  /// The states' names, in `PaymentState.allCases` order, then the name of an unknown state.
  static let stateNames: [[UInt8]] = PaymentState.allCases.map { Array($0.name.utf8) } + [Array("UNSPECIFIED".utf8)]
  /// A CSV with Arabic headers is for people: states and ID types are named in Arabic too
  /// (JSON Lines, for programs, keeps the codes).
  static let arabicStateNames: [[UInt8]] =
    PaymentState.allCases.map { Array($0.arabicName.utf8) } + [Array("غير محددة".utf8)]
  static let arabicTypeNames: [(code: [UInt8], name: [UInt8])] = [
    ("NATIONAL_ID", "هوية وطنية"), ("IQAMA", "إقامة"), ("BORDER_NUMBER", "رقم حدود"),
  ].map { (Array($0.utf8), Array($1.utf8)) }
  /// The position of beneficiary_type in `textFields`.
  static let typeField = textFields.firstIndex(of: "beneficiary_type")!
  /// The identifier columns: digits a spreadsheet would read as a number (300000000007 shown as
  /// 3E+11, leading zeros dropped, digits past the 15th lost), so CSV writes them as text.
  public static let identifierColumns: Set<String> = ["beneficiary_number", "customer_number", "sadad_reference"]
  /// Whether each of `textFields` is an identifier column.
  static let identifierFields = textFields.map(identifierColumns.contains)

  public let format: Format
  public let arabic: Bool

  public init(format: Format, arabic: Bool) {
    self.format = format
    self.arabic = arabic
  }

  /// What comes before the first row: the BOM and the header row for CSV, nothing for JSON Lines.
  public func preamble() -> [UInt8] {
    guard format == .csv else { return [] }
    var out: [UInt8] = [0xEF, 0xBB, 0xBF]
    for (index, column) in (arabic ? Self.arabicColumns : Self.columns).enumerated() {
      if index > 0 { out.append(UInt8(ascii: ",")) }
      var text = column
      text.withUTF8 { Self.csvField($0, into: &out) }
    }
    out += [0x0D, 0x0A]
    return out
  }

  /// Appends one row.
  public func append<Row: ExportRowSource>(_ row: Row, to out: inout [UInt8]) {
    let names = format == .csv && arabic ? Self.arabicStateNames : Self.stateNames
    let state = names[row.state?.position ?? PaymentState.allCases.count]
    switch format {
    case .csv:
      Self.decimal(row.id, into: &out)
      out.append(UInt8(ascii: ","))
      Self.riyadhTime(row.paidTime, into: &out)
      for field in 0..<Self.textFields.count {
        out.append(UInt8(ascii: ","))
        row.withText(field) { text in
          if arabic, field == Self.typeField,
            let type = Self.arabicTypeNames.first(where: { $0.code.elementsEqual(text) })
          {
            out += type.name
          } else {
            Self.csvField(text, identifier: Self.identifierFields[field], into: &out)
          }
        }
      }
      out.append(UInt8(ascii: ","))
      Self.riyals(row.amount, into: &out)
      out.append(UInt8(ascii: ","))
      Self.decimal(row.amount, into: &out)
      out.append(UInt8(ascii: ","))
      out += state
      out += [0x0D, 0x0A]
    case .jsonLines:
      out += #"{"payment_id":""#.utf8
      Self.decimal(row.id, into: &out)
      out += #"","paid_time":""#.utf8
      Self.riyadhTime(row.paidTime, into: &out)
      out.append(UInt8(ascii: "\""))
      for field in 0..<Self.textFields.count {
        out += Self.jsonKeys[field]
        row.withText(field) { Self.jsonEscaped($0, into: &out) }
        out.append(UInt8(ascii: "\""))
      }
      out += #","amount_sar":""#.utf8
      Self.riyals(row.amount, into: &out)
      out += #"","amount_halalas":"#.utf8
      Self.decimal(row.amount, into: &out)
      out += #","state":""#.utf8
      out += state
      out += #""}"#.utf8
      out.append(0x0A)
    }
  }

  /// A CSV field, quoted when it holds a comma, a quote or a line break.
  ///
  /// A field beginning with = + - @, a tab or a carriage return is a formula to a spreadsheet
  /// (OWASP's CSV injection): it is written quoted, after a single quote ('=1+1 shows as typed).
  /// A non-empty `identifier` is written quoted, after a tab: spreadsheets then keep it as
  /// text (never 3E+11, leading zeros kept) and a reader strips the one tab. Not ="...": that
  /// is itself a formula.
  static func csvField(_ bytes: UnsafeBufferPointer<UInt8>, identifier: Bool = false, into out: inout [UInt8]) {
    let formula = bytes.first.map(isFormulaStart) ?? false
    var needsQuotes = formula || (identifier && !bytes.isEmpty)
    if !needsQuotes {
      for byte in bytes where byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D {
        needsQuotes = true
        break
      }
    }
    guard needsQuotes else {
      out.append(contentsOf: bytes)
      return
    }
    out.append(0x22)
    if formula {
      out.append(UInt8(ascii: "'"))
    } else if identifier && !bytes.isEmpty {
      out.append(0x09)
    }
    for byte in bytes {
      if byte == 0x22 { out.append(0x22) }
      out.append(byte)
    }
    out.append(0x22)
  }

  /// = + - @ tab and carriage return: what a spreadsheet may evaluate a cell that begins with.
  static func isFormulaStart(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: true
    default: false
    }
  }

  static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  static func jsonEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
    var plain = true
    for byte in bytes where byte < 0x20 || byte == 0x22 || byte == 0x5C {
      plain = false
      break
    }
    guard !plain else {
      out.append(contentsOf: bytes)
      return
    }
    for byte in bytes {
      switch byte {
      case 0x22: out += [0x5C, 0x22]
      case 0x5C: out += [0x5C, 0x5C]
      case 0x0A: out += [0x5C, UInt8(ascii: "n")]
      case 0x0D: out += [0x5C, UInt8(ascii: "r")]
      case 0x09: out += [0x5C, UInt8(ascii: "t")]
      case 0..<0x20:
        out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
      default: out.append(byte)
      }
    }
  }

  static func decimal(_ value: Int64, into out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    if magnitude == 0 {
      out.append(0x30)
      return
    }
    var divisor: UInt64 = 1
    while divisor <= magnitude / 10 { divisor *= 10 }
    while divisor > 0 {
      out.append(UInt8(magnitude / divisor) + 0x30)
      magnitude %= divisor
      divisor /= 10
    }
  }

  /// Riyals with two decimals, such as 1234.50.
  static func riyals(_ halalas: Int64, into out: inout [UInt8]) {
    if halalas < 0 { out.append(UInt8(ascii: "-")) }
    let magnitude = halalas.magnitude
    decimal(Int64(magnitude / 100), into: &out)
    out.append(UInt8(ascii: "."))
    let fraction = Int(magnitude % 100)
    out.append(UInt8(fraction / 10) + 0x30)
    out.append(UInt8(fraction % 10) + 0x30)
  }

  /// ISO 8601 in Riyadh time (UTC+03:00 all year: the kingdom keeps no daylight saving), such
  /// as 2026-11-25T13:15:30+03:00; milliseconds are shown only when there are some.
  static func riyadhTime(_ milliseconds: Int64, into out: inout [UInt8]) {
    let local = milliseconds + 3 * 3_600_000
    let (days, dayMilliseconds) = floorDivide(local, 86_400_000)
    let (year, month, day) = civilDate(fromDays: days)
    let seconds = Int(dayMilliseconds / 1000)
    let millis = Int(dayMilliseconds % 1000)
    func two(_ value: Int) {
      out.append(UInt8(value / 10) + 0x30)
      out.append(UInt8(value % 10) + 0x30)
    }
    if (0...9999).contains(year) {
      two(Int(year / 100))
      two(Int(year % 100))
    } else {
      decimal(year, into: &out)
    }
    out.append(UInt8(ascii: "-"))
    two(month)
    out.append(UInt8(ascii: "-"))
    two(day)
    out.append(UInt8(ascii: "T"))
    two(seconds / 3600)
    out.append(UInt8(ascii: ":"))
    two(seconds / 60 % 60)
    out.append(UInt8(ascii: ":"))
    two(seconds % 60)
    if millis > 0 {
      out.append(UInt8(ascii: "."))
      out.append(UInt8(millis / 100) + 0x30)
      two(millis % 100)
    }
    out += "+03:00".utf8
  }

  static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
    let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
  }

  /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
  static func civilDate(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
    let month = Int(mp < 10 ? mp + 3 : mp - 9)
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}

extension PaymentState {
  /// The position in `allCases`.
  var position: Int {
    switch self {
    case .paid: 0
    case .consumed: 1
    case .cancelled: 2
    case .refundRequested: 3
    case .refunded: 4
    }
  }

  static let codeBytes: [(code: [UInt8], state: PaymentState)] = allCases.map { (Array($0.rawValue.utf8), $0) }

  /// The state whose stored code these UTF-8 bytes are (no String made: an export reads one
  /// per row).
  init?(code bytes: UnsafeBufferPointer<UInt8>) {
    guard let match = Self.codeBytes.first(where: { $0.code.elementsEqual(bytes) }) else { return nil }
    self = match.state
  }
}
