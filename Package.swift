// swift-tools-version: 6.1
import PackageDescription

// One target per pipeline stage, so that the compiler holds the stages to the one-way layering the
// README's development section draws (Tests/…/Architecture/StageDependencyTests checks the imports too):
//
//   Support ← Listing ← Transfer ← Files ┐
//                          Files ← Publish ┤ (uploads to an internal FTP/SFTP server)
//   Support ← Gzip ← Records ← Index ────┤
//                    Index, Gzip ← Shards ┤ (export --shards: NDJSON parts for cluster engines)
//   Support ← Query ← Index               │
//                    Index ← PostgreSQL ──┤ (the shared store: --database postgresql://…)
//   Records ← Citations ─────────────────┤ (MEDLINE, RIS, BibTeX, CSL-JSON)
//   Support ← Gzip ← MeSH ───────────────┴─ PubMedMirror (fetch = plan, download, index) ← CLI ← pubmed-mirror
//                                            PubMedMirror ← Server ┐    CLI ← pubmed-mirror-serve (`serve`:
//                                                                  └──────── NCBI's E-utilities on Hummingbird)
let swiftLog = Target.Dependency.product(name: "Logging", package: "swift-log")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")

let package = Package(
    name: "pubmed-mirror",
    products: [
        .executable(name: "pubmed-mirror", targets: ["pubmed-mirror"]),
        .executable(name: "pubmed-mirror-serve", targets: ["pubmed-mirror-serve"]),
        .library(name: "PubMedMirror", targets: ["PubMedMirror"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // `serve`: Hummingbird 2 on SwiftNIO, without its default traits (swift-configuration and
        // the parts that need all of Foundation), which the server does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Hummingbird's own event loops; the server's reader threads are NIOPosix's thread pool.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // Hummingbird's own service group, run by the server with a bound on its graceful shutdown.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Tests only: children started without blocking a thread, both pipes read at once.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // C modules. libcurl, with one typed wrapper per curl_easy_setopt/getinfo argument kind (Swift
        // cannot call C variadic functions), loaded on first use with dlopen (libcurl4-openssl-dev
        // gives the headers at build time and libcurl.so.4 at run time).
        .target(name: "CCurl"),
        // libpq, PostgreSQL's client library, loaded on first use like libcurl (libpq-dev gives the
        // headers at build time, libpq5 the library at run time): only `--database` needs it.
        .target(name: "CLibPQ"),
        // Linux system calls Swift's Glibc module lacks (sync_file_range, per-thread nice).
        .target(name: "CLinux"),
        // Standard streams made safe before the program starts (a closed one gets /dev/null, SIGPIPE
        // is ignored): linked into the executable only.
        .target(name: "CStandardStreams"),
        // FTS5 auxiliary functions for search: bm25 and the year, from the index's searchInfo table.
        .target(name: "CSearchRank", linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("m")]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The stages.
        .target(name: "PubMedSupport", dependencies: ["CLinux", "CLibXML2", crypto, grdb], path: "Sources/Support"),
        .target(name: "PubMedListing", dependencies: ["PubMedSupport", "CLibXML2"], path: "Sources/Listing"),
        .target(name: "PubMedTransfer", dependencies: ["PubMedListing", "PubMedSupport", "CCurl", "CLinux", crypto],
                path: "Sources/Transfer"),
        .target(name: "PubMedFiles", dependencies: ["PubMedTransfer", "PubMedListing", "PubMedSupport", grdb, swiftLog],
                path: "Sources/Files"),
        .target(name: "PubMedGzip", dependencies: ["PubMedSupport", "CZlib", crypto], path: "Sources/Gzip"),
        .target(name: "PubMedRecords", dependencies: ["PubMedGzip", "PubMedSupport", "CLibXML2", crypto], path: "Sources/Records"),
        // PubMed's query language, parsed into a tree the stores translate.
        .target(name: "PubMedQuery", dependencies: ["PubMedSupport"], path: "Sources/Query"),
        .target(
            name: "PubMedIndex",
            dependencies: [
                "PubMedRecords", "PubMedQuery", "PubMedGzip", "PubMedSupport", "CSearchRank", grdb, swiftLog,
                // SQLite's C API, for the index writer's hot path (WriterStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Sources/Index"
        ),
        // Records as citations: MEDLINE text, RIS, BibTeX and CSL-JSON, rendered from the record alone.
        .target(name: "PubMedCitations", dependencies: ["PubMedRecords"], path: "Sources/Citations"),
        // The MeSH thesaurus: NLM's descriptor file parsed (libxml2) into an SQLite file of names,
        // entry terms and tree numbers, for MeSH explosion in queries.
        .target(name: "PubMedMeSH", dependencies: ["PubMedGzip", "PubMedSupport", "CLibXML2", crypto, grdb], path: "Sources/MeSH"),
        // `publish`: the verified files copied to an internal FTP, FTPS or SFTP server in NCBI's layout.
        .target(name: "PubMedPublish", dependencies: ["PubMedFiles", "PubMedTransfer", "PubMedListing", "PubMedSupport", swiftLog],
                path: "Sources/Publish"),
        // `export --shards`: the index as gzip-compressed NDJSON parts and a manifest, for DuckDB, Spark, BigQuery.
        .target(name: "PubMedShards", dependencies: ["PubMedIndex", "PubMedGzip", "PubMedSupport", "CLinux", crypto], path: "Sources/Shards"),
        // The shared store: the index in a PostgreSQL database (`--database`), behind `RecordStore`.
        .target(name: "PubMedPostgreSQL", dependencies: ["PubMedFiles", "PubMedIndex", "PubMedQuery", "PubMedRecords", "PubMedListing", "PubMedSupport", "CLibPQ"],
                path: "Sources/PostgreSQL"),
        // Where the mirror's files and its index meet: fetch (plan, download, then index), the
        // index runs and the annual rollover, status.
        .target(
            name: "PubMedMirror",
            dependencies: ["PubMedFiles", "PubMedPublish", "PubMedIndex", "PubMedPostgreSQL", "PubMedShards", "PubMedQuery", "PubMedCitations", "PubMedMeSH", "PubMedRecords", "PubMedTransfer", "PubMedListing", "PubMedSupport", swiftLog],
            path: "Sources/PubMedMirror"
        ),
        // `serve`: a resident HTTP server over the index that speaks NCBI's E-utilities.
        .target(
            name: "PubMedServer",
            dependencies: [
                "PubMedMirror", swiftLog,
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Server"
        ),
        // The command line as a library, so that tests parse arguments in-process.
        .target(
            name: "PubMedMirrorCLI",
            dependencies: ["PubMedMirror", .product(name: "ArgumentParser", package: "swift-argument-parser"), swiftLog],
            path: "Sources/CLI"
        ),
        .executableTarget(name: "pubmed-mirror", dependencies: ["PubMedMirrorCLI", "CStandardStreams"]),
        // `pubmed-mirror serve` execs this one (beside it) with the same arguments: the server's
        // libraries stay out of the binary every search and show starts.
        .executableTarget(name: "pubmed-mirror-serve", dependencies: ["PubMedMirrorCLI", "PubMedServer", "CStandardStreams"]),

        .testTarget(
            name: "PubMedMirrorTests",
            dependencies: [
                "PubMedMirrorCLI", "PubMedServer", "PubMedMirror", "PubMedPublish", "PubMedPostgreSQL", "PubMedShards", "PubMedFiles", "PubMedIndex", "PubMedQuery", "PubMedCitations", "PubMedMeSH", "PubMedRecords", "PubMedGzip",
                "PubMedTransfer", "PubMedListing", "PubMedSupport", swiftLog, grdb, crypto,
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
