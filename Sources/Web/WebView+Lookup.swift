import Mustache

/// How templates read the page models: by name, through a switch, never by reflection.
/// swift-mustache falls back to `Mirror` for other values, a reflection of every field
/// for every name it looks up, at every level of the stack it climbs: most of the time a
/// page took. A nil field answers `false`, never nothing: for nothing Mustache would look
/// in the enclosing objects, where a tag row's missing "last pulled" would find the
/// repository's. `WebViewLookupTests` keeps these in step with `WebView`'s fields.

extension WebView.Chrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "base": self.base
        case "title": self.title
        case "query": self.query
        case "assetVersion": self.assetVersion
        case "user": self.user as Any? ?? false
        case "csrf": self.csrf
        case "loginURL": self.loginURL
        case "isAdministrator": self.isAdministrator
        default: nil
        }
    }
}

extension WebView.When: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "iso": self.iso
        case "ago": self.ago
        default: nil
        }
    }
}

extension WebView.Card: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "url": self.url
        case "description": self.description
        case "hasDescription": self.hasDescription
        case "stars": self.stars
        case "pulls": self.pulls
        case "pushed": self.pushed as Any? ?? false
        default: nil
        }
    }
}

extension WebView.CardList: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "cards": self.cards
        default: nil
        }
    }
}

extension WebView.Home: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "host": self.host
        case "recent": self.recent
        case "popular": self.popular
        case "mine": self.mine as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Mine: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "user": self.user
        case "userURL": self.userURL
        case "repositories": self.repositories
        case "organizations": self.organizations
        case "starred": self.starred
        default: nil
        }
    }
}

extension WebView.PageLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "url": self.url
        case "label": self.label
        case "current": self.current
        default: nil
        }
    }
}

extension WebView.Pager: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "links": self.links
        default: nil
        }
    }
}

extension WebView.Search: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "query": self.query
        case "hasQuery": self.hasQuery
        case "total": self.total
        case "results": self.results
        case "pager": self.pager as Any? ?? false
        case "namespace": self.namespace
        case "orders": self.orders
        default: nil
        }
    }
}

extension WebView.Choice: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": self.value
        case "label": self.label
        case "selected": self.selected
        default: nil
        }
    }
}

extension WebView.TagRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "url": self.url
        case "digest": self.digest
        case "shortDigest": self.shortDigest
        case "size": self.size
        case "platforms": self.platforms
        case "pushed": self.pushed
        case "pusher": self.pusher
        case "lastPulled": self.lastPulled as Any? ?? false
        default: nil
        }
    }
}

extension WebView.SortLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": self.label
        case "url": self.url
        case "current": self.current
        default: nil
        }
    }
}

extension WebView.Comment: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "anchor": self.anchor
        case "author": self.author
        case "created": self.created
        case "html": self.html
        default: nil
        }
    }
}

extension WebView.Repository: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "name": self.name
        case "crumbs": self.crumbs
        case "shortName": self.shortName
        case "description": self.description
        case "hasDescription": self.hasDescription
        case "stars": self.stars
        case "pulls": self.pulls
        case "tagCount": self.tagCount
        case "pushed": self.pushed as Any? ?? false
        case "lastPulled": self.lastPulled as Any? ?? false
        case "pullCommand": self.pullCommand
        case "overviewHTML": self.overviewHTML
        case "hasOverview": self.hasOverview
        case "sorts": self.sorts
        case "tags": self.tags
        case "pager": self.pager as Any? ?? false
        case "comments": self.comments
        case "commentCount": self.commentCount
        case "commentPager": self.commentPager as Any? ?? false
        case "signedIn": self.signedIn
        case "starred": self.starred
        case "starURL": self.starURL
        case "commentURL": self.commentURL
        case "signInURL": self.signInURL
        case "commentLimit": self.commentLimit
        case "canAdminister": self.canAdminister
        case "settingsURL": self.settingsURL
        default: nil
        }
    }
}

extension WebView.Collaborator: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "user": self.user
        case "role": self.role
        default: nil
        }
    }
}

extension WebView.Delivery: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "hookID": self.hookID
        case "id": self.id
        case "event": self.event
        case "status": self.status
        case "succeeded": self.succeeded
        case "at": self.at
        case "error": self.error as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Hook: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "url": self.url
        case "events": self.events
        case "active": self.active
        case "createdBy": self.createdBy as Any? ?? false
        case "deliveries": self.deliveries
        default: nil
        }
    }
}

extension WebView.RepositorySettings: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "name": self.name
        case "repositoryURL": self.repositoryURL
        case "actionURL": self.actionURL
        case "notice": self.notice as Any? ?? false
        case "error": self.error as Any? ?? false
        case "description": self.description
        case "overview": self.overview
        case "previewHTML": self.previewHTML as Any? ?? false
        case "hasVisibility": self.hasVisibility
        case "isPublic": self.isPublic
        case "collaborators": self.collaborators
        case "webhooksAvailable": self.webhooksAvailable
        case "webhooks": self.webhooks
        case "events": self.events
        case "tags": self.tags
        default: nil
        }
    }
}

extension WebView.TokenRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "name": self.name
        case "scopes": self.scopes
        case "created": self.created
        case "lastUsed": self.lastUsed as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Account: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "user": self.user
        case "actionURL": self.actionURL
        case "notice": self.notice as Any? ?? false
        case "error": self.error as Any? ?? false
        case "createdToken": self.createdToken as Any? ?? false
        case "canChangePassword": self.canChangePassword
        case "tokens": self.tokens
        default: nil
        }
    }
}

extension WebView.Login: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "csrf": self.csrf
        case "next": self.next
        case "user": self.user
        case "error": self.error as Any? ?? false
        case "available": self.available
        default: nil
        }
    }
}

extension WebView.Logout: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        default: nil
        }
    }
}

extension WebView.KeyValue: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "key": self.key
        case "value": self.value
        default: nil
        }
    }
}

extension WebView.Layer: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "index": self.index
        case "digest": self.digest
        case "shortDigest": self.shortDigest
        case "mediaType": self.mediaType
        case "size": self.size
        default: nil
        }
    }
}

extension WebView.Step: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "command": self.command
        case "created": self.created as Any? ?? false
        case "emptyLayer": self.emptyLayer
        case "comment": self.comment as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Image: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "platform": self.platform
        case "anchor": self.anchor
        case "digest": self.digest
        case "size": self.size
        case "layers": self.layers
        case "entrypoint": self.entrypoint as Any? ?? false
        case "command": self.command as Any? ?? false
        case "user": self.user as Any? ?? false
        case "workingDir": self.workingDir as Any? ?? false
        case "environment": self.environment
        case "ports": self.ports
        case "labels": self.labels
        case "history": self.history
        case "annotations": self.annotations
        case "hasConfig": self.hasConfig
        default: nil
        }
    }
}

extension WebView.Referrer: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "artifactType": self.artifactType
        case "digest": self.digest
        case "shortDigest": self.shortDigest
        case "url": self.url
        case "size": self.size
        case "annotations": self.annotations
        default: nil
        }
    }
}

extension WebView.Tag: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "repository": self.repository
        case "repositoryURL": self.repositoryURL
        case "tag": self.tag
        case "reference": self.reference
        case "digest": self.digest
        case "mediaType": self.mediaType
        case "artifactType": self.artifactType as Any? ?? false
        case "isIndex": self.isIndex
        case "size": self.size
        case "pushed": self.pushed as Any? ?? false
        case "pusher": self.pusher as Any? ?? false
        case "pullCommand": self.pullCommand
        case "images": self.images
        case "morePlatforms": self.morePlatforms as Any? ?? false
        case "annotations": self.annotations
        case "referrers": self.referrers
        default: nil
        }
    }
}

extension WebView.UserRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "source": self.source
        case "fromIndex": self.fromIndex
        case "disabled": self.disabled
        case "created": self.created
        default: nil
        }
    }
}

extension WebView.Admin: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "actionURL": self.actionURL
        case "notice": self.notice as Any? ?? false
        case "error": self.error as Any? ?? false
        case "users": self.users
        case "hasOrganizations": self.hasOrganizations
        case "organizations": self.organizations
        default: nil
        }
    }
}

extension WebView.TeamCard: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "permission": self.permission
        case "members": self.members
        default: nil
        }
    }
}

extension WebView.Namespace: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "name": self.name
        case "isOrganization": self.isOrganization
        case "total": self.total
        case "repositories": self.repositories
        case "pager": self.pager as Any? ?? false
        case "organizations": self.organizations
        case "teams": self.teams
        case "showTeams": self.showTeams
        default: nil
        }
    }
}

extension WebView.Link: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": self.label
        case "url": self.url
        default: nil
        }
    }
}

extension WebView.NotFound: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "heading": self.heading
        case "message": self.message
        case "back": self.back as Any? ?? false
        case "comment": self.comment as Any? ?? false
        default: nil
        }
    }
}

extension WebView.CommentDraft: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "url": self.url
        case "body": self.body
        default: nil
        }
    }
}
