import NIOCore

/// Holds a connection's close until everything written before it has reached the socket.
///
/// On SIGTERM Hummingbird lets a response in flight finish and then closes its connection as soon
/// as the response's last part is written into the channel (`HTTPConnectionStateHandler`). A full
/// close in NIO fails the writes still queued behind a socket the client has not emptied, so a
/// long answer to a slow reader (`/api/changes`, an export) lost its last tens of kilobytes, the
/// change feed's high-water mark with them. This handler, between the HTTP codec and that state
/// handler, turns such a close into a half close first: NIO shuts the output only once the queue
/// is written, and the full close follows. A client that stops reading gets `patience` to take the
/// rest, then is closed as before.
final class DrainBeforeClose: ChannelOutboundHandler, RemovableChannelHandler {
    /// Every part passes through untouched.
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private let patience: TimeAmount
    /// Writes handed on whose promises have not completed: bytes not yet taken by the socket.
    private var unwritten = 0

    init(patience: TimeAmount = .seconds(30)) {
        self.patience = patience
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = promise ?? context.eventLoop.makePromise()
        unwritten += 1
        written.futureResult.assumeIsolated().whenComplete { _ in self.unwritten -= 1 }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, unwritten > 0, context.channel.isActive else {
            context.close(mode: mode, promise: promise)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        var closed = false
        func closeFully() {
            guard !closed else { return }
            closed = true
            context.value.close(mode: .all, promise: promise)
        }
        let deadline = loop.scheduleTask(in: patience) { closeFully() }
        let drained = context.value.eventLoop.makePromise(of: Void.self)
        drained.futureResult.assumeIsolated().whenComplete { _ in
            deadline.cancel()
            closeFully()
        }
        context.value.flush()
        context.value.close(mode: .output, promise: drained)
    }
}
