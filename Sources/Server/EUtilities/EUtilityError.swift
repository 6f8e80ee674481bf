/// A request the E-utilities refuse, with NCBI's own words where NCBI has them ("Empty id list -
/// nothing todo"). It is answered in the utility's own shape (`<eSearchResult><ERROR>…`, or
/// `{"esearchresult":{"ERROR":…}}`) with HTTP status 400, so that a client that reads the body and
/// one that reads only the status both see it; `busy` with 503 and Retry-After.
enum EUtilityError: Error, Sendable, Equatable {
    /// The request cannot be answered as asked: a missing or bad parameter, a query that cannot be read.
    case badRequest(String)
    /// A `WebEnv` or `query_key` the history does not hold (expired, or never made here).
    case unknownHistory(String)
    /// Every place for answers built whole in memory is taken: come back in a few seconds.
    case busy(String)

    var message: String {
        switch self {
        case .badRequest(let message), .unknownHistory(let message), .busy(let message): message
        }
    }

    /// The HTTP status the error is answered with.
    var status: Int {
        if case .busy = self { return 503 }
        return 400
    }

    /// `answer` (the utility's own error shape) with this error's status, and for `busy` the
    /// seconds to wait before asking again.
    func response(_ answer: EResponse) -> EResponse {
        var response = answer
        response.status = status
        if case .busy = self { response.retryAfter = 5 }
        return response
    }
}
