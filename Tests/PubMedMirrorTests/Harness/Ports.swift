import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Ports

extension LoopbackServer {
    #if canImport(Darwin)
    static let streamSocketType = SOCK_STREAM
    #else
    static let streamSocketType = Int32(SOCK_STREAM.rawValue)
    #endif

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }

    /// Binds `port` on 127.0.0.1 (0: any) and returns the port bound, or nil if it is taken.
    static func bindablePort(_ port: Int) -> Int? {
        let descriptor = socket(AF_INET, streamSocketType, 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = loopbackAddress(port: port)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, size) }
        }
        guard bound == 0 else { return nil }
        var length = size
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port the kernel just called free (there is a small window before the server binds it).
    static func freePort() throws -> Int {
        guard let port = bindablePort(0) else {
            throw LoopbackServerError("could not bind a port on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        return port
    }

    /// `count` consecutive free ports for passive data connections, below the kernel's
    /// ephemeral range (32768 and up) so that client sockets never land there.
    static func freePortRange(count: Int) throws -> ClosedRange<Int> {
        for _ in 0..<100 {
            let start = Int.random(in: 20_000...(32_000 - count))
            let range = start...(start + count - 1)
            if range.allSatisfy({ bindablePort($0) != nil }) {
                return range
            }
        }
        throw LoopbackServerError("found no \(count) free consecutive ports for passive FTP")
    }

    /// True if /proc/net/tcp shows a socket listening on 127.0.0.1 or 0.0.0.0 at `port`.
    static func isListening(port: Int) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else {
            return acceptsConnections(port: port)  // not Linux: probe instead
        }
        let hexPort = String(format: "%04X", port)
        let listening = "0A"
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3 else { continue }
            let local = fields[1]
            if (local == "0100007F:\(hexPort)" || local == "00000000:\(hexPort)") && fields[3] == listening {
                return true
            }
        }
        return false
    }
}
