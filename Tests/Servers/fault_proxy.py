"""A fault-injecting TCP proxy in front of a plain HTTP server, for tests.

Listens on 127.0.0.1 (--port, 0 picks a free one), prints "PORT <n>" as its
first stdout line once listening, and stops on SIGTERM. Standard library only:
one thread per connection, every socket with a timeout, so nothing outlives
a test for long. It connects only to --upstream, which must be on loopback.

One request per connection: the proxy reads the request head, logs it,
rewrites its Connection header to "close" and forwards it, so the server
ends every response by closing and each connection carries exactly one
request. That is what lets faults be counted per request. Clients see
"Connection: close" on every response and simply open a new connection.

Faults hit the first N requests (--times N, default 1; HEAD requests count
only for --status, since the other faults act on body bytes) whose path matches
--match (a shell-style GLOB over the path without query, fnmatch: "*.xml.gz"
spares the .md5 files and listings; default: every request); later requests
are forwarded untouched. Byte offsets count response BODY bytes (after the
header block), so with "--cut-at 1000" a client is left with exactly 1000
bytes of the file, whether or not the request had a Range header.

  --cut-at BYTES            close the client connection (FIN) after BYTES
                            body bytes. curl: exit 18 (partial file).
  --reset-at BYTES          same, but with an RST (SO_LINGER 0) once the
                            bytes are out. curl: exit 56 (recv failure).
  --stall-at BYTES --stall-seconds S
                            send BYTES body bytes, nothing for S seconds,
                            then close (FIN). curl: exit 18 after S seconds.
  --status 503|429|408 [--retry-after SECONDS]
                            answer that status itself (small text body,
                            Connection: close, Retry-After if given) without
                            contacting the upstream. curl -f: exit 22.
  --status 302|416          likewise, but as servers answer them wrongly: a
                            302 without Location, a 416 without Content-Range.
                            curl -f: exit 0, the small body delivered (302) or
                            nothing (416).
  --method GET              only requests of this method take the fault (a
                            status for the download, not for the HEAD before it)
  --no-length               the response as HTTP/1.0 without Content-Length:
                            its end is the connection's (RFC 9112 6.3), so with
                            --cut-at the client cannot tell the cut from the
                            end. curl: exit 0 with the bytes before the cut.
  --throttle BYTES_PER_SEC  pace every response (not bounded by --times).
  --log FILE                append each request line, plus its Range header
                            if any: "GET /pubmed/baseline/x HTTP/1.1 Range: bytes=100-".
"""

import argparse
import fnmatch
import signal
import socket
import struct
import sys
import threading
import time

IDLE_TIMEOUT = 30  # seconds any socket may sit without traffic
MAX_HEAD = 64 * 1024  # bytes of request or response head we are willing to buffer
REASONS = {302: "Found", 408: "Request Timeout", 416: "Range Not Satisfiable", 429: "Too Many Requests",
           503: "Service Unavailable"}


class Proxy:
    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.faults_left = options.times
        host, _, port = options.upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.log_file = open(options.log, "a", buffering=1) if options.log else None

    def take_fault(self, method, target):
        """True if this request gets the configured fault (uses one of --times).

        A byte-offset fault (cut, reset, stall) needs a body to act on, so a HEAD
        request never takes one: it would use up a fault and change nothing."""
        if method == "HEAD" and not self.options.status:
            return False
        if self.options.method is not None and method != self.options.method:
            return False
        path = target.split("?", 1)[0]
        if self.options.match is not None and not fnmatch.fnmatchcase(path, self.options.match):
            return False
        with self.lock:
            if self.faults_left > 0:
                self.faults_left -= 1
                return True
            return False

    def log(self, line):
        if self.log_file is not None:
            with self.lock:
                self.log_file.write(line + "\n")

    def handle(self, client):
        upstream = None
        try:
            client.settimeout(IDLE_TIMEOUT)
            head, rest = read_head(client)
            if head is None:
                return
            lines = head.split(b"\r\n")
            request_line = lines[0].decode("latin-1")
            headers = [line for line in lines[1:] if line]
            range_values = [h.split(b":", 1)[1].strip().decode("latin-1")
                            for h in headers if h.lower().startswith(b"range:")]
            self.log(request_line + (f" Range: {range_values[0]}" if range_values else ""))

            parts = request_line.split(" ")
            target = parts[1] if len(parts) > 1 else ""
            faulty = self.take_fault(parts[0], target)
            if faulty and self.options.status:
                self.answer_status(client)
                return

            headers = [h for h in headers if not h.lower().startswith((b"connection:", b"keep-alive:"))]
            headers.append(b"Connection: close")
            upstream = socket.create_connection(self.upstream, timeout=IDLE_TIMEOUT)
            upstream.sendall(b"\r\n".join([lines[0]] + headers) + b"\r\n\r\n")
            forward_body(client, upstream, rest, content_length(headers))
            self.relay_response(upstream, client, faulty)
        except OSError:
            pass  # a peer went away or timed out: the test will see it
        finally:
            for sock in (upstream, client):
                if sock is not None:
                    try:
                        sock.close()
                    except OSError:
                        pass

    def answer_status(self, client):
        code = self.options.status
        body = f"{code} {REASONS.get(code, 'Error')} (fault_proxy)\n".encode()
        head = [f"HTTP/1.1 {code} {REASONS.get(code, 'Error')}",
                "Content-Type: text/plain",
                f"Content-Length: {len(body)}",
                "Connection: close"]
        if self.options.retry_after is not None:
            head.append(f"Retry-After: {self.options.retry_after}")
        client.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def relay_response(self, upstream, client, faulty):
        options = self.options
        limit = None  # body byte offset where the fault fires
        if faulty:
            for offset in (options.cut_at, options.reset_at, options.stall_at):
                if offset is not None:
                    limit = offset
        pacer = Pacer(options.throttle)
        head_buffer = b""
        in_body = False
        body_sent = 0
        while True:
            chunk = upstream.recv(16384)
            if not chunk:
                return  # upstream finished: finally closes the client with FIN
            if not in_body:
                head_buffer += chunk
                end = head_buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(head_buffer) > MAX_HEAD:
                        return
                    continue
                in_body = True
                head = head_buffer[:end + 4]
                if faulty and options.no_length:
                    head = close_delimited(head)
                pacer.send(client, head)
                chunk = head_buffer[end + 4:]
            if limit is not None and body_sent + len(chunk) >= limit:
                pacer.send(client, chunk[:limit - body_sent])
                self.fire(client)
                return
            pacer.send(client, chunk)
            body_sent += len(chunk)

    def fire(self, client):
        """The response reached the fault's offset: cut, reset or stall."""
        options = self.options
        if options.reset_at is not None:
            wait_until_sent(client)
            # SO_LINGER with a zero timeout turns close() into an RST.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif options.stall_at is not None:
            time.sleep(options.stall_seconds)
        # The caller's finally closes the client: FIN, or RST after SO_LINGER 0.


class Pacer:
    """Sends at most `rate` bytes per second (no limit when rate is None)."""

    def __init__(self, rate):
        self.rate = rate
        self.start = time.monotonic()
        self.sent = 0

    def send(self, sock, data):
        if not self.rate:
            sock.sendall(data)
            return
        step = max(1, self.rate // 20)
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            sock.sendall(piece)
            self.sent += len(piece)
            ahead = self.sent / self.rate - (time.monotonic() - self.start)
            if ahead > 0:
                time.sleep(ahead)


def close_delimited(head):
    """The response head as HTTP/1.0 without Content-Length: the body ends with the connection."""
    lines = head[:-4].split(b"\r\n")
    status = lines[0].replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    kept = [line for line in lines[1:] if not line.lower().startswith(b"content-length:")]
    return b"\r\n".join([status] + kept) + b"\r\n\r\n"


def read_head(sock):
    """Reads up to the blank line ending an HTTP head; returns (head, extra bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk or len(data) > MAX_HEAD:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def content_length(headers):
    for header in headers:
        if header.lower().startswith(b"content-length:"):
            return int(header.split(b":", 1)[1])
    return 0


def forward_body(client, upstream, already_read, length):
    """Forwards a request body of `length` bytes (tests send GET and HEAD, so
    usually none). Done before the response is read, on the same thread: a
    second thread blocked in recv() would keep the socket alive past close()
    and so delay the FIN or RST a fault depends on."""
    upstream.sendall(already_read[:length])
    left = length - len(already_read)
    while left > 0:
        chunk = client.recv(min(left, 16384))
        if not chunk:
            return
        upstream.sendall(chunk)
        left -= len(chunk)


def wait_until_sent(sock, limit=2.0):
    """Waits (bounded) until the kernel has sent everything queued on sock,
    so an RST does not discard bytes the client should still receive."""
    siocoutq = 0x5411  # Linux TIOCOUTQ == SIOCOUTQ: bytes not yet acknowledged
    deadline = time.monotonic() + limit
    try:
        import fcntl
        while time.monotonic() < deadline:
            queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), siocoutq, b"\0" * 4))[0]
            if queued == 0:
                break
            time.sleep(0.005)
    except (ImportError, OSError):
        time.sleep(0.2)
    time.sleep(0.05)  # let the client read what arrived before the RST lands


def parse_options(argv):
    parser = argparse.ArgumentParser(description="Fault-injecting HTTP proxy for tests.")
    parser.add_argument("--upstream", required=True, metavar="HOST:PORT")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--times", type=int, default=1, metavar="N")
    parser.add_argument("--match", metavar="GLOB")
    faults = parser.add_mutually_exclusive_group()
    faults.add_argument("--cut-at", type=int, metavar="BYTES")
    faults.add_argument("--reset-at", type=int, metavar="BYTES")
    faults.add_argument("--stall-at", type=int, metavar="BYTES")
    faults.add_argument("--status", type=int, choices=sorted(REASONS))
    parser.add_argument("--no-length", action="store_true")
    parser.add_argument("--method", metavar="METHOD")
    parser.add_argument("--stall-seconds", type=float, default=2.0, metavar="S")
    parser.add_argument("--retry-after", type=int, metavar="SECONDS")
    parser.add_argument("--throttle", type=int, metavar="BYTES_PER_SEC")
    parser.add_argument("--log", metavar="FILE")
    options = parser.parse_args(argv)
    host = options.upstream.rpartition(":")[0]
    if not (host == "localhost" or host.startswith("127.")):
        parser.error("--upstream must be on loopback")
    if options.throttle is not None and options.throttle <= 0:
        parser.error("--throttle must be positive")
    return options


def main(argv):
    options = parse_options(argv)
    proxy = Proxy(options)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", options.port))
    listener.listen(64)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    # A parent may have started us with SIGTERM blocked (threads of test runners do).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    try:
        while True:
            client, _ = listener.accept()
            threading.Thread(target=proxy.handle, args=(client,), daemon=True).start()
    except SystemExit:
        pass
    finally:
        listener.close()  # daemon threads end with the process


if __name__ == "__main__":
    main(sys.argv[1:])
