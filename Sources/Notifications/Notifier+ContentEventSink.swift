public import Registry

/// Notifications subscribe to the registry's events: whatever door caused a change, its
/// event reaches every endpoint in distribution's envelope.
extension Notifier: ContentEventSink {
    public func receive(_ event: ContentEvent) async {
        await emit(RegistryEvent(event, source: source))
    }
}
