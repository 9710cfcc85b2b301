namespace MLNet.CSP.Pipelines.Internal;

/// <summary>Version header of a saved model entry (wraps ML.NET's internal <c>VersionInfo</c>).</summary>
/// <param name="ModelSignature">Eight ASCII characters identifying the entry type.</param>
/// <param name="Version">Current format version (written, readable, and the oldest we can read).</param>
/// <param name="LoaderSignature">The loader name registered with <c>LoadableClass</c>.</param>
internal sealed record ModelVersion(string ModelSignature, uint Version, string LoaderSignature)
{
    public VersionInfo ToVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: Version,
        verReadableCur: Version,
        verWeCanReadBack: Version,
        loaderAssemblyName: typeof(ModelVersion).Assembly.FullName,
        loaderSignature: LoaderSignature);
}
