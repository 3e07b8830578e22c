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
}
