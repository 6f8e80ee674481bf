import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

@Suite struct RetryPolicyTests {
    @Test func ceilingDoublesUpToTheCap() {
        let policy = RetryPolicy(retries: 10, base: 1, cap: 20)
        let ceilings = (1...7).map { policy.delay(beforeRetry: $0, random: { $0.upperBound }) }
        #expect(ceilings == [1, 2, 4, 8, 16, 20, 20])
    }

    @Test func fullJitterDrawsFromZeroToTheCeiling() {
        let policy = RetryPolicy(retries: 5, base: 2, cap: 60)
        #expect(policy.delay(beforeRetry: 3, random: { $0.lowerBound }) == 0)
        for _ in 0..<200 {
            let delay = policy.delay(beforeRetry: 3)
            #expect(delay >= 0 && delay <= 8)
        }
    }

    @Test func retryAfterIsHonouredButBounded() {
        let policy = RetryPolicy(retries: 5, base: 1, cap: 60, maxServerDelay: 300)
        #expect(policy.delay(beforeRetry: 1, serverAsked: 7, random: { $0.lowerBound }) == 7)
        #expect(policy.delay(beforeRetry: 1, serverAsked: 7200, random: { $0.lowerBound }) == 300)
        #expect(policy.delay(beforeRetry: 6, serverAsked: 1, random: { $0.upperBound }) == 32)
    }

    @Test func hugeRetryNumbersDoNotOverflow() {
        let policy = RetryPolicy(retries: 100, base: 1, cap: 60)
        #expect(policy.delay(beforeRetry: 99, random: { $0.upperBound }) == 60)
    }
}
