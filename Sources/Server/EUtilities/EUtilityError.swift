/// A request the E-utilities refuse, with NCBI's own words where NCBI has them ("Empty id list -
/// nothing todo"). It is answered in the utility's own shape (`<eSearchResult><ERROR>…`, or
/// `{"esearchresult":{"ERROR":…}}`) with HTTP status 400, so that a client that reads the body and
/// one that reads only the status both see it.
enum EUtilityError: Error, Sendable, Equatable {
    /// The request cannot be answered as asked: a missing or bad parameter, a query that cannot be read.
    case badRequest(String)
    /// A `WebEnv` or `query_key` the history does not hold (expired, or never made here).
    case unknownHistory(String)

    var message: String {
        switch self {
        case .badRequest(let message), .unknownHistory(let message): message
        }
    }
}
