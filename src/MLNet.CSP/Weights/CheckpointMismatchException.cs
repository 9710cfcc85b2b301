namespace MLNet.CSP.Weights;

/// <summary>A checkpoint's keys or shapes do not match the network; lists every difference.</summary>
public sealed class CheckpointMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointMismatchException(string source, string architecture, IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected, IReadOnlyList<string> shapeMismatches)
        : base(Describe(source, architecture, missing, unexpected, shapeMismatches))
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Keys the network has and the checkpoint lacks.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Keys the checkpoint has and the network lacks.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Keys present in both with different shapes (<c>key: checkpoint [..] vs network [..]</c>).</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Describe(string source, string architecture, IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected, IReadOnlyList<string> shapeMismatches)
    {
        const int Shown = 20;
        static string List(string title, IReadOnlyList<string> keys) => keys.Count == 0 ? "" :
            $"{Environment.NewLine}  {title} ({keys.Count}): {string.Join(", ", keys.Take(Shown))}{(keys.Count > Shown ? ", ..." : "")}";
        return $"Checkpoint '{source}' does not match architecture '{architecture}'." +
               List("missing keys", missing) + List("unexpected keys", unexpected) + List("shape mismatches", shapeMismatches);
    }
}
