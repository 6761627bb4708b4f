/// The command lines `registry:2` users type, read as Pier's.
///
/// The image's entrypoint is the `pier` binary itself (there is no shell for a script such
/// as `registry:2`'s `entrypoint.sh`), so what that script and Go's flag package accept has
/// to be accepted here: a swapped image gets the commands, cron jobs and `docker exec` lines
/// the old one was given.
public enum DistributionCommandLine {
    /// `[config.yml, …]` → `[serve, config.yml, …]`, `-v` → `--version`, and
    /// `garbage-collect`'s flags as Go's flag package reads them (`-dry-run`,
    /// `--delete-untagged=true`, `-m=false`) → this parser's; anything else as it is.
    public static func arguments(_ arguments: [String]) -> [String] {
        guard let first = arguments.first else { return arguments }
        if first.hasSuffix(".yml") || first.hasSuffix(".yaml") { return ["serve"] + arguments }
        if first == "-v" { return ["--version"] + arguments.dropFirst() }
        guard first == "garbage-collect" else { return arguments }
        let flags = ["d": "--dry-run", "dry-run": "--dry-run", "m": "--delete-untagged", "delete-untagged": "--delete-untagged"]
        return [first] + arguments.dropFirst().compactMap { argument in
            guard argument.hasPrefix("-") else { return argument }
            let bare = argument.drop { $0 == "-" }
            let parts = bare.split(separator: "=", maxSplits: 1)
            guard let name = parts.first, let flag = flags[String(name)] else { return argument }
            guard parts.count == 2 else { return flag }
            switch parts[1].lowercased() {
            case "true", "t", "1": return flag
            case "false", "f", "0": return nil
            default: return argument
            }
        }
    }
}
