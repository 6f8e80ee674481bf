internal import CCurl
import Foundation
import PubMedSupport

/// The facts of one failed libcurl request, gathered once (`TransferSession.failure`), so that
/// classifying them is a pure function, tested as a table.
struct FailedRequest: Sendable, Equatable {
    /// libcurl's CURLcode, as its documented number (https://curl.se/libcurl/c/libcurl-errors.html).
    var curlCode: Int
    /// The last FTP reply or HTTP status; 0 when there was none.
    var responseCode: Int = 0
    var isFTP: Bool
    var isSFTP = false
    /// The server is a `publish` target.
    var isTarget = false
    /// The request sent a file (STOR, APPE, an SFTP write) or ran commands that change the server.
    var isUpload = false
    /// The request only ran commands (a rename, a deletion, HASH): a refusal concerns that file.
    var isCommand = false
    /// The progress callback aborted the request because no byte came for `stallTimeout`.
    var stalled = false
    /// A connection to the server was made (libcurl's connect time is not 0): a timeout without one
    /// is the connect timeout, the server unreachable, as much as a refused connection is.
    var connected = true
    /// The in-memory response outgrew this limit (CURLE_WRITE_ERROR from the memory sink).
    var overflowLimit: Int?
    /// libcurl's detailed message.
    var detail: String
    /// HTTP Retry-After, in seconds; 0 when not given.
    var retryAfter: Int64 = 0
    /// The URL, without credentials.
    var url: String
    var stallTimeout: Double
}

extension TransferError {
    /// The one place where CURLcodes, FTP replies and HTTP statuses are read: whether to retry, how
    /// far the failure reaches, its code and what would help. Outcomes seen on these machines are
    /// in FOUNDATIONS.md.
    static func classify(_ failed: FailedRequest) -> TransferError {
        let code = failed.curlCode
        let response = failed.responseCode
        func error(_ kind: Kind, _ scope: Scope, _ errorCode: ErrorCode, _ summary: String,
                   advice: [Advice] = [], retryAfter: Double? = nil) -> TransferError {
            make(failed, kind, scope, errorCode, summary, advice: advice, retryAfter: retryAfter)
        }
        func curl(_ value: CURLcode) -> Int { Int(value.rawValue) }

        if code == curl(CURLE_ABORTED_BY_CALLBACK) {
            if failed.stalled {
                return error(.transient, .file, .transferStalled, "no data for \(Self.seconds(failed.stallTimeout)) (stalled)",
                             advice: [.raiseStallTimeout])
            }
            return error(.cancelled, .run, .cancelled, "cancelled")
        }
        if code == curl(CURLE_WRITE_ERROR), let limit = failed.overflowLimit {
            return error(.permanent, .file, .transferResponseTooLarge, "the response is larger than \(limit) bytes, far more than such a file can be")
        }
        if failed.isUpload, let classified = classifyUploadFailure(failed) {
            return classified
        }
        if failed.isFTP, response > 0, let classified = classifyFTPReply(failed) {
            return classified
        }
        if code == curl(CURLE_HTTP_RETURNED_ERROR) {
            switch response {
            case 408, 429, 500...599:
                return error(.transient, .file, .transferServerError, "HTTP \(response)",
                             retryAfter: failed.retryAfter > 0 ? Double(failed.retryAfter) : nil)
            case 401, 403, 407:
                return error(.permanent, .run, .transferLoginRefused, "HTTP \(response): access refused", advice: [.checkCredentials, .checkSource])
            case 404, 410:
                return error(.permanent, .file, .transferNotFound, "HTTP \(response): not found on the server")
            case 416:
                return error(.permanent, .file, .transferRefused, "HTTP 416: the server cannot send that byte range")
            case 300...399:
                return error(.permanent, .file, .transferRefused, "HTTP \(response): a redirect that cannot be followed (no Location, or to a place not allowed)",
                             advice: [.checkSource])
            default:
                return error(.permanent, .file, .transferRefused, "HTTP \(response)")
            }
        }
        return classifyCurlCode(failed)
    }

    private static func make(_ failed: FailedRequest, _ kind: Kind, _ scope: Scope, _ code: ErrorCode, _ summary: String,
                             advice: [Advice] = [], retryAfter: Double? = nil) -> TransferError {
        // A publish target's login is the user's own, not NCBI's.
        let advice = failed.isTarget ? advice.map { $0 == .checkCredentials ? .checkTargetCredentials : $0 } : advice
        return TransferError(kind: kind, scope: scope, code: code, url: failed.url, summary: summary, advice: advice, retryAfter: retryAfter,
                      curlCode: failed.curlCode, responseCode: failed.responseCode == 0 ? nil : failed.responseCode)
    }

    /// FTP replies that say more than the CURLcode that came with them; nil for the others.
    private static func classifyFTPReply(_ failed: FailedRequest) -> TransferError? {
        let response = failed.responseCode
        let detail = failed.detail
        func error(_ kind: Kind, _ scope: Scope, _ code: ErrorCode, _ summary: String, advice: [Advice] = []) -> TransferError {
            make(failed, kind, scope, code, summary, advice: advice)
        }
        switch response {
        case 421:
            return error(.transient, .file, .transferTooManyConnections, "the FTP server refused the connection (421: \(detail))", advice: [.lowerJobs])
        case 425, 426, 450, 451, 452:
            return error(.transient, .file, .transferServerError, "FTP reply \(response) (\(detail))")
        case 530, 532:
            return error(.permanent, .run, .transferLoginRefused, "the FTP server refused the login (\(response))", advice: [.checkCredentials])
        case 550, 551, 553:
            return error(.permanent, .file, .transferNotFound, "not found on the FTP server (\(response))")
        case 500...504 where failed.curlCode == Int(CURLE_FTP_COULDNT_RETR_FILE.rawValue) || failed.curlCode == Int(CURLE_QUOTE_ERROR.rawValue):
            return error(.permanent, .file, .transferUnsupported, "the FTP server does not support the command (\(response))")
        default:
            return nil
        }
    }

    /// Refusals that only a write meets (FTP 552, 553, 550 and their SFTP equivalents); nil for
    /// the others, which read like a download's.
    private static func classifyUploadFailure(_ failed: FailedRequest) -> TransferError? {
        let detail = failed.detail
        func error(_ scope: Scope, _ code: ErrorCode, _ summary: String, advice: [Advice] = []) -> TransferError {
            make(failed, .permanent, scope, code, summary, advice: advice)
        }
        if failed.isFTP {
            switch failed.responseCode {
            case 552:
                return error(.run, .transferStorageFull, "the FTP server has no room for the file (552: \(detail))", advice: [.freeTargetSpace])
            case 553:
                return error(.file, .transferNameRefused, "the FTP server does not allow this file name (553: \(detail))", advice: [.checkTargetPermissions])
            case 550:
                // A STOR or MKD refused: every file would be; a rename or deletion refused: this one.
                return error(failed.isCommand ? .file : .run, .transferWriteRefused, "the FTP server refused to write here (550: \(detail))",
                             advice: [.checkTargetPermissions])
            default:
                return nil
            }
        }
        switch CURLcode(rawValue: UInt32(failed.curlCode)) {
        case CURLE_REMOTE_DISK_FULL:
            return error(.run, .transferStorageFull, "the server has no room for the file (\(detail))", advice: [.freeTargetSpace])
        case CURLE_REMOTE_ACCESS_DENIED:
            return error(.run, .transferWriteRefused, "the server refused to write here (\(detail))", advice: [.checkTargetPermissions])
        case CURLE_QUOTE_ERROR:
            return error(.file, .transferWriteRefused, "the server refused a rename or deletion (\(detail))", advice: [.checkTargetPermissions])
        case CURLE_SSH where failed.isSFTP && !failed.isCommand:
            // OpenSSH's SFTP (version 3) reports a full disk, a quota or a refused write as a plain
            // failure: retried (it may pass), then this file fails; what is in place stays whole.
            return make(failed, .transient, .file, .transferWriteFailed,
                        "the SFTP server failed the write and does not say why: a full disk, a quota or permissions (\(detail))",
                        advice: [.freeTargetSpace, .checkTargetPermissions])
        default:
            return nil
        }
    }

    private static func classifyCurlCode(_ failed: FailedRequest) -> TransferError {
        let detail = failed.detail
        func error(_ kind: Kind, _ scope: Scope, _ code: ErrorCode, _ summary: String, advice: [Advice] = []) -> TransferError {
            make(failed, kind, scope, code, summary, advice: advice)
        }
        switch CURLcode(rawValue: UInt32(failed.curlCode)) {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return error(.transient, .run, .transferUnresolvedHost, "the host name cannot be resolved (\(detail))", advice: [.checkSourceAndDNS])
        case CURLE_COULDNT_CONNECT:
            return error(.transient, .file, .transferCannotConnect, "cannot connect (\(detail))")
        case CURLE_OPERATION_TIMEDOUT where !failed.connected:
            // Packets dropped rather than refused (a firewall, a route gone): no connection within
            // the connect timeout. Counted as unreachable, so three files in a row stop the run.
            return error(.transient, .file, .transferCannotConnect, "cannot connect: no connection within the connect timeout (\(detail))",
                         advice: [.checkTimeouts])
        case CURLE_OPERATION_TIMEDOUT:
            return error(.transient, .file, .transferTimedOut, "timed out (\(detail))", advice: [.checkTimeouts])
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
             CURLE_SSL_CONNECT_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_FTP_WEIRD_PASV_REPLY,
             CURLE_FTP_WEIRD_227_FORMAT, CURLE_FTP_CANT_GET_HOST, CURLE_FTP_ACCEPT_FAILED,
             CURLE_FTP_ACCEPT_TIMEOUT, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_FTP_PORT_FAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_AGAIN:
            return error(.transient, .file, .transferFailed, "the connection failed (\(detail))")
        case CURLE_PEER_FAILED_VERIFICATION where failed.isSFTP, CURLE_SSH where failed.isSFTP && detail.contains("fingerprint"):
            return error(.permanent, .run, .transferHostKeyUnverified, "the server's SSH host key is not the one the known-hosts file holds for it (\(detail))",
                         advice: [.addKnownHost])
        case CURLE_LOGIN_DENIED where failed.isSFTP:
            return error(.permanent, .run, .transferLoginRefused, "the SSH server refused the login (\(detail))", advice: [.checkSSHCredentials])
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CERTPROBLEM, CURLE_SSL_INVALIDCERTSTATUS:
            return error(.permanent, .run, .transferTLSUntrusted, "the server's TLS certificate is not trusted (\(detail))", advice: [.trustCertificate])
        case CURLE_USE_SSL_FAILED:
            return error(.permanent, .run, .transferNoTLS, "the server does not offer TLS (\(detail))", advice: [.usePlainFTP])
        case CURLE_LOGIN_DENIED:
            return error(.permanent, .run, .transferLoginRefused, "the server refused the login", advice: [.checkCredentials])
        case CURLE_REMOTE_FILE_NOT_FOUND, CURLE_FILE_COULDNT_READ_FILE:
            return error(.permanent, .file, .transferNotFound, "not found on the server")
        case CURLE_REMOTE_ACCESS_DENIED:
            return error(.permanent, .file, .transferNotFound, "access denied or no such folder (\(detail))")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_TOO_MANY_REDIRECTS:
            return error(.permanent, .run, .transferBadURL, detail, advice: [.checkSource])
        case CURLE_FTP_COULDNT_RETR_FILE:
            return error(.transient, .file, .transferFailed, "the FTP server did not send the file (\(detail))")
        default:
            return error(.transient, .file, .transferFailed, detail)
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}

extension TransferSession {
    /// The facts of the request that just failed with `code`, for `TransferError.classify`.
    func failure(_ code: CURLcode, url: URL, monitor: TransferMonitor, sink: ResponseSink, isUpload: Bool = false,
                 isCommand: Bool = false) -> FailedRequest {
        let memory = sink as? MemorySink
        return FailedRequest(curlCode: Int(code.rawValue), responseCode: easy.infoInt(CURLINFO_RESPONSE_CODE), isFTP: source.isFTP,
                             isSFTP: source.isSFTP, isTarget: options.role == .target, isUpload: isUpload, isCommand: isCommand, stalled: monitor.stalled,
                             connected: easy.infoOffset(CURLINFO_CONNECT_TIME_T) > 0, overflowLimit: memory?.overflowed == true ? memory?.limit : nil,
                             detail: easy.message(for: code), retryAfter: easy.infoOffset(CURLINFO_RETRY_AFTER),
                             url: Self.redacted(url), stallTimeout: options.stallTimeout)
    }
}
