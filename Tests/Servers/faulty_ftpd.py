"""A scriptable FTP server for integration tests (pyftpdlib).

Serves --root read-only to anonymous users (and, with --writer, writable to one user) on 127.0.0.1, binds --port (0 picks
a free one), prints "PORT <n>" as its first stdout line once listening, and
stops cleanly on SIGTERM. Passive mode (PASV/EPSV), LIST, NLST, MLSD, SIZE,
MDTM, REST and RETR are pyftpdlib's own.

Faults are chosen by flags. Each one hits only the first N matching events
(then the server behaves normally), so a client that retries succeeds:

  --refuse-login-times N
      The first N control connections get "421 Too many connections." as
      their greeting and are closed. curl 7.88: exit 28, since it reports any
      421 as "Timeout was reached" (421 usually means an idle timeout).
  --retr-error CODE --retr-error-times N
      The first N RETR commands are answered CODE (450, 451, 426, 550, or any
      other 4xx/5xx) with no preliminary 150 and no data; the data connection
      the client opened after PASV/EPSV is closed. curl: exit 19 for 4xx
      (couldn't retrieve) and 78 for 550 (remote file not found).
  --cut-at BYTES --cut-times N
      The first N RETR transfers send BYTES bytes, then the server closes the
      data connection (FIN, so the client gets exactly BYTES bytes) and answers
      "426 Connection closed; transfer aborted." on the control connection, as
      vsftpd or proftpd do when a data connection breaks (no 226 is ever sent).
      BYTES counts bytes sent on that data connection, so after REST 4096 the
      cut is at file offset 4096 + BYTES. curl: exit 18 (partial file).
  --stall-at BYTES --stall-seconds S --stall-times N
      The first N RETR transfers send BYTES bytes, send nothing for S seconds,
      then end like --cut-at (FIN + 426). A client with a low-speed limit
      shorter than S gives up first.
  --throttle BYTES_PER_SEC
      Every RETR transfer is paced to about BYTES_PER_SEC (not bounded).
  --list-size-delta BYTES
      LIST and MLSD report every matching file BYTES larger (negative: smaller)
      than it is; SIZE and RETR tell the truth. Not bounded.
  --no-rest
      REST answers "502 Command not implemented." and FEAT omits REST STREAM.
      curl -C: exit 31 (couldn't use REST).
  --writer USER:PASSWORD
      Adds a user who may write (upload, append, make folders, rename,
      delete) under --root; anonymous users stay read-only. The faults below
      hit uploads (STOR and APPE) of any user:
  --stor-error CODE --stor-error-times N
      The first N uploads are answered CODE (550, 553, ...) before any data
      is taken; the data connection is closed.
  --stor-full-after BYTES --stor-full-times N
      The first N uploads keep BYTES bytes, then the server answers "552
      Requested file action aborted. Exceeded storage allocation." and
      closes the data connection, as a full disk or a quota does.
  --stor-cut-at BYTES --stor-cut-times N
      The first N uploads keep BYTES bytes (the file on the server holds
      them), then the data connection is closed and 426 answered.
  --stor-stall-at BYTES --stor-stall-seconds S --stor-stall-times N
      The first N uploads keep BYTES bytes, then nothing is read for S
      seconds, then they end like --stor-cut-at.
  --rename-no-replace
      RNTO onto a name that exists is answered "553 File exists." (as Windows'
      IIS does), not bounded.
  --rnto-error CODE --rnto-error-times N
      The first N RNTO commands are answered CODE (550, 553) whatever the name.
  --hash
      Answers the HASH command (draft-bryan-ftpext-hash: "OPTS HASH MD5", then
      "HASH file" gives "213 MD5 0-SIZE HEX file"; not listed in FEAT). Without
      it, HASH gets "500 not understood", as from a server that lacks it.
  --hash-lie N
      With --hash, the first N HASH answers name a wrong MD5 (all zeros).
  --match GLOB
      Only RETRs whose path matches GLOB (fnmatch, over the whole path, so
      "*.xml.gz" leaves the .md5 files alone) count for --retr-error,
      --cut-at and --stall-at.
  --log FILE
      Appends one line per command received, as sent ("RETR pubmed25n1275.xml.gz",
      "REST 4096"; PASS is masked), so tests can count requests. With
      --match, STOR and APPE faults also hit only matching paths.

The counters are shared by all connections; the server is one process with
one event loop, so no locking is needed.
"""

import argparse
import fnmatch
import hashlib
import logging
import os
import signal
import sys
import time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import FTPServer

RETR_ERROR_MESSAGES = {
    426: "Connection closed; transfer aborted.",
    450: "Requested file action not taken; file unavailable.",
    451: "Requested action aborted: local error in processing.",
    550: "Failed to open file.",
}


class Faults:
    """The parsed flags and how many times each bounded fault has fired."""

    def __init__(self, options):
        self.options = options
        self.remaining = {
            "refuse": options.refuse_login_times,
            "retr_error": options.retr_error_times if options.retr_error else 0,
            "cut": options.cut_times if options.cut_at is not None else 0,
            "stall": options.stall_times if options.stall_at is not None else 0,
            "stor_error": options.stor_error_times if options.stor_error else 0,
            "stor_full": options.stor_full_times if options.stor_full_after is not None else 0,
            "stor_cut": options.stor_cut_times if options.stor_cut_at is not None else 0,
            "stor_stall": options.stor_stall_times if options.stor_stall_at is not None else 0,
            "hash_lie": options.hash_lie,
            "rnto_error": options.rnto_error_times if options.rnto_error else 0,
        }
        self.log_file = open(options.log, "a", buffering=1) if options.log else None

    def take(self, name):
        """Uses up one occurrence of fault `name`; False once it is spent."""
        if self.remaining[name] > 0:
            self.remaining[name] -= 1
            return True
        return False

    def matches(self, path):
        return self.options.match is None or fnmatch.fnmatchcase(path, self.options.match)

    def log(self, line):
        if self.log_file is not None:
            self.log_file.write(line + "\n")


FAULTS = None  # set in main() before the server starts


class ListedSizeFS(AbstractedFS):
    """With --list-size-delta, LIST and MLSD report matching files DELTA bytes larger (or smaller)
    than they are, while SIZE and RETR tell the truth: a listing that disagrees with the file."""

    def _adjust(self, path, st):
        delta = FAULTS.options.list_size_delta
        if not delta or not FAULTS.matches(self.fs2ftp(path)):
            return st
        values = list(st)
        values[6] = max(0, st.st_size + delta)  # st_size
        return os.stat_result(values)

    def stat(self, path):
        return self._adjust(path, super().stat(path))

    def lstat(self, path):
        return self._adjust(path, super().lstat(path))


STOR_ERROR_MESSAGES = {
    550: "Permission denied.",
    553: "File name not allowed.",
    452: "Insufficient storage space.",
}


class FaultyDTPHandler(DTPHandler):
    """Data channel that can cut, stall or pace a RETR transfer at a byte offset,
    and cut, stall or fill up an upload.

    pyftpdlib sends files with sendfile(2) unless told not to, which would
    bypass send() and so every fault; use_sendfile() is turned off here.
    """

    def __init__(self, sock, cmd_channel):
        super().__init__(sock, cmd_channel)
        self.fault = None  # ("cut" | "stall", byte offset) for this transfer
        self.halted = False
        self.throttle = 0
        self.throttle_start = None

    def use_sendfile(self):
        return False

    def enable_receiving(self, type, cmd):
        # Called when an upload starts (STOR or APPE): arms at most one fault.
        stor = self.cmd_channel.pending_stor
        self.cmd_channel.pending_stor = None
        if stor is not None and FAULTS.matches(stor):
            options = FAULTS.options
            if FAULTS.take("stor_full"):
                self.fault = ("full", options.stor_full_after)
            elif FAULTS.take("stor_cut"):
                self.fault = ("cut", options.stor_cut_at)
            elif FAULTS.take("stor_stall"):
                self.fault = ("stall", options.stor_stall_at)
        super().enable_receiving(type, cmd)

    def handle_read(self):
        if self.halted:
            return
        if self.fault is None:
            super().handle_read()
            return
        try:
            chunk = self.recv(self.ac_in_buffer_size)
        except OSError:
            self.handle_error()
            return
        room = self.fault[1] - self.tot_bytes_received
        if chunk and room > 0:
            kept = chunk[:room]
            self.tot_bytes_received += len(kept)
            self.file_obj.write(kept)
            self.file_obj.flush()
        if not chunk and self.tot_bytes_received < self.fault[1]:
            self.transfer_finished = True  # the whole upload fitted before the fault
            return
        if self.tot_bytes_received >= self.fault[1]:
            self.halt()

    handle_read_event = handle_read

    def push_with_producer(self, producer):
        # Called when a transfer starts: RETR or a listing. Only RETR arms faults.
        retr = self.cmd_channel.pending_retr
        self.cmd_channel.pending_retr = None
        if retr is not None:
            options = FAULTS.options
            self.throttle = options.throttle or 0
            if FAULTS.matches(retr):
                if FAULTS.take("cut"):
                    self.fault = ("cut", options.cut_at)
                elif FAULTS.take("stall"):
                    self.fault = ("stall", options.stall_at)
        super().push_with_producer(producer)

    def send(self, data):
        if self.halted:
            return 0
        if self.fault is not None:
            room = self.fault[1] - self.tot_bytes_sent
            if room <= 0:
                self.halt()
                return 0
            data = data[:room]
        if self.throttle:
            if self.throttle_start is None:
                self.throttle_start = time.monotonic()
            # Bytes allowed so far, with a burst of a tenth of a second.
            elapsed = time.monotonic() - self.throttle_start
            allowed = int(self.throttle * (elapsed + 0.1)) - self.tot_bytes_sent
            if allowed <= 0:
                self.pause(-allowed / self.throttle + 0.01)
                return 0
            data = data[:allowed]
        sent = super().send(data)
        if self.fault is not None and self.tot_bytes_sent >= self.fault[1]:
            self.halt()
        return sent

    def pause(self, seconds):
        """Stops writing for a while (the socket stays open)."""
        self.del_channel()

        def resume():
            if not self._closed and not self.halted:
                self.add_channel(events=self.ioloop.WRITE)

        self.ioloop.call_later(seconds, resume, _errback=self.handle_error)

    def halt(self):
        """Stops sending for good: at once for a cut, after the stall otherwise."""
        if self.halted:
            return
        self.halted = True
        self.del_channel()
        delay = 0
        if self.fault[0] == "stall":
            delay = FAULTS.options.stor_stall_seconds if self.receive else FAULTS.options.stall_seconds
        self.ioloop.call_later(delay, self.abort, _errback=self.handle_error)

    def abort(self):
        # close() shuts the socket (FIN after the bytes already queued) and
        # then sends _resp on the control connection.
        if not self._closed:
            self.transfer_finished = False
            if self.fault[0] == "full":
                self._resp = ("552 Requested file action aborted. Exceeded storage allocation.", logging.debug)
            else:
                self._resp = ("426 Connection closed; transfer aborted.", logging.debug)
            self.close()


class FaultyFTPHandler(FTPHandler):
    proto_cmds = dict(FTPHandler.proto_cmds)
    proto_cmds["HASH"] = dict(perm="r", auth=True, arg=True, help="Syntax: HASH <SP> file-name (MD5 of the file).")
    dtp_handler = FaultyDTPHandler
    use_sendfile = False
    banner = "faulty_ftpd ready."
    pending_retr = None  # the RETR argument whose transfer has not started yet
    pending_stor = None  # the STOR or APPE argument whose transfer has not started yet

    def handle(self):
        if FAULTS.take("refuse"):
            self.respond("421 Too many connections. Service temporarily unavailable.")
            self.close_when_done()
            return
        super().handle()

    def pre_process_command(self, line, cmd, arg):
        FAULTS.log("PASS ******" if cmd == "PASS" else line)
        super().pre_process_command(line, cmd, arg)

    def ftp_RETR(self, file):
        options = FAULTS.options
        if options.retr_error and FAULTS.matches(file) and FAULTS.take("retr_error"):
            self._restart_position = 0
            if self.data_channel is not None:
                self.data_channel.close()
            code = options.retr_error
            message = RETR_ERROR_MESSAGES.get(code, "Requested action not taken.")
            self.respond(f"{code} {message}")
            return None
        self.pending_retr = file
        result = super().ftp_RETR(file)
        if result is None:  # the file could not be opened: no transfer starts
            self.pending_retr = None
        return result

    def ftp_STOR(self, file, mode="w"):
        options = FAULTS.options
        if options.stor_error and FAULTS.matches(file) and FAULTS.take("stor_error"):
            self._restart_position = 0
            if self.data_channel is not None:
                self.data_channel.close()
            code = options.stor_error
            self.respond(f"{code} {STOR_ERROR_MESSAGES.get(code, 'Requested action not taken.')}")
            return None
        self.pending_stor = file
        result = super().ftp_STOR(file, mode)
        if result is None:  # the file could not be opened: no transfer starts
            self.pending_stor = None
        return result

    def ftp_RNTO(self, path):
        options = FAULTS.options
        if options.rnto_error and FAULTS.take("rnto_error"):
            self._rnfr = None
            self.respond(f"{options.rnto_error} Requested action not taken.")
            return None
        if options.rename_no_replace and os.path.exists(path):
            self._rnfr = None
            self.respond("553 File exists.")
            return None
        return super().ftp_RNTO(path)

    def ftp_HASH(self, path):
        if not FAULTS.options.hash:
            self.respond('500 Command "HASH" not understood.')
            return
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError as err:
            self.respond(f"550 {err.strerror}.")
            return
        digest = "0" * 32 if FAULTS.take("hash_lie") else hashlib.md5(data).hexdigest()
        self.respond(f"213 MD5 0-{len(data)} {digest} {os.path.basename(path)}")

    def ftp_OPTS(self, line):
        if line.upper().startswith("HASH") and FAULTS.options.hash:
            self.respond("200 MD5")
            return
        super().ftp_OPTS(line)

    def ftp_REST(self, line):
        if FAULTS.options.no_rest:
            self.respond("502 Command not implemented.")
            return
        super().ftp_REST(line)

    def ftp_FEAT(self, line):
        if not FAULTS.options.no_rest:
            super().ftp_FEAT(line)
            return
        # FEAT advertises REST STREAM when REST is a known command: hide it.
        self.proto_cmds = {k: v for k, v in type(self).proto_cmds.items() if k != "REST"}
        try:
            super().ftp_FEAT(line)
        finally:
            del self.proto_cmds


def parse_options(argv):
    parser = argparse.ArgumentParser(description="Scriptable FTP server for tests.")
    parser.add_argument("--root", required=True, help="folder served read-only")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--log", help="append one line per received command to this file")
    parser.add_argument("--refuse-login-times", type=int, default=0, metavar="N")
    parser.add_argument("--retr-error", type=int, metavar="CODE")
    parser.add_argument("--retr-error-times", type=int, default=1, metavar="N")
    parser.add_argument("--cut-at", type=int, metavar="BYTES")
    parser.add_argument("--cut-times", type=int, default=1, metavar="N")
    parser.add_argument("--stall-at", type=int, metavar="BYTES")
    parser.add_argument("--stall-seconds", type=float, default=2.0, metavar="S")
    parser.add_argument("--stall-times", type=int, default=1, metavar="N")
    parser.add_argument("--throttle", type=int, metavar="BYTES_PER_SEC")
    parser.add_argument("--no-rest", action="store_true")
    parser.add_argument("--list-size-delta", type=int, default=0, metavar="BYTES",
                        help="LIST and MLSD report matching files BYTES larger (negative: smaller)")
    parser.add_argument("--writer", metavar="USER:PASSWORD")
    parser.add_argument("--stor-error", type=int, metavar="CODE")
    parser.add_argument("--stor-error-times", type=int, default=1, metavar="N")
    parser.add_argument("--stor-full-after", type=int, metavar="BYTES")
    parser.add_argument("--stor-full-times", type=int, default=1, metavar="N")
    parser.add_argument("--stor-cut-at", type=int, metavar="BYTES")
    parser.add_argument("--stor-cut-times", type=int, default=1, metavar="N")
    parser.add_argument("--stor-stall-at", type=int, metavar="BYTES")
    parser.add_argument("--stor-stall-seconds", type=float, default=2.0, metavar="S")
    parser.add_argument("--stor-stall-times", type=int, default=1, metavar="N")
    parser.add_argument("--rename-no-replace", action="store_true")
    parser.add_argument("--rnto-error", type=int, metavar="CODE")
    parser.add_argument("--rnto-error-times", type=int, default=1, metavar="N")
    parser.add_argument("--hash", action="store_true")
    parser.add_argument("--hash-lie", type=int, default=0, metavar="N")
    parser.add_argument("--match", metavar="GLOB")
    options = parser.parse_args(argv)
    if options.retr_error is not None and not 400 <= options.retr_error <= 599:
        parser.error("--retr-error must be a 4xx or 5xx code")
    if options.throttle is not None and options.throttle <= 0:
        parser.error("--throttle must be positive")
    for name in ("cut_at", "stall_at"):
        value = getattr(options, name)
        if value is not None and value < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    return options


def main(argv):
    global FAULTS
    options = parse_options(argv)
    FAULTS = Faults(options)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(options.root, perm="elr")  # list and read only
    if options.writer:
        user, _, password = options.writer.partition(":")
        authorizer.add_user(user, password, options.root, perm="elradfmw")
    FaultyFTPHandler.authorizer = authorizer
    FaultyFTPHandler.abstracted_fs = ListedSizeFS
    FaultyFTPHandler.timeout = 60  # idle control connections end by themselves
    FaultyFTPHandler.auth_failed_timeout = 0.1  # a wrong password's 530 at once (pyftpdlib waits 3 s)
    FaultyDTPHandler.timeout = 60

    server = FTPServer(("127.0.0.1", options.port), FaultyFTPHandler)

    def stop(signum, frame):
        raise SystemExit(0)  # serve_forever catches it and closes every connection

    signal.signal(signal.SIGTERM, stop)
    # A parent may have started us with SIGTERM blocked (threads of test runners do).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    print(f"PORT {server.address[1]}", flush=True)
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main(sys.argv[1:])
