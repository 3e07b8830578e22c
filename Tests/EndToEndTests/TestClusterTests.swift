import Foundation
import Testing

/// The throwaway PostgreSQL cluster the database tests run beside (`scripts/with-postgres`, docs/TESTING.md): made
/// for one command, durable as in production, reachable at the URL it exports, gone afterwards. `.ci/run` installs
/// PostgreSQL's server and sets HRIA_REQUIRE_POSTGRES=1, so in CI this never goes unrun; elsewhere it runs wherever
/// the server is installed.
@Suite("A throwaway PostgreSQL cluster for the tests")
struct TestClusterTests {
    static var serverInstalled: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        if path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }) { return true }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }

    static var required: Bool { ProcessInfo.processInfo.environment["HRIA_REQUIRE_POSTGRES"] == "1" }

    @Test("scripts/with-postgres gives the command a durable cluster at the URL it exports, passes on its exit status and removes it",
          .enabled(if: serverInstalled || required, "PostgreSQL's server is not installed here (CI installs it)"))
    func cluster() throws {
        let script = """
        psql "$HRIA_TEST_POSTGRES" -Atc "show fsync" -c "show synchronous_commit" -c "select current_user" -c "select current_database()"
        echo "$HRIA_TEST_POSTGRES_DATA"
        exit 7
        """
        let result = try HRIA.run(["bash", "-c", script], program: HRIA.packageRoot.appendingPathComponent("scripts/with-postgres"))
        let (output, errors) = (result.stdout, result.stderr)
        #expect(result.status == 7, "\(output)\(errors)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(4)) == ["on", "on", "hria", "hria_test"], "\(output)\(errors)")
        let data = try #require(lines.last)
        #expect(data.hasSuffix("/data") && !FileManager.default.fileExists(atPath: data), "\(data) was left behind")
    }
}
