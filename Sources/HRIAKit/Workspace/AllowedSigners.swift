/// The people's SSH keys in OpenSSH's `allowed_signers` format, so that `ssh-keygen -Y verify -n hria-event
/// -I PERSON -f FILE -s SIG` checks an event signature with no hria code at all. Each key is allowed for the
/// `hria-event` namespace only: an events file cannot vouch for a git commit or anything else.
public enum AllowedSigners {
    public static func text(people: [Person], organisation: String) -> String {
        var out = "# people of \(DisplayText.escape(organisation)) and the SSH keys their hria events are signed with\n"
        for person in people.sorted(by: { $0.id < $1.id }) {
            guard let published = person.key, case .ssh(let key)? = PersonKey(published: published) else {
                out += "# \(person.id): " + (person.key == nil ? "no key published" : "a signed-note key, which ssh-keygen cannot check") + "\n"
                continue
            }
            out += "\(person.id) namespaces=\"\(PersonKey.namespace)\" \(key.authorizedKey)\n"
        }
        return out
    }

    /// The roster's keys: everyone's current key, and the keys they had before a rotation (still good for the events
    /// signed before it), each line commented with what it is.
    public static func text(roster: Roster, organisation: String) -> String {
        var out = "# people of \(DisplayText.escape(organisation)) and the SSH keys their hria events are signed with, from the roster\n"
        for id in roster.order.sorted() {
            guard let member = roster.member(id) else { continue }
            let keys = member.keys
            if keys.isEmpty { out += "# \(id): no key on the roster\n" }
            for (index, published) in keys.enumerated() {
                guard case .ssh(let key)? = PersonKey(published: published) else {
                    out += "# \(id): a signed-note key, which ssh-keygen cannot check\n"
                    continue
                }
                if index < keys.count - 1 || member.isRemoved {
                    out += "# \(id): an earlier key, valid for events signed before it was replaced\n"
                }
                out += "\(id) namespaces=\"\(PersonKey.namespace)\" \(key.authorizedKey)\n"
            }
        }
        return out
    }
}

extension Workspace {
    /// `hria people allowed-signers`: the roster's keys, or hria.yaml's people in a workspace without a roster.
    public func allowedSigners() throws(HRIAError) -> String {
        if let roster = try roster()?.roster { return AllowedSigners.text(roster: roster, organisation: configuration.organisation) }
        return AllowedSigners.text(people: configuration.people, organisation: configuration.organisation)
    }
}
