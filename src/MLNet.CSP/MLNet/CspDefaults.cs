namespace MLNet.CSP.MLNet;

/// <summary>Default values of the ML.NET components, kept in one place.</summary>
public static class CspDefaults
{
    /// <summary>Backbone of the featurizer.</summary>
    public const string FeaturizerArchitecture = "cspresnet50";

    /// <summary>Images per forward pass of the featurizer.</summary>
    public const int FeaturizerBatchSize = 16;

    /// <summary>Image column name.</summary>
    public const string ImageColumnName = "Image";
}
