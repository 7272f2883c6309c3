@_spi(Testing) import EtimadKit
import EtimadServer
import Foundation
import GRDB
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// The HTTP SMS gateway against a real HTTP listener on loopback, through the outbox worker.
@Suite("SMS delivery")
struct SMSGatewayTests {
  @Test("the HTTP gateway posts JSON with the bearer token; a refused message is retried with backoff")
  func httpGatewayWithRetry() async throws {
    let listener = try await RecordingHTTPServer.start(failFirst: 1)
    defer { listener.close() }
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let clock = ManualClock(Date())
    let database = try EtimadDatabase(path: directory + "/etimad.sqlite", migrations: [], clock: clock)
    let gateway = HTTPSMSGateway(url: URL(string: "http://127.0.0.1:\(listener.port)/sms")!, token: "secret-token")
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let worker = OutboxWorker(database: database, gateway: gateway, logger: logger)
    // Given a queued SMS
    try await database.testingPool.write { db in
      try Outbox.enqueueSMS(db, to: try SaudiMobile(parsing: "0501234567"), body: "رمز التحقق: 123456.", now: clock.now)
    }
    // When the gateway refuses it the first time
    #expect(try await worker.deliverDue() == 0)
    // Then it is not retried before its backoff
    #expect(try await worker.deliverDue() == 0)
    #expect(listener.requests.count == 1)
    // And is delivered once the backoff has passed
    clock.advance(by: 3)
    #expect(try await worker.deliverDue() == 1)
    #expect(try await worker.deliverDue() == 0)
    let requests = listener.requests
    #expect(requests.count == 2)
    let last = try #require(requests.last)
    #expect(last.method == "POST")
    #expect(last.path == "/sms")
    #expect(last.authorization == "Bearer secret-token")
    let body = try JSONSerialization.jsonObject(with: last.body) as? [String: String]
    #expect(body == ["to": "+966501234567", "message": "رمز التحقق: 123456."])
    let (attempts, sent) = try await database.read { db -> (Int?, Bool?) in
      let row = try Row.fetchOne(db, sql: "SELECT attempts, sent_time IS NOT NULL AS sent FROM outbox")
      return (row?["attempts"], row?["sent"])
    }
    #expect(attempts == 2)
    #expect(sent == true)
  }
}

/// A plain HTTP/1.1 server that records requests and answers 500 to the first `failFirst`.
final class RecordingHTTPServer: Sendable {
  struct Request: Sendable {
    let method: String
    let path: String
    let authorization: String?
    let body: Data
  }

  private let state = Mutex<(requests: [Request], failuresLeft: Int)>(([], 0))
  private let channel = Mutex<(any Channel)?>(nil)
  private(set) var port: Int {
    get { portBox.withLock { $0 } }
    set { portBox.withLock { $0 = newValue } }
  }
  private let portBox = Mutex(0)

  var requests: [Request] { state.withLock { $0.requests } }

  static func start(failFirst: Int) async throws -> RecordingHTTPServer {
    let server = RecordingHTTPServer()
    server.state.withLock { $0.failuresLeft = failFirst }
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap {
          channel.pipeline.addHandler(Handler(server: server))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    server.channel.withLock { $0 = channel }
    server.port = channel.localAddress?.port ?? 0
    return server
  }

  func close() { _ = channel.withLock { $0?.close() } }

  /// Records a request and says whether to fail it.
  fileprivate func record(_ request: Request) -> Bool {
    state.withLock { state in
      state.requests.append(request)
      if state.failuresLeft > 0 {
        state.failuresLeft -= 1
        return true
      }
      return false
    }
  }

  private final class Handler: ChannelInboundHandler, @unchecked Sendable {
    // Unchecked: a handler lives on its channel's event loop; its mutable parts are only
    // touched there.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let server: RecordingHTTPServer
    var head: HTTPRequestHead?
    var body = Data()

    init(server: RecordingHTTPServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      switch unwrapInboundIn(data) {
      case .head(let head):
        self.head = head
        body = Data()
      case .body(let buffer):
        body.append(contentsOf: buffer.readableBytesView)
      case .end:
        guard let head else { return }
        let fail = server.record(
          Request(
            method: head.method.rawValue, path: head.uri, authorization: head.headers.first(name: "authorization"),
            body: body))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        context.write(
          wrapOutboundOut(
            .head(HTTPResponseHead(version: head.version, status: fail ? .internalServerError : .ok, headers: headers))),
          promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
      }
    }
  }
}
