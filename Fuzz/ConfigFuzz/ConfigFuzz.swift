import Config
import FuzzSupport

/// `config.yml` with `REGISTRY_*` overrides, the way an operator's file and a compose
/// file's environment meet: any text must give a configuration or a `ConfigurationError`
/// that names the problem, never a crash. The input is the YAML, then a NUL byte, then
/// `KEY=value` lines for the environment.
@main
enum ConfigFuzz {
    static func main() { FuzzDriver.run(checkInput) }

    static let checkInput: FuzzDriver.Check = { data, size in
        check(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    static func check(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let yaml = String(decoding: bytes[..<split], as: UTF8.self)
        var environment = [String: String]()
        if split < bytes.endIndex {
            for line in String(decoding: bytes[(split + 1)...], as: UTF8.self).split(separator: "\n").prefix(64) {
                guard let equals = line.firstIndex(of: "=") else { continue }
                environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
        }
        do {
            let configuration = try PierConfiguration.load(yaml: yaml, source: "fuzz input", environment: environment)
            _ = configuration.effectiveYAML
        } catch {
            precondition(!error.description.isEmpty, "an error without a reason")
        }
    }
}
