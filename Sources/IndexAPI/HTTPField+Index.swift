import HTTPTypes
import RegistryAPI

/// The headers of the Docker registry v1 ping that `docker search` still sends.
extension HTTPField.Name {
    /// The v1 version `docker search` expects from `/v1/_ping` before it searches.
    static let xDockerRegistryVersion = registryField("X-Docker-Registry-Version")
    /// Tells an old client the index is its own (no separate v1 index to ask).
    static let xDockerRegistryStandalone = registryField("X-Docker-Registry-Standalone")
}
