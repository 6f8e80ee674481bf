import Dispatch
import Foundation
import PubMedMirror

/// SIGINT and SIGTERM cancel the run: transfers stop within about a second, `.partial` files stay
/// for the next run to resume, indexing stops at its next batch with the file being applied rolled
/// back, and the state database records the run as interrupted. A second signal ends the process.
enum SignalHandling {
    static func cancelOnInterrupt(_ cancellation: CancellationFlag) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if cancellation.isCancelled {
                    // A second signal: stop now. Nothing unverified is in place, so this is safe.
                    exit(130)
                }
                Console.shared.printLine("interrupted: stopping; partial downloads are kept and a file being indexed is rolled back, and the next run resumes")
                cancellation.cancel()
            }
            source.resume()
            return source
        }
    }
}
