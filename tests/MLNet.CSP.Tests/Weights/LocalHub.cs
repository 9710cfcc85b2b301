using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace MLNet.CSP.Tests.Weights;

/// <summary>
/// An in-process stand-in for the Hugging Face Hub on 127.0.0.1: <c>/{org}/{name}/resolve/{revision}/{file}</c> answers HEAD
/// with the Hub's headers (X-Repo-Commit, X-Linked-Etag = SHA-256, X-Linked-Size, a 302 to a storage path as for large
/// files) and GET with the bytes (Range honoured); 404 with X-Error-Code for unknown repositories, files and revisions.
/// Faults for the tests: drop the connection part-way, serve altered bytes, demand a token.
/// </summary>
internal sealed class LocalHub : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly HttpListener listener = new();
    private readonly Dictionary<string, byte[]> files = new(StringComparer.Ordinal);
    private readonly Task serving;

    public LocalHub()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Endpoint + "/");
        listener.Start();
        serving = Task.Run(Serve);
    }

    public string Endpoint { get; }

    /// <summary>GET requests for file bytes served so far (storage path).</summary>
    public int Downloads;

    /// <summary>Range headers of the GET requests, in order ("" for none).</summary>
    public List<string> Ranges { get; } = [];

    /// <summary>The next this many GETs stop after half the bytes.</summary>
    public int DropNext { get; set; }

    /// <summary>The next this many GETs serve the bytes with one changed.</summary>
    public int CorruptNext { get; set; }

    /// <summary>A token the Hub demands (401 without it).</summary>
    public string? RequiredToken { get; set; }

    public void Add(string repository, string file, byte[] bytes) => files[$"{repository}/{file}"] = bytes;

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (!listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            catch (Exception)
            {
                try { context.Response.Abort(); } catch (Exception) { /* client gone */ }
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = Uri.UnescapeDataString(request.Url!.AbsolutePath.TrimStart('/'));
        if (path.StartsWith("storage/", StringComparison.Ordinal))
        {
            ServeBytes(context, path["storage/".Length..]);
            return;
        }
        // {org}/{name}/resolve/{revision}/{file}
        var parts = path.Split('/', 5);
        if (parts.Length < 5 || parts[2] != "resolve")
        {
            Finish(response, 404, "RepoNotFound");
            return;
        }
        if (RequiredToken is not null && request.Headers["Authorization"] != $"Bearer {RequiredToken}")
        {
            Finish(response, 401, "RepoNotFound", "Invalid username or password.");
            return;
        }
        string repository = $"{parts[0]}/{parts[1]}", revision = parts[3], file = parts[4];
        if (!files.Keys.Any(k => k.StartsWith(repository + "/", StringComparison.Ordinal)))
        {
            Finish(response, 404, "RepoNotFound");
            return;
        }
        if (revision is not ("main" or Commit))
        {
            Finish(response, 404, "RevisionNotFound");
            return;
        }
        if (!files.TryGetValue($"{repository}/{file}", out var bytes))
        {
            Finish(response, 404, "EntryNotFound");
            return;
        }
        response.Headers["X-Repo-Commit"] = Commit;
        response.Headers["X-Linked-Etag"] = $"\"{Sha256(bytes)}\"";
        response.Headers["X-Linked-Size"] = bytes.Length.ToString();
        response.Headers["ETag"] = "\"git-object-id\"";
        response.StatusCode = 302;
        response.RedirectLocation = $"{Endpoint}/storage/{repository}/{file}";
        response.Close();
    }

    private void ServeBytes(HttpListenerContext context, string key)
    {
        var response = context.Response;
        if (!files.TryGetValue(key, out var bytes))
        {
            Finish(response, 404, "EntryNotFound");
            return;
        }
        Interlocked.Increment(ref Downloads);
        string range = context.Request.Headers["Range"] ?? "";
        lock (Ranges) Ranges.Add(range);
        long start = range.StartsWith("bytes=", StringComparison.Ordinal) ? long.Parse(range["bytes=".Length..].TrimEnd('-')) : 0;
        var body = bytes.AsSpan((int)start).ToArray();
        if (CorruptNext > 0)
        {
            CorruptNext--;
            body[body.Length / 3] ^= 0x5A;
        }
        response.StatusCode = start > 0 ? 206 : 200;
        if (start > 0) response.Headers["Content-Range"] = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        response.ContentLength64 = body.Length;
        if (DropNext > 0)
        {
            DropNext--;
            response.OutputStream.Write(body, 0, body.Length / 2);
            response.OutputStream.Flush();
            response.Abort();
            return;
        }
        response.OutputStream.Write(body);
        response.Close();
    }

    private static void Finish(HttpListenerResponse response, int status, string code, string? message = null)
    {
        response.StatusCode = status;
        response.Headers["X-Error-Code"] = code;
        if (message is not null) response.Headers["X-Error-Message"] = message;
        response.Close();
    }

    public void Dispose()
    {
        if (!listener.IsListening) return;
        listener.Stop();
        listener.Close();
        try { serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { /* stopped */ }
    }
}
