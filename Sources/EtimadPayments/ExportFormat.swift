/// One payment as an export writes it.
public struct ExportRow: Sendable, Hashable {
  public var id: Int64
  public var paidTime: Int64
  public var sectorCode: String
  public var serviceCode: String
  public var beneficiaryType: String
  public var beneficiaryNumber: String
  public var customerNumber: String
  public var sadadReference: String
  public var amount: Int64
  public var state: Int

  public init(
    id: Int64, paidTime: Int64, sectorCode: String, serviceCode: String, beneficiaryType: String,
    beneficiaryNumber: String, customerNumber: String, sadadReference: String, amount: Int64, state: Int
  ) {
    self.id = id
    self.paidTime = paidTime
    self.sectorCode = sectorCode
    self.serviceCode = serviceCode
    self.beneficiaryType = beneficiaryType
    self.beneficiaryNumber = beneficiaryNumber
    self.customerNumber = customerNumber
    self.sadadReference = sadadReference
    self.amount = amount
    self.state = state
  }
}

/// Writes export rows as CSV (UTF-8 with a BOM, CRLF, spreadsheet-friendly) or JSON Lines,
/// straight into a byte buffer: an export of a million rows must not build a million strings.
public struct ExportWriter: Sendable {
  public enum Format: Sendable { case csv, jsonLines }

  public static let columns = [
    "payment_id", "paid_time", "sector_code", "sector_name", "service_code", "service_name", "beneficiary_type",
    "beneficiary_number", "customer_number", "sadad_reference", "amount_sar", "amount_halalas", "state",
  ]
  public static let arabicColumns = [
    "رقم العملية", "وقت السداد", "رمز القطاع", "القطاع", "رمز الخدمة", "الخدمة", "نوع هوية المستفيد",
    "رقم هوية المستفيد", "رقم العميل", "الرقم المرجعي لسداد", "المبلغ (ريال)", "المبلغ (هللة)", "الحالة",
  ]

  public let format: Format
  public let arabic: Bool
  /// Sector names by code, and service names by "SECTOR/SERVICE", in the export's language.
  let sectorNames: [String: [UInt8]]
  let serviceNames: [String: [UInt8]]

  public init(format: Format, arabic: Bool, sectorNames: [String: String], serviceNames: [String: String]) {
    self.format = format
    self.arabic = arabic
    self.sectorNames = sectorNames.mapValues { Array($0.utf8) }
    self.serviceNames = serviceNames.mapValues { Array($0.utf8) }
  }

  /// What comes before the first row: the BOM and the header row for CSV, nothing for JSON Lines.
  public func preamble() -> [UInt8] {
    guard format == .csv else { return [] }
    var out: [UInt8] = [0xEF, 0xBB, 0xBF]
    for (index, column) in (arabic ? Self.arabicColumns : Self.columns).enumerated() {
      if index > 0 { out.append(UInt8(ascii: ",")) }
      Self.csvField(Array(column.utf8), into: &out)
    }
    out += [0x0D, 0x0A]
    return out
  }

  /// Appends one row.
  public func append(_ row: ExportRow, to out: inout [UInt8]) {
    let sectorName = sectorNames[row.sectorCode] ?? []
    let serviceName = serviceNames[row.sectorCode + "/" + row.serviceCode] ?? []
    let state = PaymentState(rawValue: row.state)?.name ?? "UNSPECIFIED"
    switch format {
    case .csv:
      Self.decimal(row.id, into: &out)
      out.append(UInt8(ascii: ","))
      Self.riyadhTime(row.paidTime, into: &out)
      for text in [
        Array(row.sectorCode.utf8), sectorName, Array(row.serviceCode.utf8), serviceName,
        Array(row.beneficiaryType.utf8), Array(row.beneficiaryNumber.utf8), Array(row.customerNumber.utf8),
        Array(row.sadadReference.utf8),
      ] {
        out.append(UInt8(ascii: ","))
        Self.csvField(text, into: &out)
      }
      out.append(UInt8(ascii: ","))
      Self.riyals(row.amount, into: &out)
      out.append(UInt8(ascii: ","))
      Self.decimal(row.amount, into: &out)
      out.append(UInt8(ascii: ","))
      out += state.utf8
      out += [0x0D, 0x0A]
    case .jsonLines:
      out += #"{"payment_id":""#.utf8
      Self.decimal(row.id, into: &out)
      out += #"","paid_time":""#.utf8
      Self.riyadhTime(row.paidTime, into: &out)
      let texts: [(String, [UInt8])] = [
        ("sector_code", Array(row.sectorCode.utf8)), ("sector_name", sectorName),
        ("service_code", Array(row.serviceCode.utf8)), ("service_name", serviceName),
        ("beneficiary_type", Array(row.beneficiaryType.utf8)),
        ("beneficiary_number", Array(row.beneficiaryNumber.utf8)),
        ("customer_number", Array(row.customerNumber.utf8)), ("sadad_reference", Array(row.sadadReference.utf8)),
      ]
      out.append(UInt8(ascii: "\""))
      for (key, value) in texts {
        out += #","#.utf8
        out.append(UInt8(ascii: "\""))
        out += key.utf8
        out += #"":""#.utf8
        Self.jsonEscaped(value, into: &out)
        out.append(UInt8(ascii: "\""))
      }
      out += #","amount_sar":""#.utf8
      Self.riyals(row.amount, into: &out)
      out += #"","amount_halalas":"#.utf8
      Self.decimal(row.amount, into: &out)
      out += #","state":""#.utf8
      out += state.utf8
      out += #""}"#.utf8
      out.append(0x0A)
    }
  }

  /// A CSV field, quoted when it holds a comma, a quote or a line break.
  static func csvField(_ bytes: [UInt8], into out: inout [UInt8]) {
    let needsQuotes = bytes.contains { (byte: UInt8) -> Bool in
      byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D
    }
    guard needsQuotes else {
      out += bytes
      return
    }
    out.append(0x22)
    for byte in bytes {
      if byte == 0x22 { out.append(0x22) }
      out.append(byte)
    }
    out.append(0x22)
  }

  static func jsonEscaped(_ bytes: [UInt8], into out: inout [UInt8]) {
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    for byte in bytes {
      switch byte {
      case 0x22: out += [0x5C, 0x22]
      case 0x5C: out += [0x5C, 0x5C]
      case 0x0A: out += [0x5C, UInt8(ascii: "n")]
      case 0x0D: out += [0x5C, UInt8(ascii: "r")]
      case 0x09: out += [0x5C, UInt8(ascii: "t")]
      case 0..<0x20: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
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
    var digits:
      (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
      ) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
      while magnitude > 0 {
        buffer[count] = UInt8(magnitude % 10) + 0x30
        magnitude /= 10
        count += 1
      }
      for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
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
    decimal(year, into: &out)
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
