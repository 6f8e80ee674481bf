import Crypto

extension Insecure.MD5Digest {
    /// The digest as `md5sum` and NCBI's `.md5` files write it: 32 lower-case hex digits.
    package var hex: String { map { String(format: "%02x", $0) }.joined() }
}
