namespace MLNet.CSP.Weights.Hub;

/// <summary>
/// huggingface_hub's cache layout for one model repository: <c>models--{org}--{name}/blobs/{etag}</c> holds each file once,
/// <c>snapshots/{commit}/{file}</c> points at its blob (a relative symbolic link, or a copy where links are not possible),
/// <c>refs/{revision}</c> names the commit a branch or tag resolved to; locks live in <c>.locks/models--{org}--{name}/</c>.
/// </summary>
internal sealed class HubCache(string root, string repository)
{
    public string Folder { get; } = Path.Combine(root, "models--" + repository.Replace("/", "--", StringComparison.Ordinal));

    public string Blob(string etag) => Path.Combine(Folder, "blobs", etag);

    public string Incomplete(string etag) => Blob(etag) + ".incomplete";

    public string Snapshot(string commit, string file) => Path.Combine(Folder, "snapshots", commit, file);

    public string Ref(string revision) => Path.Combine(Folder, "refs", revision);

    public string Lock(string etag) => Path.Combine(root, ".locks", Path.GetFileName(Folder), etag + ".lock");

    /// <summary>The cached file of a revision (a commit, or a branch/tag recorded in refs), or null.</summary>
    public string? Find(string revision, string file)
    {
        string? commit = IsCommit(revision) ? revision : File.Exists(Ref(revision)) ? File.ReadAllText(Ref(revision)).Trim() : null;
        if (commit is null) return null;
        string snapshot = Snapshot(commit, file);
        return File.Exists(snapshot) ? snapshot : null;
    }

    /// <summary>Points the snapshot entry at the blob and records what the revision resolved to.</summary>
    public string Publish(string revision, string commit, string file, string etag)
    {
        string snapshot = Snapshot(commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        if (!File.Exists(snapshot))
        {
            string target = Path.GetRelativePath(Path.GetDirectoryName(snapshot)!, Blob(etag));
            try
            {
                File.CreateSymbolicLink(snapshot, target);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                if (!File.Exists(snapshot)) File.Copy(Blob(etag), snapshot);
            }
        }
        string reference = Ref(revision);
        bool recorded = File.Exists(reference) && File.ReadAllText(reference).Trim() == commit; // a cache hit writes nothing
        if (revision != commit && !recorded)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(reference)!);
            AtomicFile.WriteAllText(reference, commit);
        }
        return snapshot;
    }

    public static bool IsCommit(string revision) => revision.Length == 40 && revision.All(Uri.IsHexDigit);
}
