/// What each page's template reads. swift-mustache sees stored properties only (by
/// reflection), so every value a page shows is formatted here, in Swift, and flags are
/// `Bool` (an empty string would count as true in a section).
enum WebView {
    /// What every page's layout needs.
    struct Chrome {
        /// The UI's path prefix (`http.prefix` and `web.prefix`), "" at the root.
        var base: String
        var title: String
        /// The search box's text.
        var query: String
        /// Changes when the assets do, so browsers may cache them for good.
        var assetVersion: String
        /// The signed-in user; nil for a visitor who has not signed in.
        var user: String?
        /// The session's form token, for the sign-out form.
        var csrf: String
        var loginURL: String
        /// Whether the visitor administers the registry (a link to `/admin`).
        var isAdministrator: Bool
    }

    /// A time shown as "3 hours ago", with the exact instant for machines.
    struct When {
        var iso: String
        var ago: String
    }

    /// A repository in a list: home, search results.
    struct Card {
        var name: String
        var url: String
        var description: String
        var hasDescription: Bool
        var stars: String
        var pulls: String
        var pushed: When?
    }

    struct CardList {
        var cards: [Card]
    }

    struct Home {
        var chrome: Chrome
        var host: String
        var recent: CardList
        var popular: CardList
        /// A signed-in visitor's own corner; nil for anyone else.
        var mine: Mine?
    }

    /// What a signed-in user finds first: their repositories, organisations and stars.
    struct Mine {
        var user: String
        var userURL: String
        var repositories: CardList
        var organizations: [Link]
        var starred: CardList
    }

    /// A link to another page of a list.
    struct PageLink {
        var url: String
        var label: String
        var current: Bool
    }

    /// Links to the pages of a list; nil when it fits on one.
    struct Pager {
        var links: [PageLink]
    }

    struct Search {
        var chrome: Chrome
        var query: String
        var hasQuery: Bool
        var total: String
        var results: CardList
        var pager: Pager?
        /// The namespace filter's text ("" for none).
        var namespace: String
        var orders: [Choice]
    }

    /// An option of a select.
    struct Choice {
        var value: String
        var label: String
        var selected: Bool
    }

    struct TagRow {
        var name: String
        var url: String
        var digest: String
        var shortDigest: String
        var size: String
        var platforms: [String]
        var pushed: When
        var pusher: String
        var lastPulled: When?
    }

    struct SortLink {
        var label: String
        var url: String
        var current: Bool
    }

    struct Comment {
        /// The element id (`comment-{id}`) a new comment's redirect lands on.
        var anchor: String
        var author: String
        var created: When
        var html: String
    }

    struct Repository {
        var chrome: Chrome
        var name: String
        /// The breadcrumb's links, one per component before the last (none for a name
        /// without a namespace).
        var crumbs: [Link]
        /// The last component of the name, where the breadcrumb ends.
        var shortName: String
        var description: String
        var hasDescription: Bool
        var stars: String
        var pulls: String
        var tagCount: String
        var pushed: When?
        var lastPulled: When?
        var pullCommand: String
        var overviewHTML: String
        var hasOverview: Bool
        var sorts: [SortLink]
        var tags: [TagRow]
        var pager: Pager?
        var comments: [Comment]
        var commentCount: String
        /// Links to the other pages of comments; nil when they fit on one.
        var commentPager: Pager?
        var signedIn: Bool
        var starred: Bool
        var starURL: String
        var commentURL: String
        var signInURL: String
        var commentLimit: Int
        /// Whether the visitor administers it (a link to its settings).
        var canAdminister: Bool
        var settingsURL: String
    }

    struct Collaborator {
        var user: String
        var role: String
    }

    struct Delivery {
        /// The webhook it belongs to (a redeliver form names both).
        var hookID: String
        var id: String
        var event: String
        var status: String
        var succeeded: Bool
        var at: When
        var error: String?
    }

    struct Hook {
        var id: String
        var url: String
        var events: String
        var active: Bool
        /// Who added it: a hook stays when its maker loses access (it belongs to the
        /// repository), so its administrators must be able to see whose it is.
        var createdBy: String?
        var deliveries: [Delivery]
    }

    struct RepositorySettings {
        var chrome: Chrome
        var name: String
        var repositoryURL: String
        var actionURL: String
        var notice: String?
        var error: String?
        var description: String
        var overview: String
        /// The overview as it would show, when the editor asked for a preview.
        var previewHTML: String?
        /// Whether visibility is the index's to decide (`index.namespaces`).
        var hasVisibility: Bool
        var isPublic: Bool
        var collaborators: [Collaborator]
        var webhooksAvailable: Bool
        var webhooks: [Hook]
        var events: [String]
        var tags: [String]
    }

    struct TokenRow {
        var id: String
        var name: String
        var scopes: String
        var created: When
        var lastUsed: When?
    }

    struct Account {
        var chrome: Chrome
        var user: String
        var actionURL: String
        var notice: String?
        var error: String?
        /// A token just made: shown on this page once, never again.
        var createdToken: String?
        /// Users of the htpasswd file change their password in the file.
        var canChangePassword: Bool
        var tokens: [TokenRow]
    }

    struct Login {
        var chrome: Chrome
        /// The form's token, matched against the sign-in cookie.
        var csrf: String
        /// Where to go once signed in.
        var next: String
        /// The user name typed before a refusal, so it need not be typed again.
        var user: String
        var error: String?
        /// Whether anyone can sign in here (an htpasswd file or the index's users).
        var available: Bool
    }

    struct Logout {
        var chrome: Chrome
    }

    struct KeyValue {
        var key: String
        var value: String
    }

    struct Layer {
        var index: Int
        var digest: String
        var shortDigest: String
        var mediaType: String
        var size: String
    }

    struct Step {
        var command: String
        var created: When?
        var emptyLayer: Bool
        var comment: String?
    }

    /// One image of a tag: the tag's own, or one platform of an index.
    struct Image {
        var platform: String
        var anchor: String
        var digest: String
        var size: String
        var layers: [Layer]
        var entrypoint: String?
        var command: String?
        var user: String?
        var workingDir: String?
        var environment: [String]
        var ports: [String]
        var labels: [KeyValue]
        var history: [Step]
        var annotations: [KeyValue]
        var hasConfig: Bool
    }

    struct Referrer {
        var artifactType: String
        var digest: String
        var shortDigest: String
        /// Its own page (the manifest by digest).
        var url: String
        var size: String
        var annotations: [KeyValue]
    }

    struct Tag {
        var chrome: Chrome
        var repository: String
        var repositoryURL: String
        var tag: String
        /// `name:tag`, or `name@sha256:…` for a digest: the page's title and heading.
        var reference: String
        var digest: String
        var mediaType: String
        /// What kind of artifact it is (nil for an image): shown, and pulled with ORAS.
        var artifactType: String?
        var isIndex: Bool
        var size: String
        var pushed: When?
        var pusher: String?
        var pullCommand: String
        var images: [Image]
        /// "and 3 more not shown" when an index lists more than a page shows.
        var morePlatforms: String?
        var annotations: [KeyValue]
        var referrers: [Referrer]
    }

    struct UserRow {
        var name: String
        /// `file` (htpasswd) or `index` (made through the API or this page).
        var source: String
        var fromIndex: Bool
        var disabled: Bool
        var created: String
    }

    struct Admin {
        var chrome: Chrome
        var actionURL: String
        var notice: String?
        var error: String?
        var users: [UserRow]
        var hasOrganizations: Bool
        var organizations: [Link]
    }

    struct TeamCard {
        var name: String
        var permission: String
        var members: String
    }

    /// A user's or an organisation's page.
    struct Namespace {
        var chrome: Chrome
        var name: String
        var isOrganization: Bool
        var total: String
        var repositories: CardList
        var pager: Pager?
        /// A user's organisations, linked.
        var organizations: [Link]
        /// An organisation's teams, for its members only.
        var teams: [TeamCard]
        var showTeams: Bool
    }

    struct Link {
        var label: String
        var url: String
    }

    /// A page that says why nothing was shown or done: not found, not allowed, a form that
    /// expired, a refused comment, the index unavailable.
    struct NotFound {
        var chrome: Chrome
        /// What happened, as the page's heading.
        var heading: String
        var message: String
        /// Back to where the visitor came from, when known; else the page links home.
        var back: Link?
        /// A refused comment, offered again in its form.
        var comment: CommentDraft?
    }

    /// A comment that was not posted: its text in a form that posts it again (with no
    /// length limit of its own: the text may be what was refused for its length).
    struct CommentDraft {
        var url: String
        var body: String
    }
}
