// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "pubmed-mirror",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pubmed-mirror", targets: ["pubmed-mirror"]),
        .library(name: "PubMedMirror", targets: ["PubMedMirror"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // libcurl, with one typed wrapper per curl_easy_setopt/getinfo argument kind (Swift cannot
        // call C variadic functions), loaded on first use with dlopen (libcurl4-openssl-dev gives
        // the headers at build time and libcurl.so.4 at run time).
        .target(name: "CCurl"),
        // Linux system calls Swift's Glibc module lacks (sync_file_range).
        .target(name: "CSystem"),
        // Standard streams made safe before the program starts (a closed one gets /dev/null, SIGPIPE
        // is ignored): linked into the executable only.
        .target(name: "CStandardStreams"),
        // FTS5 auxiliary functions for search: bm25 and the year, from the index's searchInfo table.
        .target(
            name: "CSearchRank",
            linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("m")]
        ),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "PubMedMirror",
            dependencies: [
                "CCurl", "CLibXML2", "CZlib", "CSearchRank", "CSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the index writer's hot path (WriterStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "pubmed-mirror",
            dependencies: [
                "PubMedMirror", "CStandardStreams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PubMedMirrorTests",
            dependencies: [
                "PubMedMirror",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
