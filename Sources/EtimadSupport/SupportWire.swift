import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf

/// The one place that converts between the contract's messages and the area's values.
enum SupportWire {
  static func text(_ text: LocalizedString) -> Etimad_Type_V1_LocalizedText {
    .with {
      $0.ar = text.arabic
      $0.en = text.english
    }
  }

  static func time(_ date: Date) -> Google_Protobuf_Timestamp { Google_Protobuf_Timestamp(date: date) }

  static func duration(_ seconds: TimeInterval) -> Google_Protobuf_Duration {
    Google_Protobuf_Duration(seconds: Int64(seconds.rounded(.down)), nanos: 0)
  }

  static func channel(_ channel: ContactChannel, now: Date) -> Etimad_Support_V1_ContactChannel {
    .with {
      $0.code = channel.code
      $0.kind =
        switch channel.kind {
        case .phone: .phone
        case .email: .email
        case .social: .social
        }
      $0.name = text(channel.name)
      $0.address = channel.address
      $0.weeklyHours = channel.hours.days.enumerated().map { index, window in
        .with {
          $0.day = Etimad_Support_V1_Weekday(rawValue: index + 1) ?? .unspecified
          $0.opensMinute = Int32(window.opens)
          $0.closesMinute = Int32(window.closes)
          $0.text = window.text
        }
      }
      $0.openNow = channel.hours.isOpen(at: now)
      $0.nextChangeTime = time(channel.hours.nextChange(after: now))
    }
  }

  static func requestType(_ kind: RequestKind) -> Etimad_Support_V1_RequestType {
    switch kind {
    case .enquiry: .enquiry
    case .complaint: .complaint
    case .suggestion: .suggestion
    case .technicalProblem: .technicalProblem
    }
  }

  static func requestKind(_ type: Etimad_Support_V1_RequestType) -> RequestKind? {
    switch type {
    case .enquiry: .enquiry
    case .complaint: .complaint
    case .suggestion: .suggestion
    case .technicalProblem: .technicalProblem
    default: nil
    }
  }

  static func documentKind(_ type: Etimad_Support_V1_DocumentType) -> DocumentKind? {
    switch type {
    case .nationalID: .nationalID
    case .iqama: .iqama
    case .borderNumber: .borderNumber
    case .passport: .passport
    default: nil
    }
  }

  static func documentType(_ kind: DocumentKind) -> Etimad_Support_V1_DocumentType {
    switch kind {
    case .nationalID: .nationalID
    case .iqama: .iqama
    case .borderNumber: .borderNumber
    case .passport: .passport
    }
  }

  static func status(_ status: TicketStatus) -> Etimad_Support_V1_TicketStatus {
    switch status {
    case .open: .open
    case .inProgress: .inProgress
    case .awaitingRequester: .awaitingRequester
    case .resolved: .resolved
    case .closed: .closed
    }
  }

  static func status(_ status: Etimad_Support_V1_TicketStatus) -> TicketStatus? {
    switch status {
    case .open: .open
    case .inProgress: .inProgress
    case .awaitingRequester: .awaitingRequester
    case .resolved: .resolved
    case .closed: .closed
    default: nil
    }
  }

  static func form(_ request: Etimad_Support_V1_OpenTicketRequest) -> TicketForm {
    var form = TicketForm()
    form.name = request.requester.name
    form.document = documentKind(request.requester.document.type)
    form.documentNumber = request.requester.document.number
    form.mobile = request.requester.mobile
    form.email = request.requester.email
    form.mainService = request.mainServiceCode
    form.subService = request.subServiceCode
    form.kind = requestKind(request.requestType)
    form.title = request.title
    form.details = request.details
    return form
  }

  /// A ticket as `staff` or its requester sees it: the requester gets the mobile masked and
  /// no assignee.
  static func ticket(_ ticket: Ticket, staff: Bool) -> Etimad_Support_V1_Ticket {
    .with {
      $0.number = ticket.number
      $0.status = status(ticket.status)
      $0.requester = .with {
        $0.name = ticket.requester.name
        $0.document = .with {
          $0.type = documentType(ticket.requester.document)
          $0.number = ticket.requester.documentNumber
        }
        $0.mobile = staff ? ticket.requester.mobile.e164 : ticket.requester.mobile.masked
        $0.email = ticket.requester.email
      }
      $0.mainServiceCode = ticket.mainService
      $0.subServiceCode = ticket.subService
      $0.requestType = requestType(ticket.kind)
      $0.title = ticket.title
      $0.details = ticket.details
      $0.openTime = time(ticket.openTime)
      $0.updateTime = time(ticket.updateTime)
      if let first = ticket.firstResponseTime { $0.firstResponseTime = time(first) }
      if staff { $0.assignee = ticket.assignee ?? "" }
      $0.openedSignedIn = ticket.owner != nil
    }
  }

  static func message(_ message: TicketMessage, staff: Bool) -> Etimad_Support_V1_TicketMessage {
    .with {
      $0.id = String(message.id)
      $0.kind =
        switch message.kind {
        case .requester: .requester
        case .reply: .reply
        case .note: .note
        }
      $0.body = message.body
      if staff { $0.author = message.author }
      $0.createTime = time(message.createTime)
    }
  }

  /// What a page token of ListTickets is bound to: every filter, not the page fields.
  static func filterBinding(_ request: Etimad_Support_V1_ListTicketsRequest) -> String {
    var filters = request
    filters.pageToken = ""
    filters.pageSize = 0
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    let bytes: [UInt8] = (try? filters.serializedBytes(options: options)) ?? []
    return "tickets|" + Hex.encode(bytes)
  }
}
