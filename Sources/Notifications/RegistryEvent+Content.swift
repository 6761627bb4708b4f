import Foundation
import OCI
public import Registry

extension RegistryEvent {
    /// Distribution's event for what the registry published, field for field as
    /// distribution fills them, so receivers written for distribution see no difference.
    public init(_ event: ContentEvent, source: Source) {
        let repository = event.repository.value
        let origin = event.origin
        func link(_ path: String) -> String? { origin.linkBase.map { $0 + path } }
        let target: Target
        switch (event.object, event.action) {
        case (.blob(let digest, _), .delete), (.manifest(let digest, _, _), .delete):
            target = Target(digest: digest.description, repository: repository)
        case (.blob(let digest, let size), _):
            target = Target(
                mediaType: "application/octet-stream", digest: digest.description, size: size, repository: repository,
                fromRepository: event.fromRepository?.value, url: link("/v2/\(repository)/blobs/\(digest)")
            )
        case (.manifest(let digest, let mediaType, let size), _):
            target = Target(
                mediaType: mediaType, digest: digest.description, size: size, repository: repository,
                url: link("/v2/\(repository)/manifests/\(digest)"), tag: event.tag?.value
            )
        case (.tag(let tag), _):
            target = Target(repository: repository, tag: tag.value)
        }
        self.init(
            action: event.action.rawValue,
            target: target,
            request: Request(
                id: origin.id ?? UUID.random().uuidString.lowercased(),
                addr: origin.address,
                host: origin.host,
                method: origin.method,
                useragent: origin.userAgent
            ),
            actor: Actor(name: origin.actor),
            source: source
        )
    }
}
