// `import PubMedMirror` gives the whole library: the composition here and the stages below it
// (their own modules keep the layering checkable; see Package.swift).
@_exported import PubMedCitations
@_exported import PubMedFiles
@_exported import PubMedGzip
@_exported import PubMedIndex
@_exported import PubMedListing
@_exported import PubMedMeSH
@_exported import PubMedPostgreSQL
@_exported import PubMedPublish
@_exported import PubMedQuery
@_exported import PubMedRecords
@_exported import PubMedShards
@_exported import PubMedSupport
@_exported import PubMedTransfer
