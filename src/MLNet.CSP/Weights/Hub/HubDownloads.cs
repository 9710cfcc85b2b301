using System.Net;

namespace MLNet.CSP.Weights.Hub;

/// <summary>
/// Fetches published files from the Hugging Face Hub into huggingface_hub's cache (shared with Python on the same machine):
/// a HEAD request learns the commit and the file's hash, a present blob is used as it is, a missing one is downloaded into
/// <c>blobs/{etag}.incomplete</c> (resumed with an HTTP Range where an earlier download stopped), checked against the
/// SHA-256 the Hub reports for large files (downloaded once more on a mismatch, never kept when wrong) and moved into place;
/// one process downloads a file at a time (a lock file). The system proxy settings apply.
/// </summary>
public static class HubDownloads
{
    private const int MaxRedirects = 5;
    /// <summary>A read that delivers nothing for this long counts as a dropped connection (the part stays, resumable).</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The local path of <paramref name="weights"/> (downloaded on first use); see <see cref="DownloadAsync"/>.</summary>
    public static string Download(PublishedWeights weights, HubOptions? options = null, CancellationToken cancellation = default) =>
        DownloadAsync(weights, options, cancellation).GetAwaiter().GetResult();

    /// <summary>The local path of <paramref name="weights"/> in the cache, downloaded first when it is not there.</summary>
    /// <exception cref="HubDownloadException">Not found, no access, offline without a cached copy, or a download that failed (the message says which and what to do).</exception>
    public static async Task<string> DownloadAsync(PublishedWeights weights, HubOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        options ??= new HubOptions();
        var cache = new HubCache(options.CacheDirectory, weights.Repository);
        string url = $"{options.Endpoint}/{weights.Repository}/resolve/{Uri.EscapeDataString(options.Revision)}/{weights.File}";
        if (options.Offline)
            return cache.Find(options.Revision, weights.File) ?? throw new HubDownloadException(
                $"Offline (HF_HUB_OFFLINE) and {weights.Repository}/{weights.File} at '{options.Revision}' is not in the cache '{cache.Folder}'. " +
                $"Run once with network access, or fetch {url} by hand.", weights.Repository, weights.File, url);

        FileMetadata meta;
        try
        {
            meta = await HeadAsync(url, weights, options, cancellation).ConfigureAwait(false);
        }
        catch (HubDownloadException e) when (e.StatusCode is >= 500 or 429 && cache.Find(options.Revision, weights.File) is { } cached)
        {
            return cached; // the Hub is failing or rate-limiting: a cached copy of the revision serves, as with huggingface_hub
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            // Like huggingface_hub: without the network (or when it times out), a cached copy of the revision serves.
            return cache.Find(options.Revision, weights.File) ?? throw new HubDownloadException(
                $"The Hub at {options.Endpoint} could not be reached ({e.Message}) and {weights.Repository}/{weights.File} is not in the cache '{cache.Folder}'. " +
                $"Check the network or proxy (HTTPS_PROXY), or fetch {url} by hand.", weights.Repository, weights.File, url, inner: e);
        }
        if (!File.Exists(cache.Blob(meta.Etag)))
        {
            using var held = await HoldLockAsync(cache.Lock(meta.Etag), options.LockTimeout, cancellation).ConfigureAwait(false);
            if (!File.Exists(cache.Blob(meta.Etag))) await FetchAsync(meta, cache, weights, options, url, cancellation).ConfigureAwait(false);
        }
        return cache.Publish(options.Revision, meta.Commit, weights.File, meta.Etag);
    }

    private sealed record FileMetadata(string Commit, string Etag, long? Size, Uri Location);

    private static async Task<FileMetadata> HeadAsync(string url, PublishedWeights weights, HubOptions options, CancellationToken cancellation)
    {
        var current = new Uri(url);
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, current);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
            if (options.Token is not null) request.Headers.Authorization = new("Bearer", options.Token);
            using var response = await Client.SendAsync(request, cancellation).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            var location = response.Headers.Location;
            if (status is >= 300 and < 400 && location is not null && !location.IsAbsoluteUri)
            {
                current = new Uri(current, location); // a renamed repository; the CDN redirect of a large file is not followed here
                continue;
            }
            if (status >= 400) throw Error(response, weights, options.Revision, url);
            string? commit = Header(response, "X-Repo-Commit");
            string? etag = Header(response, "X-Linked-Etag") ?? Header(response, "ETag");
            if (etag is not null)
            {
                etag = etag.Trim();
                if (etag.StartsWith("W/", StringComparison.Ordinal)) etag = etag[2..];
                etag = etag.Trim('"');
            }
            if (commit is null || string.IsNullOrEmpty(etag))
                throw new HubDownloadException($"The Hub's answer for {url} names no commit or file hash (X-Repo-Commit, ETag); is HF_ENDPOINT ({options.Endpoint}) a Hub?",
                    weights.Repository, weights.File, url, status);
            long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked
                : status < 300 ? response.Content.Headers.ContentLength : null;
            return new FileMetadata(commit, etag, size, location is null ? current : new Uri(current, location));
        }
        throw new HubDownloadException($"More than {MaxRedirects} redirects for {url}.", weights.Repository, weights.File, url);
    }

    private static async Task FetchAsync(FileMetadata meta, HubCache cache, PublishedWeights weights, HubOptions options, string url, CancellationToken cancellation)
    {
        string incomplete = cache.Incomplete(meta.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        bool checkable = meta.Etag.Length == 64 && meta.Etag.All(Uri.IsHexDigit); // large (LFS) files: the etag is their SHA-256
        for (int attempt = 0; attempt < 2; attempt++)
        {
            long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (meta.Size is long total && have > total)
            {
                File.Delete(incomplete);
                have = 0;
            }
            if (meta.Size is not long complete || have < complete)
                await GetAsync(meta, incomplete, have, weights, options, url, cancellation).ConfigureAwait(false);
            if (!checkable || string.Equals(await AtomicFile.Sha256Async(incomplete, cancellation).ConfigureAwait(false), meta.Etag, StringComparison.OrdinalIgnoreCase))
            {
                File.Move(incomplete, cache.Blob(meta.Etag), overwrite: true);
                return;
            }
            File.Delete(incomplete); // wrong bytes are never kept; try once more from the start
        }
        throw new HubDownloadException($"{weights.Repository}/{weights.File} was downloaded twice and both times its SHA-256 differed from the Hub's ({meta.Etag}); " +
            $"nothing was kept in the cache '{cache.Folder}'. A proxy may be altering the download; fetch {url} by hand to compare.", weights.Repository, weights.File, url);
    }

    private static async Task GetAsync(FileMetadata meta, string incomplete, long have, PublishedWeights weights, HubOptions options, string url, CancellationToken cancellation)
    {
        var current = meta.Location;
        string hubHost = new Uri(url).Host;
        string name = $"{weights.Repository}/{weights.File}";
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
            // The token goes to the Hub only, not to the storage host a large file redirects to.
            if (options.Token is not null && current.Host == hubHost) request.Headers.Authorization = new("Bearer", options.Token);
            if (have > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(have, null);
            HttpResponseMessage response;
            try
            {
                response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw Stopped(e, have, meta.Size, incomplete, weights, url);
            }
            using (response)
            {
                int status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    current = new Uri(current, location);
                    continue;
                }
                if (status == (int)HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                {
                    File.Delete(incomplete); // the part does not fit the file the Hub has now: start over
                    have = 0;
                    continue;
                }
                if (status >= 400) throw Error(response, weights, options.Revision, url);
                bool resumed = status == (int)HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
                long written = resumed ? have : 0;
                try
                {
                    await using var file = new FileStream(incomplete, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
                    var buffer = new byte[1 << 20];
                    int read;
                    options.Progress?.Report(new HubDownloadProgress(name, written, meta.Size));
                    using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                    while (true)
                    {
                        stall.CancelAfter(StallTimeout);
                        try
                        {
                            read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
                        {
                            throw new IOException($"no data for {StallTimeout.TotalSeconds:0} s", e);
                        }
                        if (read == 0) break;
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellation).ConfigureAwait(false);
                        written += read;
                        options.Progress?.Report(new HubDownloadProgress(name, written, meta.Size));
                    }
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw Stopped(e, written, meta.Size, incomplete, weights, url);
                }
                if (meta.Size is long total && written != total) throw Stopped(null, written, meta.Size, incomplete, weights, url);
                return;
            }
        }
        throw new HubDownloadException($"More than {MaxRedirects} redirects for {url}.", weights.Repository, weights.File, url);
    }

    private static HubDownloadException Stopped(Exception? cause, long written, long? total, string incomplete, PublishedWeights weights, string url) =>
        new($"The download of {url} stopped after {written} of {(total is long t ? t.ToString() : "?")} bytes{(cause is null ? "" : $" ({cause.Message})")}; " +
            $"the part is kept in '{incomplete}' (not used as weights) and the next call resumes it.", weights.Repository, weights.File, url, inner: cause);

    private static HubDownloadException Error(HttpResponseMessage response, PublishedWeights weights, string revision, string url)
    {
        int status = (int)response.StatusCode;
        string? code = Header(response, "X-Error-Code");
        string detail = Header(response, "X-Error-Message") is { } m ? $": {m}" : "";
        string message = (status, code) switch
        {
            (_, "GatedRepo") => $"{weights.Repository} is gated{detail}. Accept its terms on the Hub and set HF_TOKEN to a token of that account.",
            (401 or 403, _) => $"The Hub refused access to {weights.Repository} ({status}{detail}). A private or gated repository needs HF_TOKEN; otherwise check the name and tag.",
            (404, "EntryNotFound") => $"{weights.Repository} has no file '{weights.File}' at revision '{revision}'.",
            (404, "RevisionNotFound") => $"{weights.Repository} has no revision '{revision}'.",
            (404, _) => $"The Hub has no repository {weights.Repository} (404): check the model name and its pretrained tag.",
            _ => $"The Hub answered {status} {response.ReasonPhrase} for {url}{detail}.",
        };
        return new HubDownloadException(message, weights.Repository, weights.File, url, status);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    /// <summary>An exclusive lock on <paramref name="path"/> (an OS file lock, so it holds across processes), waited for up to <paramref name="timeout"/>.</summary>
    private static async Task<IDisposable> HoldLockAsync(string path, TimeSpan timeout, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellation).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new IOException($"Another process has held the download lock '{path}' for {timeout}; it may have hung. Delete the lock file if no download is running.", e);
            }
        }
    }
}
