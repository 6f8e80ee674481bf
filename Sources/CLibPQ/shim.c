#include "CLibPQ.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    PGconn *(*connectdb_params)(const char *const *, const char *const *, int);
    ConnStatusType (*status)(const PGconn *);
    char *(*error_message)(const PGconn *);
    void (*finish)(PGconn *);
    int (*server_version)(const PGconn *);
    int (*ssl_in_use)(PGconn *);
    int (*connection_used_password)(const PGconn *);
    PGTransactionStatusType (*transaction_status)(const PGconn *);
    PQnoticeProcessor (*set_notice_processor)(PGconn *, PQnoticeProcessor, void *);
    PQconninfoOption *(*conninfo_parse)(const char *, char **);
    void (*conninfo_free)(PQconninfoOption *);
    void (*freemem)(void *);
    PGresult *(*exec)(PGconn *, const char *);
    PGresult *(*exec_params)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int);
    int (*send_query_params)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int);
    int (*set_single_row_mode)(PGconn *);
    PGresult *(*get_result)(PGconn *);
    ExecStatusType (*result_status)(const PGresult *);
    char *(*result_error_field)(const PGresult *, int);
    char *(*result_error_message)(const PGresult *);
    void (*clear)(PGresult *);
    int (*ntuples)(const PGresult *);
    int (*nfields)(const PGresult *);
    char *(*getvalue)(const PGresult *, int, int);
    int (*getlength)(const PGresult *, int, int);
    int (*getisnull)(const PGresult *, int, int);
    char *(*cmd_tuples)(PGresult *);
    int (*put_copy_data)(PGconn *, const char *, int);
    int (*put_copy_end)(PGconn *, const char *);
    int (*get_copy_data)(PGconn *, char **, int);
    PGcancel *(*get_cancel)(PGconn *);
    int (*cancel)(PGcancel *, char *, int);
    void (*free_cancel)(PGcancel *);
} pq;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static char load_error[512];

static void *symbol(void *library, const char *name) {
    void *address = dlsym(library, name);
    if (address == NULL && load_error[0] == 0) {
        snprintf(load_error, sizeof load_error, "libpq.so.5 has no %s", name);
    }
    return address;
}

static void load(void) {
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error, "%s (PostgreSQL's client library: Debian's libpq5)",
                 reason ? reason : "libpq.so.5 could not be loaded");
        return;
    }
    pq.connectdb_params = symbol(library, "PQconnectdbParams");
    pq.status = symbol(library, "PQstatus");
    pq.error_message = symbol(library, "PQerrorMessage");
    pq.finish = symbol(library, "PQfinish");
    pq.server_version = symbol(library, "PQserverVersion");
    pq.ssl_in_use = symbol(library, "PQsslInUse");
    pq.connection_used_password = symbol(library, "PQconnectionUsedPassword");
    pq.transaction_status = symbol(library, "PQtransactionStatus");
    pq.set_notice_processor = symbol(library, "PQsetNoticeProcessor");
    pq.conninfo_parse = symbol(library, "PQconninfoParse");
    pq.conninfo_free = symbol(library, "PQconninfoFree");
    pq.freemem = symbol(library, "PQfreemem");
    pq.exec = symbol(library, "PQexec");
    pq.exec_params = symbol(library, "PQexecParams");
    pq.send_query_params = symbol(library, "PQsendQueryParams");
    pq.set_single_row_mode = symbol(library, "PQsetSingleRowMode");
    pq.get_result = symbol(library, "PQgetResult");
    pq.result_status = symbol(library, "PQresultStatus");
    pq.result_error_field = symbol(library, "PQresultErrorField");
    pq.result_error_message = symbol(library, "PQresultErrorMessage");
    pq.clear = symbol(library, "PQclear");
    pq.ntuples = symbol(library, "PQntuples");
    pq.nfields = symbol(library, "PQnfields");
    pq.getvalue = symbol(library, "PQgetvalue");
    pq.getlength = symbol(library, "PQgetlength");
    pq.getisnull = symbol(library, "PQgetisnull");
    pq.cmd_tuples = symbol(library, "PQcmdTuples");
    pq.put_copy_data = symbol(library, "PQputCopyData");
    pq.put_copy_end = symbol(library, "PQputCopyEnd");
    pq.get_copy_data = symbol(library, "PQgetCopyData");
    pq.get_cancel = symbol(library, "PQgetCancel");
    pq.cancel = symbol(library, "PQcancel");
    pq.free_cancel = symbol(library, "PQfreeCancel");
}

const char *cpq_load(void) {
    pthread_once(&loaded, load);
    return load_error[0] == 0 ? NULL : load_error;
}

PGconn *cpq_connectdb_params(const char *const *keywords, const char *const *values, int expand_dbname) {
    return pq.connectdb_params(keywords, values, expand_dbname);
}
ConnStatusType cpq_status(const PGconn *conn) { return pq.status(conn); }
char *cpq_error_message(const PGconn *conn) { return pq.error_message(conn); }
void cpq_finish(PGconn *conn) { pq.finish(conn); }
int cpq_server_version(const PGconn *conn) { return pq.server_version(conn); }
int cpq_ssl_in_use(PGconn *conn) { return pq.ssl_in_use(conn); }
int cpq_connection_used_password(const PGconn *conn) { return pq.connection_used_password(conn); }
PGTransactionStatusType cpq_transaction_status(const PGconn *conn) { return pq.transaction_status(conn); }

static void ignore_notice(void *argument, const char *message) {
    (void)argument;
    (void)message;
}
void cpq_silence_notices(PGconn *conn) { pq.set_notice_processor(conn, ignore_notice, NULL); }

PQconninfoOption *cpq_conninfo_parse(const char *conninfo, char **errmsg) { return pq.conninfo_parse(conninfo, errmsg); }
void cpq_conninfo_free(PQconninfoOption *options) { pq.conninfo_free(options); }
void cpq_freemem(void *pointer) { pq.freemem(pointer); }

PGresult *cpq_exec(PGconn *conn, const char *query) { return pq.exec(conn, query); }
PGresult *cpq_exec_params(PGconn *conn, const char *command, int count, const char *const *values,
                          const int *lengths, const int *formats, int result_format) {
    return pq.exec_params(conn, command, count, NULL, values, lengths, formats, result_format);
}
int cpq_send_query_params(PGconn *conn, const char *command, int count, const char *const *values,
                          const int *lengths, const int *formats, int result_format) {
    return pq.send_query_params(conn, command, count, NULL, values, lengths, formats, result_format);
}
int cpq_set_single_row_mode(PGconn *conn) { return pq.set_single_row_mode(conn); }
PGresult *cpq_get_result(PGconn *conn) { return pq.get_result(conn); }
ExecStatusType cpq_result_status(const PGresult *result) { return pq.result_status(result); }
char *cpq_result_error_field(const PGresult *result, int field) { return pq.result_error_field(result, field); }
char *cpq_result_error_message(const PGresult *result) { return pq.result_error_message(result); }
void cpq_clear(PGresult *result) { pq.clear(result); }
int cpq_ntuples(const PGresult *result) { return pq.ntuples(result); }
int cpq_nfields(const PGresult *result) { return pq.nfields(result); }
char *cpq_getvalue(const PGresult *result, int row, int column) { return pq.getvalue(result, row, column); }
int cpq_getlength(const PGresult *result, int row, int column) { return pq.getlength(result, row, column); }
int cpq_getisnull(const PGresult *result, int row, int column) { return pq.getisnull(result, row, column); }
char *cpq_cmd_tuples(PGresult *result) { return pq.cmd_tuples(result); }

int cpq_put_copy_data(PGconn *conn, const char *buffer, int count) { return pq.put_copy_data(conn, buffer, count); }
int cpq_put_copy_end(PGconn *conn, const char *error) { return pq.put_copy_end(conn, error); }
int cpq_get_copy_data(PGconn *conn, char **buffer, int async) { return pq.get_copy_data(conn, buffer, async); }

int cpq_cancel(PGconn *conn, char *error, int size) {
    PGcancel *cancel = pq.get_cancel(conn);
    if (cancel == NULL) return 0;
    int sent = pq.cancel(cancel, error, size);
    pq.free_cancel(cancel);
    return sent;
}
