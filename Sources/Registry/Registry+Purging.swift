import Foundation
import OCI
import Storage

extension Registry {
    /// What one purge pass found.
    public struct PurgeReport: Sendable, Equatable {
        /// Sessions older than the age limit (removed unless it was a dry run).
        public var purged: [String] = []
        /// Sessions still young enough to finish.
        public var kept = 0
        /// Pieces of sessions the store kept apart from any session directory (an object
        /// store's multipart uploads whose session was removed while the store was down).
        public var orphans = 0
    }

    /// Removes upload sessions started more than `age` ago, as distribution's
    /// `uploadpurging` does. A session's age is its `startedat` time, or the directory's
    /// modification time when that file is missing or unreadable (a session left half-made
    /// by a crash). With `dryRun`, only reports.
    public func purgeUploads(olderThan age: Duration, dryRun: Bool, now: Date = Date()) async throws -> PurgeReport {
        var report = PurgeReport()
        let cutoff = now.addingTimeInterval(-Double(age.components.seconds) - Double(age.components.attoseconds) / 1e18)
        try await purge(layout.repositoriesRoot, cutoff: cutoff, dryRun: dryRun, report: &report)
        report.orphans = try await driver.purgeOrphanedUploads(under: Layout.base, startedBefore: cutoff, dryRun: dryRun)
        return report
    }

    private func purge(_ path: String, cutoff: Date, dryRun: Bool, report: inout PurgeReport) async throws {
        guard let children = try await driver.list(path) else { return }
        for child in children {
            let childPath = path + "/" + child
            if child == Layout.uploadsName {
                for session in try await driver.list(childPath) ?? [] {
                    let location = layout.uploadSession(at: childPath + "/" + session)
                    if try await startedAt(location) < cutoff {
                        report.purged.append(String(location.directory.dropFirst(layout.repositoriesRoot.count + 1)))
                        // A session whose state cannot be read is still removed, whole.
                        if !dryRun, (try? await driver.deleteUpload(location)) == nil {
                            try await driver.delete(location.directory)
                        }
                    } else {
                        report.kept += 1
                    }
                }
            } else if !child.hasPrefix("_") {
                try await purge(childPath, cutoff: cutoff, dryRun: dryRun, report: &report)
            }
        }
    }

    private func startedAt(_ session: UploadLocation) async throws -> Date {
        if let bytes = try? await driver.contents(of: layout.uploadStartedAt(session), limit: 256),
           let date = ISO8601DateFormatter().date(from: String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return date
        }
        let modified = try await driver.stat(session.directory)?.modified ?? 0
        return Date(timeIntervalSince1970: modified)
    }
}
