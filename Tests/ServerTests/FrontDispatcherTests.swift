import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Registry
import RegistryAPI
import TestSupport
import Testing
@testable import Server

/// The outer layer covers every door the same way: the API version header and the
/// configured `http.headers` on the registry's answers, its errors, and what lies outside it.
@Suite struct FrontDispatcherTests {
    func app() -> some ApplicationProtocol {
        let registry = Registry(driver: InMemoryDriver())
        let api = RegistryResponder(registry: registry, logger: Logger(label: "test"), settings: .init(pathPrefix: "/registry"))
        var headers = HTTPFields()
        headers.append(HTTPField(name: HTTPField.Name("X-Served-By")!, value: "pier-test"))
        return Application(responder: FrontDispatcher(
            registryAPI: api, tokenEndpoint: nil, indexAPI: nil, acmeChallenges: nil, accessLog: nil, extraHeaders: headers
        ))
    }

    @Test(arguments: ["/registry/v2/", "/registry/v2/UPPER/tags/list", "/elsewhere"])
    func everyAnswerCarriesTheVersionAndConfiguredHeaders(_ path: String) async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.headers[.dockerDistributionAPIVersion] == "registry/2.0")
                #expect(response.headers[HTTPField.Name("X-Served-By")!] == "pier-test")
            }
        }
    }

    @Test func aPathOutsideThePrefixIsTheSpecs404() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v2/", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("UNSUPPORTED"))
            }
        }
    }
}
