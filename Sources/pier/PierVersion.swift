/// The version `pier --version` prints.
enum PierVersion {
    static let current = "0.1.0"
}
