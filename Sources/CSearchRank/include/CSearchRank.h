#ifndef PUBMED_MIRROR_CSEARCHRANK_H
#define PUBMED_MIRROR_CSEARCHRANK_H
// An FTS5 auxiliary function for the index's articleSearch table, registered on each connection.
// https://www.sqlite.org/fts5.html#custom_auxiliary_functions
//
//   pubmed_rank(articleSearch, w0, ..., wN)  exactly FTS5's bm25(articleSearch, w0, ..., wN) when two
//                                            or more phrases score; with one, bm25 divided by its IDF
//                                            (the same order, without a pass to count the phrase's rows)
//   pubmed_rank(articleSearch, 'mask', w0, ...)  the same over the phrases the mask marks '1' (the
//                                            others, '0', are filters: they neither score nor are counted)
//
// bm25 reads each matched row's length (in tokens) from the %_docsize table, one B-tree search a
// row: on a common word that is most of a query's time. This reads it from `searchInfo`, where the
// index keeps it for 1024 rows at a time (2 bytes a row, little-endian; see SearchInfo.swift), so a
// query over thousands of matches in rowid order reads a few hundred rows of it (rows of the earlier
// layout, 4 bytes a row with the year, are read too). An entry that is missing or not filled falls
// back to the exact slow way (xColumnSize), so the results never depend on it.
#include <sqlite3.h>

/// Rows of articleSearch that one searchInfo row describes.
#define CSEARCHRANK_CHUNK_ROWS 1024
/// The searchInfo length of a row of 65,535 or more tokens: its length is read from %_docsize.
#define CSEARCHRANK_LENGTH_UNKNOWN 0xFFFF
/// The bytes of one row's searchInfo entry.
#define CSEARCHRANK_ENTRY_BYTES 2
/// The bytes of an entry in the earlier layout (the length, then a year), read until a writer's
/// migration rewrites it.
#define CSEARCHRANK_EARLIER_ENTRY_BYTES 4

/// Registers the function on `db`; returns an SQLite result code.
int csearchrank_register(sqlite3 *db);

#endif
