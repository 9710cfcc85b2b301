namespace MLNet.CSP.Pipelines.Internal;

/// <summary>Version header of a saved model entry (wraps ML.NET's internal <c>VersionInfo</c>).</summary>
/// <param name="ModelSignature">Eight ASCII characters identifying the entry type.</param>
/// <param name="Version">Current format version (written, and the oldest reader code that reads it).</param>
/// <param name="LoaderSignature">The loader name registered with <c>LoadableClass</c>.</param>
/// <param name="ReadBack">The oldest version this code reads (older saved models keep loading); null: <paramref name="Version"/>.</param>
internal sealed record ModelVersion(string ModelSignature, uint Version, string LoaderSignature, uint? ReadBack = null)
{
    public VersionInfo ToVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: Version,
        verReadableCur: Version,
        verWeCanReadBack: ReadBack ?? Version,
        loaderAssemblyName: typeof(ModelVersion).Assembly.FullName,
        loaderSignature: LoaderSignature);
}
