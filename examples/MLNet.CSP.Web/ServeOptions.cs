namespace MLNet.CSP.Web;

/// <summary>The server's settings: command-line switches (<c>--model PATH</c>) or any ASP.NET configuration source.</summary>
public sealed class ServeOptions
{
    /// <summary>The model zip to serve (a classifier or detector saved with <c>mlContext.Model.Save</c>). Required.</summary>
    public string? Model { get; set; }

    /// <summary>Most images in one forward pass; 1 scores requests one after another. Default 8.</summary>
    public int MaxBatch { get; set; } = 8;

    /// <summary>Longest a request waits for others to share its forward pass, in milliseconds. Default 2.</summary>
    public double MaxDelayMs { get; set; } = 2;

    /// <summary>libtorch threads of the scoring thread (null: libtorch's default, one per core).</summary>
    public int? Threads { get; set; }

    /// <summary>Largest upload accepted, in bytes. Default 10 MB.</summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest image accepted, in pixels (width x height), checked before decoding. Default 40 megapixels.</summary>
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Classes listed in a classifier's answer. Default 5.</summary>
    public int Top { get; set; } = 5;
}
