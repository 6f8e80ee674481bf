internal import CCurl
import Foundation

extension TransferSession {
    /// Turns a failed libcurl request into a `TransferError`: the one place where CURLcodes, FTP
    /// replies and HTTP statuses are read. Outcomes seen on these machines are in FOUNDATIONS.md.
    func classify(_ code: CURLcode, url: URL, monitor: TransferMonitor, sink: ResponseSink) -> TransferError {
        let shown = Self.redacted(url)
        let response = easyResponseCode
        let curlCode = Int(code.rawValue)
        let detail = easyMessage(code)
        func error(_ kind: TransferError.Kind, _ scope: TransferError.Scope, _ summary: String,
                   advice: String? = nil, retryAfter: Double? = nil) -> TransferError {
            TransferError(kind: kind, scope: scope, url: shown, summary: summary, advice: advice,
                          retryAfter: retryAfter, curlCode: curlCode, responseCode: response == 0 ? nil : response)
        }

        if code == CURLE_ABORTED_BY_CALLBACK {
            if monitor.stalled {
                return error(.transient, .file, "no data for \(Self.seconds(options.stallTimeout)) (stalled)",
                             advice: "raise --stall-timeout if the link is very slow")
            }
            return error(.cancelled, .run, "cancelled")
        }
        if code == CURLE_WRITE_ERROR, let memory = sink as? MemorySink, memory.overflowed {
            return error(.permanent, .file, "the response is larger than \(memory.limit) bytes, far more than such a file can be")
        }

        if source.isFTP, response > 0 {
            switch response {
            case 421:
                return error(.transient, .file, "the FTP server refused the connection (421: \(detail))",
                             advice: "it has too many connections; lower --jobs if this persists")
            case 425, 426, 450, 451, 452:
                return error(.transient, .file, "FTP reply \(response) (\(detail))")
            case 530, 532:
                return error(.permanent, .run, "the FTP server refused the login (\(response))",
                             advice: "NCBI needs no login; check PUBMED_MIRROR_USER and PUBMED_MIRROR_PASSWORD")
            case 550, 551, 553:
                return error(.permanent, .file, "not found on the FTP server (\(response))")
            case 500...504 where code == CURLE_FTP_COULDNT_RETR_FILE || code == CURLE_QUOTE_ERROR:
                return error(.permanent, .file, "the FTP server does not support the command (\(response))")
            default:
                break
            }
        }
        if code == CURLE_HTTP_RETURNED_ERROR {
            switch response {
            case 408, 429, 500...599:
                let after = Double(easyRetryAfter)
                return error(.transient, .file, "HTTP \(response)", retryAfter: after > 0 ? after : nil)
            case 401, 403, 407:
                return error(.permanent, .run, "HTTP \(response): access refused",
                             advice: "NCBI needs no login; check the URL and PUBMED_MIRROR_USER / PUBMED_MIRROR_PASSWORD")
            case 404, 410:
                return error(.permanent, .file, "HTTP \(response): not found on the server")
            case 416:
                return error(.permanent, .file, "HTTP 416: the server cannot send that byte range")
            default:
                return error(.permanent, .file, "HTTP \(response)")
            }
        }

        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return error(.transient, .run, "the host name cannot be resolved (\(detail))",
                         advice: "check --source and this machine's DNS")
        case CURLE_COULDNT_CONNECT:
            return error(.transient, .file, "cannot connect (\(detail))")
        case CURLE_OPERATION_TIMEDOUT:
            return error(.transient, .file, "timed out (\(detail))",
                         advice: "see --connect-timeout and --stall-timeout")
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
             CURLE_SSL_CONNECT_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_FTP_WEIRD_PASV_REPLY,
             CURLE_FTP_WEIRD_227_FORMAT, CURLE_FTP_CANT_GET_HOST, CURLE_FTP_ACCEPT_FAILED,
             CURLE_FTP_ACCEPT_TIMEOUT, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_FTP_PORT_FAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_AGAIN:
            return error(.transient, .file, "the connection failed (\(detail))")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CERTPROBLEM, CURLE_SSL_INVALIDCERTSTATUS:
            return error(.permanent, .run, "the server's TLS certificate is not trusted (\(detail))",
                         advice: "add its certificate authority with --ca-file, or use --insecure only if you accept the risk")
        case CURLE_USE_SSL_FAILED:
            return error(.permanent, .run, "the server does not offer TLS (\(detail))",
                         advice: "use ftp:// instead of ftps:// if the server has no TLS")
        case CURLE_LOGIN_DENIED:
            return error(.permanent, .run, "the server refused the login",
                         advice: "check PUBMED_MIRROR_USER and PUBMED_MIRROR_PASSWORD")
        case CURLE_REMOTE_FILE_NOT_FOUND, CURLE_FILE_COULDNT_READ_FILE:
            return error(.permanent, .file, "not found on the server")
        case CURLE_REMOTE_ACCESS_DENIED:
            return error(.permanent, .file, "access denied or no such folder (\(detail))")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_TOO_MANY_REDIRECTS:
            return error(.permanent, .run, detail, advice: "check --source")
        case CURLE_FTP_COULDNT_RETR_FILE:
            return error(.transient, .file, "the FTP server did not send the file (\(detail))")
        default:
            return error(.transient, .file, detail)
        }
    }

    private var easyResponseCode: Int { easyHandle.infoInt(CURLINFO_RESPONSE_CODE) }
    private var easyRetryAfter: Int64 { easyHandle.infoOffset(CURLINFO_RETRY_AFTER) }
    private func easyMessage(_ code: CURLcode) -> String { easyHandle.message(for: code) }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
