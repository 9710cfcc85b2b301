namespace MLNet.CSP.Weights.Hub;

/// <summary>
/// Where and how published weights are fetched from the Hugging Face Hub. Every default comes from the environment
/// variables <c>huggingface_hub</c> reads, so Python and .NET on one machine share one cache.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The Hub's address: <c>HF_ENDPOINT</c>, else https://huggingface.co.</summary>
    public string Endpoint { get; init; } = (Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : "https://huggingface.co").TrimEnd('/');

    /// <summary>
    /// The cache: <c>HF_HUB_CACHE</c>, else <c>HUGGINGFACE_HUB_CACHE</c>, else <c>HF_HOME/hub</c>, else
    /// <c>XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c> (huggingface_hub's order and layout).
    /// </summary>
    public string CacheDirectory { get; init; } = DefaultCacheDirectory();

    /// <summary>Use the cache only, never the network: <c>HF_HUB_OFFLINE</c> set to 1/true/yes/on.</summary>
    public bool Offline { get; init; } = IsTrue(Environment.GetEnvironmentVariable("HF_HUB_OFFLINE"));

    /// <summary>Access token sent as <c>Authorization: Bearer</c>: <c>HF_TOKEN</c>, else <c>HUGGING_FACE_HUB_TOKEN</c>.</summary>
    public string? Token { get; init; } = Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } t ? t
        : Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN") is { Length: > 0 } legacy ? legacy : null;

    /// <summary>Branch, tag or commit to fetch.</summary>
    public string Revision { get; init; } = "main";

    /// <summary>Receives (file, bytes so far, total bytes when known) while a file downloads.</summary>
    public IProgress<HubDownloadProgress>? Progress { get; init; }

    /// <summary>How long to wait for another process that downloads the same file.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(30);

    private static string DefaultCacheDirectory()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        if ((Env("HF_HUB_CACHE") ?? Env("HUGGINGFACE_HUB_CACHE")) is { } cache) return Path.GetFullPath(Expand(cache));
        if (Env("HF_HOME") is { } home) return Path.GetFullPath(Path.Combine(Expand(home), "hub"));
        string xdg = Env("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.GetFullPath(Path.Combine(Expand(xdg), "huggingface", "hub"));
    }

    private static string Expand(string path) =>
        Environment.ExpandEnvironmentVariables(path.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..] : path);

    private static bool IsTrue(string? value) => value?.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";
}
