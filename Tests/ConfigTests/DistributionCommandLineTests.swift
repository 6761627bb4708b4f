import Testing
import Config

@Suite struct DistributionCommandLineTests {
    @Test(arguments: [
        (["/etc/docker/registry/config.yml"], ["serve", "/etc/docker/registry/config.yml"]),
        (["config.yaml"], ["serve", "config.yaml"]),
        (["-v"], ["--version"]),
        (["serve", "/etc/docker/registry/config.yml"], ["serve", "/etc/docker/registry/config.yml"]),
        (["garbage-collect", "--delete-untagged=true", "-dry-run", "c.yml"], ["garbage-collect", "--delete-untagged", "--dry-run", "c.yml"]),
        (["garbage-collect", "-m", "--dry-run=false", "c.yml"], ["garbage-collect", "--delete-untagged", "c.yml"]),
        (["garbage-collect", "-d=T", "-m=0", "c.yml"], ["garbage-collect", "--dry-run", "c.yml"]),
        (["garbage-collect", "--dry-run=maybe", "c.yml"], ["garbage-collect", "--dry-run=maybe", "c.yml"]),
        (["garbage-collect", "--grace", "1h", "c.yml"], ["garbage-collect", "--grace", "1h", "c.yml"]),
        (["gc", "-dry-run", "c.yml"], ["gc", "-dry-run", "c.yml"]),
        ([String](), [String]()),
        (["--help"], ["--help"]),
    ])
    func registrysCommandLinesAreReadAsPiers(_ given: [String], _ expected: [String]) {
        #expect(DistributionCommandLine.arguments(given) == expected)
    }
}
