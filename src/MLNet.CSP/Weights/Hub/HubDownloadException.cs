namespace MLNet.CSP.Weights.Hub;

/// <summary>A file could not be fetched from the Hub or found in the cache; the message says which, where and what to do.</summary>
public sealed class HubDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public HubDownloadException(string message, string repository, string file, string url, int? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        (Repository, File, Url, StatusCode) = (repository, file, url, statusCode);
    }

    /// <summary>The Hub repository, e.g. <c>timm/cspresnext50.ra_in1k</c>.</summary>
    public string Repository { get; }

    /// <summary>The file in it.</summary>
    public string File { get; }

    /// <summary>The address the file is fetched from (to fetch it by hand).</summary>
    public string Url { get; }

    /// <summary>The HTTP status, when the Hub answered.</summary>
    public int? StatusCode { get; }
}
