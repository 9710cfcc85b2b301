namespace MLNet.CSP.Pipelines.Featurizer;

/// <summary>Options of <c>mlContext.Transforms.CspFeaturize</c> (the shared network settings are on <see cref="CspNetworkOptions"/>).</summary>
public sealed class CspFeaturizerOptions : CspNetworkOptions
{
    /// <summary>Creates the options with the featurizer's defaults (<see cref="CspDefaults"/>).</summary>
    public CspFeaturizerOptions() : base(CspDefaults.FeaturizerArchitecture)
    {
    }

    /// <summary>Name of the output column: a known-size <see cref="float"/> vector of the backbone's features.</summary>
    public string OutputColumnName { get; set; } = CspDefaults.FeaturesColumnName;

    /// <summary>Name of the image column (<c>Image</c> from <c>LoadImages</c>, or encoded bytes); null: <see cref="OutputColumnName"/>.</summary>
    public string? InputColumnName { get; set; }

    /// <summary>How the final feature map becomes a vector.</summary>
    public GlobalPooling Pooling { get; set; } = GlobalPooling.Average;

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; set; } = CspDefaults.InferenceBatchSize;

    internal override void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputColumnName, nameof(OutputColumnName));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!Enum.IsDefined(Pooling)) throw new ArgumentOutOfRangeException(nameof(Pooling), Pooling, "Unknown pooling.");
        base.Validate();
    }
}
