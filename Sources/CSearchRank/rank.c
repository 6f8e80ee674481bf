#include "CSearchRank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// FTS5's bm25 constants (ext/fts5/fts5_aux.c).
static const double k1 = 1.2;
static const double b = 0.75;

/// Per connection: the connection itself.
typedef struct {
    sqlite3 *db;
} Connection;

/// Per query (FTS5 auxiliary data, freed when the query's cursor closes): the statement the function
/// runs, prepared on first use and finalized with the query (a statement kept past it would keep the
/// connection from closing), the searchInfo row in hand, and the query's phrase statistics.
typedef struct {
    sqlite3_stmt *chunkStatement;   // SELECT chunk, data FROM searchInfo WHERE chunk >= ? ORDER BY chunk
    sqlite3_int64 chunk;            // the chunk of the last row asked for, whose entries `data` holds when `have`
    int have;
    int stride;                     // the bytes of an entry in `data`: CSEARCHRANK_ENTRY_BYTES or CSEARCHRANK_EARLIER_ENTRY_BYTES
    int positioned;                 // chunkStatement is on a row, of chunk `rowChunk`
    sqlite3_int64 rowChunk;
    unsigned char data[CSEARCHRANK_CHUNK_ROWS * CSEARCHRANK_EARLIER_ENTRY_BYTES];
    int phrases;
    double averageLength;
    double *idf;
    double *frequency;
} Query;

static void freeQuery(void *pointer) {
    Query *query = pointer;
    sqlite3_finalize(query->chunkStatement);
    free(query->idf);
    free(query->frequency);
    free(query);
}

static void freeConnection(void *pointer) {
    free(pointer);
}

static Query *queryData(const Fts5ExtensionApi *api, Fts5Context *context) {
    Query *query = api->xGetAuxdata(context, 0);
    if (query) return query;
    query = calloc(1, sizeof(Query));
    if (!query) return NULL;
    query->chunk = -1;
    if (api->xSetAuxdata(context, query, freeQuery) != SQLITE_OK) return NULL;  // xSetAuxdata freed it
    return query;
}

/// Moves the chunk statement to its next row (`positioned` tells whether there is one).
static void stepChunks(Query *query) {
    query->positioned = sqlite3_step(query->chunkStatement) == SQLITE_ROW;
    if (query->positioned) query->rowChunk = sqlite3_column_int64(query->chunkStatement, 0);
}

/// The row's entry in searchInfo (its length), or NULL when there is none.
///
/// FTS5 hands a query's matches over in rowid order, so their chunks come in order too: the
/// statement reads searchInfo forward from the first one, and steps on to the next chunk needed
/// when it is at most 8 chunks ahead rather than looking it up again (a lookup costs several steps).
/// Measured on 1.2 million records, `cancer` in title and abstract (22,080 matches, about 1,100
/// chunks): 6.3 → 5.6 ms ranked in a warm connection.
static const unsigned char *info(Connection *connection, Query *query, sqlite3_int64 rowid) {
    if (rowid < 0) return NULL;  // rowids are article ids, never negative; none has an entry
    sqlite3_int64 chunk = rowid / CSEARCHRANK_CHUNK_ROWS;
    if (query->chunk != chunk) {
        query->chunk = chunk;
        query->have = 0;
        if (!query->chunkStatement &&
            sqlite3_prepare_v2(connection->db, "SELECT chunk, data FROM searchInfo WHERE chunk >= ? ORDER BY chunk", -1,
                               &query->chunkStatement, NULL) != SQLITE_OK) {
            return NULL;
        }
        if (!query->positioned || chunk < query->rowChunk || chunk - query->rowChunk > 8) {
            sqlite3_reset(query->chunkStatement);
            sqlite3_bind_int64(query->chunkStatement, 1, chunk);
            stepChunks(query);
        }
        while (query->positioned && query->rowChunk < chunk) stepChunks(query);
        // A row of the earlier layout (4 bytes an entry: the length, then a year) is read as well,
        // until a writer's migration rewrites it; a row of any other size as none.
        const void *blob = query->positioned && query->rowChunk == chunk ? sqlite3_column_blob(query->chunkStatement, 1) : NULL;
        int bytes = blob ? sqlite3_column_bytes(query->chunkStatement, 1) : 0;
        if (bytes == CSEARCHRANK_CHUNK_ROWS * CSEARCHRANK_ENTRY_BYTES || bytes == CSEARCHRANK_CHUNK_ROWS * CSEARCHRANK_EARLIER_ENTRY_BYTES) {
            memcpy(query->data, blob, bytes);
            query->stride = bytes / CSEARCHRANK_CHUNK_ROWS;
            query->have = 1;
        }
    }
    return query->have ? query->data + (rowid % CSEARCHRANK_CHUNK_ROWS) * query->stride : NULL;
}

static unsigned length(const unsigned char *entry) {
    return entry[0] | (unsigned)entry[1] << 8;
}

static int countRow(const Fts5ExtensionApi *api, Fts5Context *context, void *count) {
    (void)api;
    (void)context;
    (*(sqlite3_int64 *)count)++;
    return SQLITE_OK;
}

/// Whether `scored` (NULL: every phrase scores) marks `phrase` as one that scores.
static int scores(const unsigned char *scored, int phrase) {
    return !scored || (int)strlen((const char *)scored) <= phrase || scored[phrase] != '0';
}

/// bm25's statistics for the query: the average row length and each phrase's IDF. A phrase that
/// `scored` marks with '0' (a MeSH code, a date prefix: a filter, not words) gets no IDF and adds
/// nothing to the score, and is not counted: counting a prefix phrase reads all its postings.
///
/// When one phrase alone scores, its IDF is a factor common to every row's score: it cannot change
/// their order, only the scores' size, which nobody reads. Counting it is a whole pass over the
/// phrase's postings before the first row (for a common word, as long as the search itself), so
/// it is taken as 1 and the scores are bm25's divided by it.
static int statistics(const Fts5ExtensionApi *api, Fts5Context *context, Query *query, const unsigned char *scored) {
    if (query->idf) return SQLITE_OK;
    int phrases = api->xPhraseCount(context);
    int scoring = 0;
    for (int phrase = 0; phrase < phrases; phrase++) scoring += scores(scored, phrase);
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = api->xRowCount(context, &rows);
    if (rc == SQLITE_OK) rc = api->xColumnTotalSize(context, -1, &tokens);
    if (rc != SQLITE_OK) return rc;
    double *idf = calloc(phrases > 0 ? phrases : 1, sizeof(double));
    double *frequency = calloc(phrases > 0 ? phrases : 1, sizeof(double));
    if (!idf || !frequency) {
        free(idf);
        free(frequency);
        return SQLITE_NOMEM;
    }
    for (int phrase = 0; phrase < phrases; phrase++) {
        if (!scores(scored, phrase)) {
            idf[phrase] = 0.0;
            continue;
        }
        if (scoring == 1) {
            idf[phrase] = 1.0;
            continue;
        }
        sqlite3_int64 hits = 0;
        rc = api->xQueryPhrase(context, phrase, &hits, countRow);
        if (rc != SQLITE_OK) {
            free(idf);
            free(frequency);
            return rc;
        }
        double value = log((rows - hits + 0.5) / (hits + 0.5));
        idf[phrase] = value <= 0.0 ? 1e-6 : value;
    }
    // Set only once complete: a later row must not find half of it.
    query->phrases = phrases;
    query->averageLength = rows > 0 ? (double)tokens / (double)rows : 0;
    query->frequency = frequency;
    query->idf = idf;
    return SQLITE_OK;
}

static void pubmedRank(const Fts5ExtensionApi *api, Fts5Context *context, sqlite3_context *result,
                       int count, sqlite3_value **values) {
    Connection *connection = api->xUserData(context);
    Query *query = queryData(api, context);
    if (!query) {
        sqlite3_result_error_nomem(result);
        return;
    }
    // An optional first argument, text: which phrases score ('1') and which only filter ('0').
    const unsigned char *scored = NULL;
    if (count > 0 && sqlite3_value_type(values[0]) == SQLITE_TEXT) {
        scored = sqlite3_value_text(values[0]);
        values++;
        count--;
    }
    int rc = statistics(api, context, query, scored);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(result, rc);
        return;
    }
    // Each scoring phrase's occurrences in this row, weighted by column. bm25 walks xInst, every
    // phrase's occurrences merged in position order (codes too); walking each scoring phrase's own
    // list adds the same weights in the same order (a phrase's occurrences keep their order), so the
    // sums are the same to the bit, without merging the lists or reading the codes' at all.
    for (int phrase = 0; rc == SQLITE_OK && phrase < query->phrases; phrase++) {
        double frequency = 0.0;
        if (query->idf[phrase] != 0.0) {
            Fts5PhraseIter iterator;
            int column = 0, offset = 0;
            rc = api->xPhraseFirst(context, phrase, &iterator, &column, &offset);
            for (; rc == SQLITE_OK && column >= 0; api->xPhraseNext(context, &iterator, &column, &offset)) {
                frequency += column < count ? sqlite3_value_double(values[column]) : 1.0;
            }
        }
        query->frequency[phrase] = frequency;
    }
    double rowLength;
    const unsigned char *entry = rc == SQLITE_OK ? info(connection, query, api->xRowid(context)) : NULL;
    if (entry && length(entry) != 0 && length(entry) != CSEARCHRANK_LENGTH_UNKNOWN) {
        rowLength = length(entry);
    } else if (rc == SQLITE_OK) {
        int tokens = 0;
        rc = api->xColumnSize(context, -1, &tokens);
        rowLength = tokens;
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(result, rc);
        return;
    }
    // The same sum as bm25, term by term, so that the scores are the same to the last bit. A phrase
    // that does not score, or is not in the row, would add exactly +0.0 (its IDF or its frequency is
    // 0, the divisor positive), which leaves the sum as it is: it is skipped, and with it a division
    // (a row of a broad strategy holds one or two of its many phrases).
    double score = 0.0;
    for (int phrase = 0; phrase < query->phrases; phrase++) {
        double frequency = query->frequency[phrase];
        if (frequency == 0.0 || query->idf[phrase] == 0.0) continue;
        score += query->idf[phrase] * ((frequency * (k1 + 1.0)) / (frequency + k1 * (1 - b + b * rowLength / query->averageLength)));
    }
    sqlite3_result_double(result, -1.0 * score);
}

int csearchrank_register(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_pointer(statement, 1, &api, "fts5_api_ptr", NULL);
    sqlite3_step(statement);
    rc = sqlite3_finalize(statement);
    if (rc != SQLITE_OK) return rc;
    if (!api || api->iVersion < 2) return SQLITE_ERROR;
    Connection *connection = calloc(1, sizeof(Connection));
    if (!connection) return SQLITE_NOMEM;
    connection->db = db;
    // The connection's data goes with the function, when the connection closes.
    return api->xCreateFunction(api, "pubmed_rank", connection, pubmedRank, freeConnection);
}
