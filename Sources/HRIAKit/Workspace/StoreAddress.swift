import Foundation

/// Where a workspace keeps its assessments: in files (the default) or in a PostgreSQL database named by a
/// libpq-style URL, `postgresql://USER@HOST:PORT/DB?sslmode=…`, from `store:` in hria.yaml or `HRIA_STORE`.
public enum StoreAddress {
    /// What is wrong with an address, if anything. A password in hria.yaml is refused: the file is shared, and the
    /// password belongs in `PGPASSWORD` or a password file (`PGPASSFILE`) as libpq users expect.
    public static func problem(_ address: String, inConfiguration: Bool) -> (message: String, help: String)? {
        if !inConfiguration, address == "files" { return nil }
        guard address.hasPrefix("postgresql://") || address.hasPrefix("postgres://") else {
            return ("\"\(DisplayText.escape(address))\" is not a store hria knows",
                    inConfiguration ? "use store: postgresql://USER@HOST:PORT/DATABASE, or leave store out to keep assessments in files"
                        : "use postgresql://USER@HOST:PORT/DATABASE, or files")
        }
        guard let components = URLComponents(string: address), components.host?.isEmpty == false else {
            return ("\"\(DisplayText.escape(address))\" is not a valid database address", "write it as postgresql://USER@HOST:PORT/DATABASE")
        }
        if inConfiguration, components.password != nil {
            return ("hria.yaml must not hold the database password", "remove it from store:, and give it in PGPASSWORD or a password file (PGPASSFILE)")
        }
        return nil
    }

    /// The address with any password left out, for messages.
    public static func redacted(_ address: String) -> String {
        guard var components = URLComponents(string: address) else { return "the database" }
        if components.password != nil { components.password = "…" }
        return components.string ?? "the database"
    }
}

/// Opens a database store from its address; the command line gives one, which links the PostgreSQL backend.
public protocol DatabaseStoreOpener: Sendable {
    func open(address: String, origin: String) throws(HRIAError) -> any AssessmentStore
}
