import HTTPTypes
import RegistryAPI

/// The security headers every page carries, named once so no page spells one differently.
extension HTTPField.Name {
    /// Keeps private repository names in URLs from reaching other sites in `Referer`.
    static let referrerPolicy = registryField("Referrer-Policy")
    /// Refuses framing by other sites (clickjacking the forms), for browsers without CSP 2.
    static let xFrameOptions = registryField("X-Frame-Options")
    /// Sent on signing out: the browser drops what it cached of this site, so Back cannot
    /// show a page that was rendered for the session that just ended.
    static let clearSiteData = registryField("Clear-Site-Data")
}
