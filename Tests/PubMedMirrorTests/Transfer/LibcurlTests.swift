import Foundation
import Testing
@testable import PubMedTransfer

/// The libcurl the process loads must have every option the transfers rely on: an older one is
/// refused at load, and an option it refuses fails the run, with a message saying so, rather than
/// (for CURLOPT_PROTOCOLS_STR) letting every protocol through.
@Suite(.heavyweight) struct LibcurlTests {
    @Test func theOldestLibcurlTakenIs7_85() {
        #expect(CurlEasy.supports(versionNumber: 0x07_55_00))
        #expect(CurlEasy.supports(versionNumber: 0x08_05_00))
        #expect(!CurlEasy.supports(versionNumber: 0x07_54_01))
        #expect(!CurlEasy.supports(versionNumber: 0x07_44_00))
    }

    /// A stand-in `libcurl.so.4` exporting what the loader looks up: it reports `version`, and
    /// its setopt refuses `refusedOption` (0: none) with CURLE_UNKNOWN_OPTION.
    static func fakeLibcurl(version: String, number: UInt32, refusedOption: Int = 0) async throws -> URL {
        let folder = try TestPaths.temporaryDirectory("fake-libcurl")
        let source = folder.appendingPathComponent("fake.c")
        try """
            #define CURL_DISABLE_TYPECHECK
            #include <stdlib.h>
            #include <curl/curl.h>
            static curl_version_info_data info = { CURLVERSION_NOW, "\(version)", \(number) };
            curl_version_info_data *curl_version_info(CURLversion age) { (void)age; return &info; }
            CURLcode curl_global_init(long flags) { (void)flags; return CURLE_OK; }
            CURL *curl_easy_init(void) { return malloc(16); }
            void curl_easy_cleanup(CURL *handle) { free(handle); }
            void curl_easy_reset(CURL *handle) { (void)handle; }
            CURLM *curl_multi_init(void) { return malloc(16); }
            CURLMcode curl_multi_cleanup(CURLM *multi) { free(multi); return CURLM_OK; }
            CURLMcode curl_multi_add_handle(CURLM *multi, CURL *handle) { (void)multi; (void)handle; return CURLM_OK; }
            CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *handle) { (void)multi; (void)handle; return CURLM_OK; }
            CURLMcode curl_multi_perform(CURLM *multi, int *running) { (void)multi; *running = 0; return CURLM_OK; }
            CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int count, int timeout, int *numfds) {
                (void)multi; (void)extra; (void)count; (void)timeout; (void)numfds; return CURLM_OK;
            }
            CURLMsg *curl_multi_info_read(CURLM *multi, int *left) { (void)multi; *left = 0; return NULL; }
            const char *curl_easy_strerror(CURLcode code) { return code == CURLE_UNKNOWN_OPTION ? "An unknown option was passed in to libcurl" : "error"; }
            CURLcode curl_easy_setopt(CURL *handle, CURLoption option, ...) {
                (void)handle; return option == \(refusedOption) ? CURLE_UNKNOWN_OPTION : CURLE_OK;
            }
            CURLcode curl_easy_getinfo(CURL *handle, CURLINFO info, ...) { (void)handle; (void)info; return CURLE_OK; }
            struct curl_slist *curl_slist_append(struct curl_slist *list, const char *string) { (void)string; return list; }
            void curl_slist_free_all(struct curl_slist *list) { (void)list; }
            """.write(to: source, atomically: true, encoding: .utf8)
        let built = try await ChildProcess.run("/usr/bin/gcc", ["-shared", "-fPIC", "-o", folder.appendingPathComponent("libcurl.so.4").path, source.path])
        guard built.status == 0 else { throw LoopbackServerError("gcc could not build the stand-in libcurl: \(built.stderr)") }
        return folder
    }

    @Test func anOlderLibcurlIsRefusedAtLoadWithWhatToInstall() async throws {
        let library = try await Self.fakeLibcurl(version: "7.68.0", number: 0x07_44_00)
        let mirror = try TestPaths.temporaryDirectory("mirror-old-libcurl")
        let samples = TestPaths.repositoryRoot.appendingPathComponent("Samples/ncbi/").absoluteString
        let run = try await CLI.run(["fetch", "--source", samples, "--mirror", mirror.path, "--quiet"],
                                    environment: ["LD_LIBRARY_PATH": library.path])
        #expect(run.status == 7, "\(run.stderr)")
        #expect(run.stderr.contains("libcurl 7.68.0 is older than 7.85.0"), "\(run.stderr)")
        #expect(run.stderr.contains("apt-get install libcurl4-openssl-dev"), "\(run.stderr)")
        // Commands that never transfer do not load libcurl at all.
        #expect(try await CLI.run(["status", "--mirror", mirror.path], environment: ["LD_LIBRARY_PATH": library.path]).status == 0)
    }

    @Test func aRefusedProtocolRestrictionFailsTheRunInsteadOfAllowingEveryProtocol() async throws {
        // CURLOPT_PROTOCOLS_STR = CURLOPTTYPE_STRINGPOINT (10000) + 318.
        let library = try await Self.fakeLibcurl(version: "8.5.0", number: 0x08_05_00, refusedOption: 10_318)
        let mirror = try TestPaths.temporaryDirectory("mirror-refused-option")
        let run = try await CLI.run(["fetch", "--source", "http://127.0.0.1:1/pubmed/", "--mirror", mirror.path, "--quiet", "--retries", "0"],
                                    environment: ["LD_LIBRARY_PATH": library.path])
        #expect(run.status == 7, "\(run.stderr)")
        #expect(run.stderr.contains("libcurl 8.5.0 refused CURLOPT_PROTOCOLS_STR (An unknown option was passed in to libcurl)"), "\(run.stderr)")
    }
}
