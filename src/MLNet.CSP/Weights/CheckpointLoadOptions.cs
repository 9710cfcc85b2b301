namespace MLNet.CSP.Weights;

/// <summary>How a checkpoint is matched against a network.</summary>
public sealed record CheckpointLoadOptions
{
    /// <summary>Default: strict, classifier included.</summary>
    public static CheckpointLoadOptions Strict { get; } = new();

    /// <summary>
    /// Keep the network's own (freshly initialised) classifier when the checkpoint's classifier has another shape,
    /// e.g. an ImageNet checkpoint loaded into a 10-class network. Other mismatches still throw.
    /// </summary>
    public bool SkipMismatchedClassifier { get; init; }

    /// <summary>Never load the classifier, whatever its shape.</summary>
    public bool ExcludeClassifier { get; init; }
}
