import ArgumentParser
import Config
import Foundation
import Index
import Logging

/// `pier index rebuild [CONFIG]`: recreates what the index derives from storage.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Work with the index (search, stars, pull counts).",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recreate the index's repositories and tags from storage.",
            discussion: """
                Reads every repository and tag of the configured storage (a directory or bucket \
                written by Pier or by distribution's registry) into the index database. What only \
                the index holds (stars, descriptions) is kept. Safe while Pier serves.
                """
        )

        @Argument(help: "A distribution-style config.yml; when omitted, the one REGISTRY_CONFIGURATION_PATH names, else the embedded default.")
        var config: String?

        func run() async throws {
            let settings = try loadConfiguration(config)
            try requireExistingStore(settings)
            let logger = Logger(label: "pier")
            let bootstrap = Bootstrap(configuration: settings, logger: logger)
            guard let index = try await bootstrap.makeIndex() else {
                FileHandle.standardError.write(Data("pier: the index is disabled (index.disabled)\n".utf8))
                throw ExitCode(1)
            }
            let content = try await bootstrap.makeContent(port: settings.port)
            do {
                // What instances without their index marked is covered by this re-read.
                let marks = (try? await content.registry.unindexedMarks()) ?? []
                let (repositories, tags) = try await index.rebuild(from: content.registry)
                for mark in marks {
                    // A marked repository storage no longer has is not in the catalog.
                    if let repository = mark.repository { try await index.reread(repository, from: content.registry) }
                    try? await content.registry.clearUnindexed(mark)
                }
                print("indexed \(repositories) repositories, \(tags) tags into \(bootstrap.indexLocation)")
            } catch {
                await index.database.close()
                await content.shutdown()
                FileHandle.standardError.write(Data("pier: \(error)\n".utf8))
                throw ExitCode(1)
            }
            await index.database.close()
            await content.shutdown()
        }
    }
}
