import CLibPQ
import PubMedSupport

/// libpq, which is loaded when it is first needed (`cpq_load`, once a process): so that a command
/// that uses the SQLite index never loads it, nor the twenty libraries it needs (OpenSSL, Kerberos,
/// LDAP, GnuTLS…), and runs where libpq is not installed.
public enum PostgreSQLClientLibrary {
    /// Starts loading libpq on a thread of its own, for a command that will need it: the loading
    /// (2–3 ms, most of it the dynamic linker's work on those libraries) then overlaps with the
    /// parsing of the command line (about 3 ms) instead of following it. The first use waits for
    /// the load if it is not done (`pthread_once`); a library that cannot be loaded is reported by
    /// that use, as before.
    public static func startLoading() {
        BlockingThreads.start("load libpq") { _ = cpq_load() }
    }
}
