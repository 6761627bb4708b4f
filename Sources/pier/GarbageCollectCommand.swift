import ArgumentParser
import Config
import Foundation
import Index
import Logging
import Registry
import Server

/// `pier gc [CONFIG]`: distribution's `registry garbage-collect`, with its flags, for those
/// who collect from the command line (the server also collects while it serves, `gc`).
struct GarbageCollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove blobs (and with --delete-untagged, manifests) nothing references.",
        discussion: """
            Marks from every tag and manifest (with --delete-untagged, from tags only, through \
            index children and referrers), then removes every blob nothing marked reaches, and \
            upload sessions older than storage.maintenance.uploadpurging.age. Safe while Pier \
            serves the same storage with --grace 10m or more: blobs written within --grace are \
            kept, and a push that relies on a blob being removed keeps it. The default, none, \
            is for a stopped or read-only registry, as distribution's. Lists what it removes \
            with the bytes freed.
            """,
        aliases: ["garbage-collect"]
    )

    @Argument(help: "A distribution-style config.yml; when omitted, the one REGISTRY_CONFIGURATION_PATH names, else the embedded default.")
    var config: String?

    @Flag(name: [.short, .long], help: "Only report what would be removed.")
    var dryRun = false

    @Flag(name: [.customShort("m"), .long], help: "Also remove manifests no tag reaches (nor a kept index or subject).")
    var deleteUntagged = false

    @Option(help: "Keep what was written more recently than this (Go duration: 30m, 1h).")
    var grace = "0s"

    @Flag(name: .shortAndLong, help: "Print only the summary.")
    var quiet = false

    func run() async throws {
        let settings = try loadConfiguration(config)
        guard let grace = GoDuration.parse(grace) else {
            FileHandle.standardError.write(Data("pier: --grace: '\(self.grace)' is not a duration such as 30m or 1h\n".utf8))
            throw ExitCode(1)
        }
        try requireExistingStore(settings)
        let bootstrap = Bootstrap(configuration: settings, logger: Logger(label: "pier"))
        let driver = try bootstrap.makeDriver()
        do {
            try await bootstrap.checkCredentials(driver)
        } catch {
            await driver.shutdown()
            throw error
        }
        // Retention keeps what was pulled lately as the server does: by the index's counts.
        // An index that is configured but does not open stops the run: going on would judge
        // `within` by pushes alone and delete tags pulled a minute ago. With the index
        // disabled (`index.disabled`) no pull is ever counted, and pushes alone count.
        var index: RepositoryIndex?
        if settings.retentionRules.contains(where: { $0.keepWithin != nil }) {
            do {
                index = try await bootstrap.makeIndex()
            } catch {
                await driver.shutdown()
                FileHandle.standardError.write(Data((
                    "pier: keep.within needs the pull times in the index, and the index could not be opened: \(error)\n"
                        + "pier: nothing was collected; make the index open, remove keep.within from retention (and ttl from mirrors), "
                        + "or set REGISTRY_INDEX_DISABLED=true to count pushes only\n"
                ).utf8))
                throw ExitCode(1)
            }
        }
        let registry = bootstrap.makeRegistry(driver: driver)
        var options = settings.collection.options(uploadPurging: settings.uploadPurging, retention: settings.retentionRules)
        if let index { options.lastPulled = PierServer.lastPulled(from: index) }
        options.dryRun = dryRun
        options.grace = grace
        options.untagged = deleteUntagged ? .delete(after: .zero) : .keep
        // Named as a server's collector is, so either can tell when the other's process is gone.
        let lease = CollectorLease(
            registry: registry, owner: CollectorLease.owner(host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier)
        )
        do {
            // A dry run changes nothing: it needs no lease and may run beside a collection.
            if !dryRun, try await !lease.acquire() {
                FileHandle.standardError.write(Data("pier: another collector is running on this storage; try again later\n".utf8))
                throw ExitCode(1)
            }
            let report: CollectionReport
            let renewal = dryRun ? nil : lease.renewing()
            defer { renewal?.cancel() }
            do {
                report = try await GarbageCollector(registry: registry, options: options).collect(progress: { [dryRun] in
                    if !dryRun { try await lease.renew() }
                })
            } catch {
                if !dryRun { try? await lease.release(succeeded: false) }
                throw error
            }
            if !dryRun { try? await lease.release(succeeded: true) }
            print(render(report), terminator: "")
            // The rest was collected; the exit status tells a scheduled run's owner that
            // these repositories were not.
            if !report.retentionSkipped.isEmpty {
                for skip in report.retentionSkipped {
                    let line = "pier: retention deleted nothing in \(skip.repository.value): its pull times could not be read: \(skip.reason)\n"
                    FileHandle.standardError.write(Data(line.utf8))
                }
                throw ExitCode(1)
            }
        } catch let exit as ExitCode {
            await index?.database.close()
            await registry.shutdown()
            throw exit
        } catch {
            await index?.database.close()
            await registry.shutdown()
            FileHandle.standardError.write(Data("pier: garbage collection failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
        await index?.database.close()
        await registry.shutdown()
    }

    /// The report: each removal on its own line (in distribution's words for a dry run),
    /// then the totals.
    func render(_ report: CollectionReport) -> String {
        var out = ""
        let verb = report.dryRun ? "eligible for deletion" : "deleted"
        if !quiet {
            for tag in report.tagsRemoved {
                out += "tag \(verb): \(tag.repository.value):\(tag.tag.value) (\(tag.digest))\n"
            }
            for manifest in report.manifestsRemoved {
                out += "manifest \(verb): \(manifest.repository.value)@\(manifest.digest)\n"
            }
            for blob in report.blobsRemoved {
                out += "blob \(verb): \(blob.digest) (\(blob.size) bytes)\n"
            }
        }
        let would = report.dryRun ? "would remove" : "removed"
        out += "\(report.repositories) repositories, \(report.manifestsMarked) manifests and \(report.blobsMarked) blobs marked\n"
        out += "\(would) \(report.tagsRemoved.count) tags, \(report.manifestsRemoved.count) manifests and \(report.blobsRemoved.count) blobs, \(report.bytesFreed) bytes"
        out += "; kept \(report.blobsTooYoung) unreferenced blobs younger than the grace period"
        out += "; \(report.uploadsPurged) upload sessions\n"
        return out
    }
}
