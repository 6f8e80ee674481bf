#ifndef PUBMED_MIRROR_CLIBPQ_H
#define PUBMED_MIRROR_CLIBPQ_H
// libpq, PostgreSQL's own client library, loaded on first use (cpq_load) like libcurl: the
// embedded SQLite index is the default, and commands that never reach a PostgreSQL server do not
// pay for dynamic linking libpq and the libraries it pulls in (TLS, Kerberos, LDAP), nor need them
// installed. Every function below goes through the loaded library; callers load first.
// https://www.postgresql.org/docs/15/libpq.html
#include <postgresql/libpq-fe.h>

/// Loads libpq (once; later calls return at once): NULL when it is ready, else why it could not be loaded.
const char *cpq_load(void);

PGconn *cpq_connectdb_params(const char *const *keywords, const char *const *values, int expand_dbname);
ConnStatusType cpq_status(const PGconn *conn);
char *cpq_error_message(const PGconn *conn);
void cpq_finish(PGconn *conn);
int cpq_server_version(const PGconn *conn);
int cpq_ssl_in_use(PGconn *conn);
int cpq_connection_used_password(const PGconn *conn);
PGTransactionStatusType cpq_transaction_status(const PGconn *conn);
/// Notices (NOTICE, WARNING from the server) are dropped rather than printed on stderr.
void cpq_silence_notices(PGconn *conn);

PQconninfoOption *cpq_conninfo_parse(const char *conninfo, char **errmsg);
void cpq_conninfo_free(PQconninfoOption *options);
void cpq_freemem(void *pointer);

PGresult *cpq_exec(PGconn *conn, const char *query);
PGresult *cpq_exec_params(PGconn *conn, const char *command, int count, const char *const *values,
                          const int *lengths, const int *formats, int result_format);
int cpq_send_query_params(PGconn *conn, const char *command, int count, const char *const *values,
                          const int *lengths, const int *formats, int result_format);
int cpq_set_single_row_mode(PGconn *conn);
PGresult *cpq_get_result(PGconn *conn);
ExecStatusType cpq_result_status(const PGresult *result);
char *cpq_result_error_field(const PGresult *result, int field);
char *cpq_result_error_message(const PGresult *result);
void cpq_clear(PGresult *result);
int cpq_ntuples(const PGresult *result);
int cpq_nfields(const PGresult *result);
char *cpq_getvalue(const PGresult *result, int row, int column);
int cpq_getlength(const PGresult *result, int row, int column);
int cpq_getisnull(const PGresult *result, int row, int column);
char *cpq_cmd_tuples(PGresult *result);

int cpq_put_copy_data(PGconn *conn, const char *buffer, int count);
int cpq_put_copy_end(PGconn *conn, const char *error);
/// A row of COPY TO STDOUT: its length (the row in *buffer, freed with cpq_freemem), -1 at the end, -2 on failure.
int cpq_get_copy_data(PGconn *conn, char **buffer, int async);

/// Asks the server to cancel the command running on `conn` (from another thread): 1 when the request was sent.
int cpq_cancel(PGconn *conn, char *error, int size);

#endif
