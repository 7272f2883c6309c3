import EtimadServer
import Foundation
import Logging

/// What `etimadd serve` tells the operator once it is ready, on standard error: the CA to trust,
/// the probe command that checks health, where one-time codes go. Plain lines in text mode;
/// log records in JSON mode, so that standard error stays one JSON object per line there.
struct ReadyNotes {
  struct Note {
    let message: String
    let key: String
    let value: String
  }

  let notes: [Note]

  init(endpoints: Endpoints, identity: ServerIdentity, config: ServerConfig) {
    let ca = identity.paths.caCertificate
    var notes = [
      Note(message: "trust the development CA", key: "tls.ca_file", value: ca),
      Note(
        message: "check health", key: "probe.command",
        value:
          "etimad-probe health --addr \(Self.probeHost(endpoints.host)):\(endpoints.publicPort) --tls-ca-cert \(ca)"),
    ]
    if config.smsGateway == "file" {
      notes.append(
        Note(message: "one-time SMS codes arrive in", key: "sms.file", value: config.dataDirectory + "/sms.log"))
    } else {
      notes.append(Note(message: "one-time SMS codes are posted to", key: "sms.url", value: config.smsHTTPURL))
    }
    self.notes = notes
  }

  /// Writes the notes: plain `message: value` lines, or notice records through `logger`.
  func write(format: String, logger: Logger) {
    if format == "json" {
      for note in notes { logger.notice("\(note.message)", metadata: [note.key: "\(note.value)"]) }
    } else {
      let text = notes.map { "\($0.message): \($0.value)\n" }.joined()
      FileHandle.standardError.write(Data(text.utf8))
    }
  }

  /// The address a client on this machine reaches a listener bound to `host` by: loopback
  /// for the wildcard addresses (the server certificate names 127.0.0.1 and ::1).
  static func probeHost(_ host: String) -> String {
    switch host {
    case "0.0.0.0", "": "127.0.0.1"
    case "::": "[::1]"
    case _ where host.contains(":"): "[\(host)]"
    default: host
    }
  }
}
